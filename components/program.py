"""The program: settings -> platform -> add-ons -> model-engine -> exports.

`__main__.py` calls `main()`; the offline plan and the tests run the same function against
the simulated cloud.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pulumi

from components.addons.addons import ClusterAddons, ClusterAddonsArgs
from components.addons.addons import check as addons_check
from components.addons.addons import prometheus_address as addon_prometheus_address
from components.contract import GpuNodePool, PlatformFacts, PlatformOutputs
from components.existing import platform as existing
from components.isolation import component as isolation
from components.model_engine.guards import Finding
from components.model_engine.release import ModelEngine, ModelEngineArgs, preflight
from components.settings import Cloud, StackSettings
from components.settings_loader import load_settings


@dataclass(frozen=True)
class Platform:
    """What the program needs of a cloud package."""

    # Raise SettingsError for anything the stack file alone shows to be wrong (secrets).
    check: Callable[[StackSettings], None]
    # The facts as far as they are known before deploy (placeholders for the rest).
    preview_facts: Callable[[StackSettings], PlatformFacts]
    gpu_pools: Callable[[StackSettings], list[GpuNodePool]]
    secret_env_keys: Callable[[StackSettings], Sequence[str]]
    build: Callable[[str, StackSettings], PlatformOutputs]
    # What the add-ons need to know before anything exists (see PlatformOutputs).
    needs_cluster_autoscaler: bool = False
    kubernetes_version: Callable[[StackSettings], str | None] = lambda _: None
    provides_gpu_device_plugin: bool = False


def _gcp() -> ModuleType:
    from components.gcp import platform

    return platform


def _cloud(module: str, component: str, *, needs_cluster_autoscaler: bool) -> Platform:
    """A cloud package imported only when a stack uses it: each cloud SDK costs a second of
    start-up, which every other stack's plan would pay."""

    def mod() -> Any:
        return importlib.import_module(module)

    return Platform(
        check=lambda s: mod().check(s),
        preview_facts=lambda s: mod().preview_facts(s),
        gpu_pools=lambda s: mod().gpu_pools(s),
        secret_env_keys=lambda s: mod().secret_env_keys(s),
        build=lambda name, s: getattr(mod(), component)(name, s).outputs,
        needs_cluster_autoscaler=needs_cluster_autoscaler,
        kubernetes_version=lambda s: mod().kubernetes_version(s),
    )


PLATFORMS: dict[Cloud, Platform] = {
    "existing": Platform(
        check=existing.check_secrets,
        preview_facts=existing.facts,
        gpu_pools=existing.gpu_pools,
        secret_env_keys=existing.secret_env_keys,
        build=lambda name, s: existing.ExistingPlatform(name, s).outputs,
    ),
    "aws": _cloud("components.aws.platform", "AwsPlatform", needs_cluster_autoscaler=True),
    # AKS's own autoscaler scales every pool.
    "azure": _cloud("components.azure.platform", "AzurePlatform", needs_cluster_autoscaler=False),
    # Imported when used, like the other clouds (their SDK packages are not free to import).
    "gcp": Platform(
        check=lambda s: _gcp().check(s),
        preview_facts=lambda s: _gcp().preview_facts(s),
        gpu_pools=lambda s: _gcp().gpu_pools(s),
        secret_env_keys=lambda s: _gcp().secret_env_keys(s),
        build=lambda name, s: _gcp().GcpPlatform(name, s).outputs,
        kubernetes_version=lambda s: _gcp().kubernetes_version(s),
        provides_gpu_device_plugin=True,
    ),
}


def check(settings: StackSettings) -> list[Finding]:
    """Everything judged from the stack file alone, before the first resource exists."""
    platform = PLATFORMS[settings.cloud]
    platform.check(settings)
    facts = platform.preview_facts(settings)
    addons_check(
        settings,
        facts.prometheus_address,
        platform.gpu_pools(settings),
        platform.needs_cluster_autoscaler,
        platform.kubernetes_version(settings),
        platform.provides_gpu_device_plugin,
    )
    isolation.check(settings)
    if not settings.chart.install:
        return []
    # The chart gets the add-ons' Prometheus when they install one.
    facts = dataclasses.replace(
        facts, prometheus_address=addon_prometheus_address(settings, facts.prometheus_address)
    )
    return [
        *preflight(
            settings,
            facts,
            platform.gpu_pools(settings),
            platform.secret_env_keys(settings),
        ),
        *isolation.findings(settings),
    ]


def main() -> None:
    settings = load_settings()
    check(settings)
    platform = PLATFORMS[settings.cloud].build("platform", settings)
    addons = ClusterAddons("addons", ClusterAddonsArgs(settings=settings, platform=platform))
    pulumi.export("cluster_name", platform.facts.cluster_name)
    pulumi.export("database_host", platform.facts.database.host)
    pulumi.export("registry_prefix", platform.facts.registry.prefix)
    if not settings.chart.install:
        return
    engine = ModelEngine(
        "model-engine",
        ModelEngineArgs(
            settings=settings,
            platform=platform,
            depends_on=addons.chart_dependencies,
            prometheus_address=addons.prometheus_address,
            namespace_depends_on=addons.namespace_dependencies,
        ),
    )

    if settings.isolation.enabled:
        isolation.Isolation(
            "isolation",
            isolation.IsolationArgs(
                scope=isolation.scope(settings, platform.facts),
                provider=platform.kubernetes_provider,
                enforced=isolation.enforces_network_policy(settings),
                # The namespaces, and the Istio CRDs the mesh objects are instances of.
                depends_on=[
                    engine.release_namespace,
                    engine.endpoint_namespace,
                    *addons.chart_dependencies,
                ],
            ),
            # Beside the Release it fences, under the same component.
            pulumi.ResourceOptions(parent=engine),
        )
    for finding in isolation.findings(settings):
        pulumi.log.warn(f"{finding.path}: {finding.message}")

    pulumi.export("namespace", engine.release_namespace.metadata.name)
    pulumi.export("endpoint_namespace", engine.endpoint_namespace.metadata.name)
    pulumi.export("release", engine.release.name)
    pulumi.export("gateway_urls", settings.gateway_urls)
