"""The program: settings -> platform -> add-ons -> model-engine -> exports.

`__main__.py` calls `main()`; the offline plan and the tests run the same function against
the simulated cloud.
"""

from __future__ import annotations

import dataclasses

import pulumi

from components import fit, operations
from components import settings_loader as stack
from components.addons.addons import ClusterAddons, ClusterAddonsArgs
from components.addons.addons import check as addons_check
from components.addons.addons import prometheus_address as addon_prometheus_address
from components.addons.prometheus import WEBHOOK_KEY
from components.isolation import component as isolation
from components.model_engine.guards import Finding
from components.model_engine.release import ModelEngine, ModelEngineArgs, preflight
from components.naming import PLATFORM_COMPONENT
from components.settings import StackSettings
from components.settings_base import PROJECT, SettingsError
from components.settings_loader import load_settings


def check(settings: StackSettings) -> list[Finding]:
    """Everything judged from the stack file alone, before the first resource exists."""
    platform = settings.platform
    platform.check(settings)
    misfits = fit.problems(settings, platform.gpu_pools(settings), fit.hardware(settings), PROJECT)
    if misfits:
        raise SettingsError(misfits)
    for warning in fit.capacity_warnings(settings, PROJECT):
        pulumi.log.warn(warning)
    facts = platform.preview_facts(settings)
    addons_check(settings, platform, facts.prometheus_address, platform.gpu_pools(settings))
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
        *isolation.findings(settings, platform),
    ]


def main() -> None:
    settings = load_settings()
    check(settings)
    webhook = stack.is_set(WEBHOOK_KEY)
    traits = settings.platform
    for finding in operations.findings(traits, settings.operations.alerts, webhook):
        pulumi.log.warn(finding)
    platform = traits.build(PLATFORM_COMPONENT, settings)
    addons = ClusterAddons(
        "addons", ClusterAddonsArgs(settings=settings, platform=platform, traits=traits)
    )
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
            alert_rules=addons.external_alert_rules,
        ),
    )

    # Also with isolation.enabled: false: the gateway's authentication, and the record of why
    # (the plan and the policy pack read it).
    isolation.Isolation(
        "isolation",
        isolation.IsolationArgs(
            scope=isolation.scope(settings, platform.facts),
            provider=platform.kubernetes_provider,
            enforced=isolation.enforces_network_policy(settings, traits),
            enabled=settings.isolation.enabled,
            disabled_because=settings.isolation.disabled_because,
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
    for finding in isolation.findings(settings, traits):
        pulumi.log.warn(f"{finding.path}: {finding.message}")

    pulumi.export("namespace", engine.release_namespace.metadata.name)
    pulumi.export("endpoint_namespace", engine.endpoint_namespace.metadata.name)
    pulumi.export("release", engine.release.name)
    pulumi.export("gateway_urls", settings.gateway_urls)
