"""ClusterAddons: everything the model-engine chart silently relies on, on a fresh cluster.

Built between the platform and the chart. It hands the chart layer two things:
- `prometheus_address`: the Prometheus the server queries (the one installed here, else the
  one the stack names);
- `chart_dependencies`: the add-ons whose CRDs (and admission webhooks) the chart's own
  manifests need at install time; the chart's Release waits for them.
Add-ons the server needs only at run time (LeaderWorkerSet, the adapter, the device plugin)
do not hold the chart back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.addons import istio
from components.addons.autoscaler import (
    ClusterAutoscaler,
    VerticalPodAutoscaler,
    autoscaler_image_tag,
    discovery_provider,
    installs_vpa,
)
from components.addons.base import AddonContext
from components.addons.istio import Istio
from components.addons.keda import Keda, renders_trigger_authentication
from components.addons.lws import LeaderWorkerSet
from components.addons.metrics_server import MetricsServer
from components.addons.nvidia import Nvidia
from components.addons.nvidia import kind as nvidia_kind
from components.addons.prometheus import (
    Prometheus,
    PrometheusAdapter,
    rules_file,
    server_address,
)
from components.contract import GpuNodePool, PlatformOutputs
from components.isolation import psa
from components.platform import GPU_DEVICE_PLUGIN, METRICS_SERVER, Platform
from components.sdk import lazy
from components.settings import StackSettings
from components.settings_base import PROJECT, SettingsError

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")

# Namespaces every cluster has; never created (or deleted) here.
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
# Namespaces whose add-ons run privileged DaemonSets (device plugin / GPU operator,
# node-exporter); labelled so that Pod Security admission, where enforced, admits them.
PRIVILEGED = {"pod-security.kubernetes.io/enforce": "privileged"}
# The other add-ons run controllers that use no host namespace, path or capability
# (components/isolation/psa.py).
BASELINE = psa.labels("baseline", "restricted")


@dataclass(frozen=True)
class ClusterAddonsArgs:
    settings: StackSettings
    platform: PlatformOutputs
    # What the platform declares before anything exists (the preflight read the same).
    traits: Platform


def named_prometheus(
    settings: StackSettings, platform_address: pulumi.Input[str] | None
) -> pulumi.Input[str] | None:
    """A Prometheus the stack already names: prometheusAddress, else the platform's."""
    return settings.prometheus_address or platform_address


def installs_prometheus(
    settings: StackSettings, platform_address: pulumi.Input[str] | None
) -> bool:
    enabled = settings.addons.prometheus.enabled
    if enabled is None:
        return named_prometheus(settings, platform_address) is None
    return enabled


def prometheus_address(
    settings: StackSettings, platform_address: pulumi.Input[str] | None
) -> pulumi.Input[str] | None:
    """The Prometheus the server queries: the add-on's when it is installed, else the one the
    stack names. Pure, so the program's preflight sees the same address the chart gets."""
    if installs_prometheus(settings, platform_address):
        return server_address(settings.addons.prometheus.namespace)
    return named_prometheus(settings, platform_address)


def _wanted(enabled: bool | None, component: str, traits: Platform) -> bool:
    """An add-on the managed cluster may already run: installed unless it does (None), or
    as the stack says (`check` refuses turning on what the cluster runs)."""
    if enabled is None:
        return component not in traits.managed_components
    return enabled


def planned(
    settings: StackSettings,
    platform_prometheus: pulumi.Input[str] | None,
    traits: Platform,
    has_gpu_pools: bool = True,
) -> dict[str, list[str]]:
    """Add-ons to install -> the namespaces each one puts objects in. A cloud that runs a
    component itself (managed_components: GKE's device plugin, AKS's and GKE's
    metrics-server) does not get a second one: two device plugins would both register
    nvidia.com/gpu, and the cluster's addon manager re-creates its own metrics-server over a
    Helm release's. A stack without GPU pools (CPU endpoints only) gets no device plugin:
    nothing would run it."""
    a = settings.addons
    plan: dict[str, list[str]] = {}
    if a.istio.enabled:
        plan["istio"] = istio.namespaces(settings)
    if a.keda.enabled:
        plan["keda"] = [a.keda.namespace]
    if installs_prometheus(settings, platform_prometheus):
        plan["prometheus"] = [a.prometheus.namespace]
    if a.prometheus_adapter.enabled:
        plan["prometheus-adapter"] = [a.prometheus_adapter.namespace]
    if _wanted(a.nvidia.enabled, GPU_DEVICE_PLUGIN, traits) and has_gpu_pools:
        plan["nvidia"] = [a.nvidia.namespace]
    if a.cluster_autoscaler.enabled and traits.needs_cluster_autoscaler:
        plan["cluster-autoscaler"] = [a.cluster_autoscaler.namespace]
    if installs_vpa(settings):
        plan["vpa"] = [a.vpa.namespace]
    if a.lws.enabled:
        plan["lws"] = [a.lws.namespace]
    if _wanted(a.metrics_server.enabled, METRICS_SERVER, traits):
        plan["metrics-server"] = [a.metrics_server.namespace]
    return plan


