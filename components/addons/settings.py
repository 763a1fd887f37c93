"""The `addons` block of the stack file: cluster add-ons the model-engine chart relies on.

Every add-on is on by default, so a fresh cluster gets all it needs; turn one off
(`enabled: false`) when the cluster already runs it. Chart versions default to the pins in
`components/addons/versions.py`; `version` overrides one, and `values` is merged last over
the values the program derives (for what the program does not model).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from components.settings_base import (
    ContainerQuantities,
    Model,
    Quantity,
    checked,
    dns_label,
    ordered,
)

_CHART_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$")
_PROM_DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
_PROM_SIZE = re.compile(r"^\d+(\.\d+)?(B|KB|MB|GB|TB|PB|EB)$")


def _chart_version(v: str | None) -> str | None:
    if v is not None and not _CHART_VERSION.match(v):
        raise ValueError(
            f"{v!r} is not an exact chart version such as 1.2.3; ranges and `latest` would "
            "let a later `pulumi up` install something untested"
        )
    return v


class _Chart(Model):
    # None: the version pinned in components/addons/versions.py.
    version: str | None = None
    # Helm values merged last over the derived ones.
    values: dict[str, Any] = {}

    _version = field_validator("version")(_chart_version)


class _Addon(_Chart):
    enabled: bool = True


class IstioGateway(Model):
    """The internal ingress gateway: one Deployment + Service named after the first entry
    of `istio.gateways` (`<namespace>/<name>`), and a Gateway object per entry."""

    enabled: bool = True
    # Helm waits for a LoadBalancer's address: on a cluster without a load-balancer
    # implementation (bare metal without MetalLB) use NodePort.
    service_type: Literal["LoadBalancer", "NodePort", "ClusterIP"] = "LoadBalancer"
    # None: the cloud's internal load-balancer annotations (see istio.INTERNAL_LB).
    service_annotations: dict[str, str] | None = None
    min_replicas: int = Field(default=2, ge=1)
    max_replicas: int = Field(default=5, ge=1)
    values: dict[str, Any] = {}

    @model_validator(mode="after")
    def _replicas(self) -> IstioGateway:
        return ordered(self, "min_replicas", "max_replicas")


class IstioAddon(_Addon):
    """Istio base (CRDs) and istiod in istio-system (fixed: the chart renders its Telemetry
    and WasmPlugin there), plus the internal gateway. `values` apply to istiod."""

    base_values: dict[str, Any] = {}
    gateway: IstioGateway = IstioGateway()


class KedaAddon(_Addon):
    # The operator's workload identity is bound to this namespace (keda-operator SA).
    namespace: str = "keda"

    _ns = field_validator("namespace")(dns_label)


class PrometheusAddon(_Chart):
    # None: install one unless the stack already names a Prometheus (prometheusAddress, or
    # the platform's); true with a named one is a contradiction the program rejects.
    enabled: bool | None = None
    namespace: str = "monitoring"
    retention: str = "15d"
    # Prometheus deletes the oldest blocks beyond this size, e.g. 45GB; None: time only.
    retention_size: str | None = None
    storage_size: Quantity = "50Gi"
    # None: the cluster's default StorageClass.
    storage_class: str | None = None

    _ns = field_validator("namespace")(dns_label)

    _retention = field_validator("retention")(
        checked(_PROM_DURATION.match, "{value!r} is not a Prometheus duration such as 15d or 12h")
    )

    @field_validator("retention_size")
    @classmethod
    def _retention_size(cls, v: str | None) -> str | None:
        if v is not None and not _PROM_SIZE.match(v):
            raise ValueError(f"{v!r} is not a Prometheus size such as 45GB (units B..EB)")
        return v


class PrometheusAdapterAddon(_Addon):
    """Serves the pod custom metric `request-concurrency-average` from the Prometheus the
    add-ons install, or from the stack's prometheusAddress when that one is off."""

    namespace: str = "monitoring"

    _ns = field_validator("namespace")(dns_label)


class NvidiaAddon(Model):
    """NVIDIA device plugin, or the GPU operator with its MIG manager when a pool uses a MIG
    accelerator (`mode: auto`). `values` apply to whichever chart is installed."""

    # None: installed unless the managed cluster runs its own (GKE); true there is refused.
    enabled: bool | None = None
    mode: Literal["auto", "device-plugin", "gpu-operator"] = "auto"
    namespace: str = "nvidia"
    device_plugin_version: str | None = None
    gpu_operator_version: str | None = None
    # GPU operator only. Cloud GPU node images (EKS/GKE/AKS accelerated AMIs) ship the
    # driver and container toolkit; set these on plain OS images.
    install_driver: bool = False
    install_toolkit: bool = False
    # Reboot a node to apply a MIG layout (NVIDIA advises it on some cloud VMs).
    mig_with_reboot: bool = False
    values: dict[str, Any] = {}

    _ns = field_validator("namespace")(dns_label)
    _versions = field_validator("device_plugin_version", "gpu_operator_version")(_chart_version)


class ClusterAutoscalerAddon(_Addon):
    """Installed only where the platform scales node groups through it (AWS)."""

    # The workload identity's trust policy names this namespace (SA cluster-autoscaler).
    namespace: str = "kube-system"
    # Should match the cluster's Kubernetes minor version, e.g. v1.33.6; None: the chart's.
    image_tag: str | None = None

    _ns = field_validator("namespace")(dns_label)


class VpaAddon(_Chart):
    # None: install exactly when autoscaling.vertical is on (the chart then renders VPAs).
    enabled: bool | None = None
    namespace: str = "kube-system"

    _ns = field_validator("namespace")(dns_label)


class LwsResources(Model):
    """The LeaderWorkerSet controller's requests and limits. The chart asks 1 CPU and 1Gi,
    an eighth of a default system node, for a controller that idles at a few millicores and
    some tens of MiB (controller-runtime, one replica)."""

    requests: ContainerQuantities = ContainerQuantities(cpu="100m", memory="128Mi")
    limits: ContainerQuantities = ContainerQuantities(cpu="500m", memory="512Mi")


class LwsAddon(_Addon):
    namespace: str = "lws-system"
    resources: LwsResources = LwsResources()

    _ns = field_validator("namespace")(dns_label)


class MetricsServerAddon(_Chart):
    """Installed unless the managed cluster runs its own (AKS, GKE); turn off where another
    one runs already (an existing cluster, EKS with the add-on)."""

    # None: installed unless the managed cluster runs its own; true there is refused.
    enabled: bool | None = None
    namespace: str = "kube-system"

    _ns = field_validator("namespace")(dns_label)


class AddonsSettings(Model):
    istio: IstioAddon = IstioAddon()
    keda: KedaAddon = KedaAddon()
    prometheus: PrometheusAddon = PrometheusAddon()
    prometheus_adapter: PrometheusAdapterAddon = PrometheusAdapterAddon()
    nvidia: NvidiaAddon = NvidiaAddon()
    cluster_autoscaler: ClusterAutoscalerAddon = ClusterAutoscalerAddon()
    vpa: VpaAddon = VpaAddon()
    lws: LwsAddon = LwsAddon()
    metrics_server: MetricsServerAddon = MetricsServerAddon()
    # Namespaces the cluster already has: add-ons installed there never create them.
    existing_namespaces: list[str] = []

    @field_validator("existing_namespaces")
    @classmethod
    def _namespaces(cls, v: list[str]) -> list[str]:
        return [dns_label(n) for n in v]
