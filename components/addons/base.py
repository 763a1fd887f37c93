"""What every add-on shares: the context it is built in and the pinned Helm release."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from components.addons import versions
from components.addons.versions import RELEASE_TIMEOUT
from components.contract import PlatformOutputs
from components.platform import Platform
from components.sdk import lazy
from components.settings import StackSettings
from components.settings_base import deep_merge

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")


@dataclass(frozen=True)
class AddonContext:
    settings: StackSettings
    platform: PlatformOutputs
    traits: Platform
    # Namespaces ClusterAddons created, by name; a name missing here already exists.
    namespaces: Mapping[str, k8s.core.v1.Namespace]

    @property
    def provider(self) -> k8s.Provider:
        return self.platform.kubernetes_provider

    def opts(
        self, parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] = ()
    ) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=parent, provider=self.provider, depends_on=list(depends_on)
        )

    def namespace_deps(self, *names: str) -> list[pulumi.Resource]:
        return [self.namespaces[n] for n in names if n in self.namespaces]


def chart_version(chart: str, override: str | None) -> str:
    return override or versions.CHARTS[chart].version


def helm_release(
    resource_name: str,
    chart: str,
    *,
    ctx: AddonContext,
    parent: pulumi.Resource,
    release_name: str,
    namespace: str,
    values: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    version: str | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
) -> k8s.helm.v3.Release:
    """A Release of a chart from the versions table, at its pinned (or overridden) version,
    on the cluster's provider, after the namespace it lives in."""
    pin = versions.CHARTS[chart]
    repository_opts = (
        k8s.helm.v3.RepositoryOptsArgs(repo=pin.repository) if pin.repository else None
    )
    return k8s.helm.v3.Release(
        resource_name,
        k8s.helm.v3.ReleaseArgs(
            name=release_name,
            chart=pin.name,
            version=chart_version(chart, version),
            repository_opts=repository_opts,
            namespace=namespace,
            values=deep_merge(values, overrides or {}),
            # A failed install rolls back instead of leaving "another operation is in
            # progress" behind.
            atomic=True,
            cleanup_on_fail=True,
            timeout=RELEASE_TIMEOUT,
            max_history=10,
            create_namespace=False,
        ),
        # After the platform's node groups: Helm waits for the add-on's pods to run.
        opts=ctx.opts(
            parent,
            [*ctx.platform.depends_on, *ctx.namespace_deps(namespace), *depends_on],
        ),
    )