def namespaces_to_create(settings: StackSettings, plan: dict[str, list[str]]) -> list[str]:
    existing = set(SYSTEM_NAMESPACES) | set(settings.addons.existing_namespaces)
    if "istio" not in plan:
        # Istio runs already; its namespace is the cluster's.
        existing.add(istio.ISTIO_NAMESPACE)
    wanted = dict.fromkeys(ns for names in plan.values() for ns in names)
    return [ns for ns in wanted if ns not in existing]


# The stack key that turns each add-on a managed cluster may run on or off.
MANAGEABLE_KEYS = {METRICS_SERVER: "metricsServer", GPU_DEVICE_PLUGIN: "nvidia"}


def managed_conflicts(settings: StackSettings, traits: Platform) -> list[str]:
    """Add-ons the stack turns on although the managed cluster runs them already."""
    enabled = {
        METRICS_SERVER: settings.addons.metrics_server.enabled,
        GPU_DEVICE_PLUGIN: settings.addons.nvidia.enabled,
    }
    return [
        f"{PROJECT}:addons.{MANAGEABLE_KEYS[c]}.enabled: {traits.cloud} runs its own {c} on "
        "every cluster (its addon manager re-creates it, and Helm refuses objects another "
        f"owner created); a second one would collide with it. Remove the key (or set it to "
        "false): the cluster's own serves the model-engine"
        for c in sorted(traits.managed_components)
        if enabled[c]
    ]


def check(
    settings: StackSettings,
    traits: Platform,
    platform_prometheus: pulumi.Input[str] | None,
    gpu_pools: Sequence[GpuNodePool],
) -> None:
    """Everything about the add-ons that the stack file alone shows to be wrong. The program
    calls it once, before the first resource exists."""
    plan = planned(settings, platform_prometheus, traits, has_gpu_pools=bool(gpu_pools))
    problems: list[str] = managed_conflicts(settings, traits)
    ours = {settings.namespaces.release, settings.namespaces.endpoints}
    for addon, names in plan.items():
        for ns in sorted(set(names) & ours):
            problems.append(
                f"{PROJECT}:addons: {addon} would live in namespace {ns!r}, which the "
                "model-engine component creates after the add-ons; pick another namespace"
            )
    named = named_prometheus(settings, platform_prometheus)
    if "prometheus" in plan and named is not None:
        shown = f" ({named})" if isinstance(named, str) else ""
        problems.append(
            f"{PROJECT}:addons.prometheus.enabled: the stack already names a Prometheus"
            f"{shown}; leave addons.prometheus.enabled unset (or false) to use it, or remove "
            "the address to use the Prometheus the add-ons install"
        )
    if "prometheus-adapter" in plan and "prometheus" not in plan and named is None:
        problems.append(
            f"{PROJECT}:addons.prometheusAdapter: needs a Prometheus; enable "
            "addons.prometheus or set prometheusAddress to the one the cluster runs"
        )
    if "nvidia" in plan:
        try:
            nvidia_kind(settings, gpu_pools)
        except SettingsError as e:
            problems += e.problems
    if "cluster-autoscaler" in plan:
        try:
            discovery_provider(traits.cloud_provider)
        except SettingsError as e:
            problems += e.problems
        try:
            autoscaler_image_tag(settings, traits.kubernetes_version(settings))
        except SettingsError as e:
            problems += e.problems
    if problems:
        raise SettingsError(problems)


