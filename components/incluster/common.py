"""What the in-cluster services share: the pinned Helm release and the names they live under."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import pulumi

# The versions table only: components.addons.base imports the settings, which import this.
from components.addons import versions
from components.addons.versions import RELEASE_TIMEOUT
from components.sdk import lazy

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")


def service_host(service: str, namespace: str) -> str:
    """The DNS name of a Service that the server and the chart are given. It leaves out the
    cluster domain: `cluster.local` is only the default (kubelet --cluster-domain), and the
    pods' resolv.conf search list completes `<service>.<namespace>.svc` on any cluster."""
    return f"{service}.{namespace}.svc"


def pinned_release(
    resource_name: str,
    chart: str,
    *,
    release_name: str,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
    protect: bool = False,
) -> k8s.helm.v3.Release:
    """A Release of a chart from the one versions table (components/addons/versions.py), at
    exactly its pinned version; installed atomically so a failed install rolls back.
    `protect`: a Release that holds data (its PVCs go with an uninstall unless kept)."""
    pin = versions.CHARTS[chart]
    return k8s.helm.v3.Release(
        resource_name,
        k8s.helm.v3.ReleaseArgs(
            name=release_name,
            chart=pin.name,
            version=pin.version,
            repository_opts=(
                k8s.helm.v3.RepositoryOptsArgs(repo=pin.repository) if pin.repository else None
            ),
            namespace=namespace,
            values=dict(values),
            atomic=True,
            cleanup_on_fail=True,
            timeout=RELEASE_TIMEOUT,
            max_history=10,
            create_namespace=False,
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=protect)),
    )


def child_opts(
    parent: pulumi.Resource,
    provider: k8s.Provider,
    depends_on: Sequence[pulumi.Resource] = (),
) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(depends_on))


class StoreArgs(Protocol):
    """What a data store's Args say about where and how its Release lives."""

    @property
    def namespace(self) -> str: ...
    @property
    def provider(self) -> k8s.Provider: ...
    @property
    def depends_on(self) -> Sequence[pulumi.Resource]: ...
    @property
    def protect(self) -> bool: ...


def store_release(
    parent: pulumi.Resource,
    name: str,
    chart: str,
    release_name: str,
    args: StoreArgs,
    values: Mapping[str, Any],
    after: Sequence[pulumi.Resource] = (),
) -> k8s.helm.v3.Release:
    """A data store's pinned Release (`<name>-release`): in the store's namespace, after what
    the store depends on and `after`, protected like the data it holds."""
    return pinned_release(
        f"{name}-release",
        chart,
        release_name=release_name,
        namespace=args.namespace,
        values=values,
        opts=child_opts(parent, args.provider, [*args.depends_on, *after]),
        protect=args.protect,
    )