class ClusterAddons(pulumi.ComponentResource):
    prometheus_address: pulumi.Input[str] | None
    chart_dependencies: list[pulumi.Resource]
    namespaces: dict[str, k8s.core.v1.Namespace]
    istio: Istio | None = None
    keda: Keda | None = None
    prometheus: Prometheus | None = None
    prometheus_adapter: PrometheusAdapter | None = None
    nvidia: Nvidia | None = None
    cluster_autoscaler: ClusterAutoscaler | None = None
    vpa: VerticalPodAutoscaler | None = None
    lws: LeaderWorkerSet | None = None
    metrics_server: MetricsServer | None = None

    def __init__(
        self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:addons:ClusterAddons", name, None, opts)
        # The stack was judged by `check` (components/program.py) before any resource existed.
        settings, platform, traits = args.settings, args.platform, args.traits
        plan = planned(
            settings,
            platform.facts.prometheus_address,
            traits,
            has_gpu_pools=bool(platform.gpu_pools),
        )

        privileged = {ns for addon in ("nvidia", "prometheus") for ns in plan.get(addon, [])}
        self.namespaces = {
            ns: k8s.core.v1.Namespace(
                f"{name}-ns-{ns}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=ns,
                    labels={
                        "app.kubernetes.io/part-of": "model-engine-addons",
                        **(PRIVILEGED if ns in privileged else BASELINE),
                    },
                ),
                opts=pulumi.ResourceOptions(parent=self, provider=platform.kubernetes_provider),
            )
            for ns in namespaces_to_create(settings, plan)
        }
        ctx = AddonContext(
            settings=settings, platform=platform, traits=traits, namespaces=self.namespaces
        )
        child = pulumi.ResourceOptions(parent=self)

        if "istio" in plan:
            self.istio = Istio(f"{name}-istio", ctx, child)
        if "keda" in plan:
            self.keda = Keda(f"{name}-keda", ctx, child)
        # GPU health rules where dcgm-exporter runs: the GPU operator brings it.
        gpu_operator = (
            "nvidia" in plan and nvidia_kind(settings, platform.gpu_pools) == "gpu-operator"
        )
        if "prometheus" in plan:
            self.prometheus = Prometheus(f"{name}-prometheus", ctx, gpu_operator, child)
        self.prometheus_address = prometheus_address(settings, platform.facts.prometheus_address)
        # A Prometheus the stack brings gets the same rules, for its operator to load.
        self.external_alert_rules = (
            rules_file(settings, gpu_operator)
            if "prometheus" not in plan and self.prometheus_address is not None
            else None
        )
        if "prometheus-adapter" in plan and self.prometheus_address is not None:
            self.prometheus_adapter = PrometheusAdapter(
                f"{name}-prometheus-adapter",
                ctx,
                self.prometheus_address,
                [self.prometheus.release] if self.prometheus else [],
                child,
            )
        if "nvidia" in plan:
            self.nvidia = Nvidia(f"{name}-nvidia", ctx, child)
        if "cluster-autoscaler" in plan:
            self.cluster_autoscaler = ClusterAutoscaler(f"{name}-cluster-autoscaler", ctx, child)
        if "vpa" in plan:
            self.vpa = VerticalPodAutoscaler(f"{name}-vpa", ctx, child)
        if "lws" in plan:
            self.lws = LeaderWorkerSet(f"{name}-lws", ctx, child)
        if "metrics-server" in plan:
            self.metrics_server = MetricsServer(f"{name}-metrics-server", ctx, child)

        self.chart_dependencies = self._chart_dependencies(settings, platform)
        # What must outlive the model-engine namespaces on `pulumi destroy`: KEDA's operator
        # removes the finalizers of the ScaledObjects the server creates in the endpoint
        # namespace; deleted first, it would leave that namespace Terminating for ever.
        self.namespace_dependencies: list[pulumi.Resource] = (
            [self.keda.release] if self.keda else []
        )
        self.register_outputs(
            {
                "prometheus_address": self.prometheus_address,
                "installed": sorted(plan),
            }
        )

    def _chart_dependencies(
        self, settings: StackSettings, platform: PlatformOutputs
    ) -> list[pulumi.Resource]:
        """Add-ons whose CRDs the chart renders at install: the chart's templates use them."""
        deps: list[pulumi.Resource] = []
        # The chart writes its Telemetry and WasmPlugin into istio-system.
        if istio.ISTIO_NAMESPACE in self.namespaces:
            deps.append(self.namespaces[istio.ISTIO_NAMESPACE])
        if self.istio:
            # Telemetry + WasmPlugin (every non-Azure install), VirtualService and
            # DestinationRule (Istio routing).
            deps += self.istio.chart_dependencies
        if self.keda and renders_trigger_authentication(platform.facts):
            deps.append(self.keda.release)
        if self.vpa and settings.autoscaling.vertical.enabled:
            deps.append(self.vpa.release)
        return deps
