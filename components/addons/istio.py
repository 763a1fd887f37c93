"""Istio: base (CRDs), istiod, and the internal ingress gateway with its Gateway objects.

The model-engine chart renders Istio Telemetry and WasmPlugin into istio-system on every
non-Azure install, and VirtualService/DestinationRule when Istio routing is on, so the
base chart's CRDs must exist before the chart installs. Endpoint VirtualServices the
server creates at run time hard-code the gateway `default/internal-gateway`; that Gateway
object is created here alongside the ones `istio.gateways` names.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pulumi

from components.addons.base import AddonContext, helm_release
from components.sdk import lazy
from components.settings import StackSettings

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")

# Fixed: the chart writes its Telemetry and WasmPlugin here and istiod's root namespace
# must be the same for them to apply.
ISTIO_NAMESPACE = "istio-system"
# The gateway the server's endpoint VirtualServices name (service_template_config_map.yaml).
ENDPOINT_GATEWAY = "default/internal-gateway"
GATEWAY_API_VERSION = "networking.istio.io/v1"
# Istio's releases on Docker Hub: docker.io/istio/{pilot,proxyv2}.
DOCKER_HUB_PATH = "istio"
HTTP_PORT = 80

# Annotations that keep the gateway's LoadBalancer Service inside the network, per cloud.
# AWS: `type: nlb` + `internal` drive the in-tree controller, `scheme` the AWS Load Balancer
# Controller (which treats `internal` as deprecated); both end with an internal NLB.
INTERNAL_LB: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "aws": {
            "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
            "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
            "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
        },
        "gcp": {"networking.gke.io/load-balancer-type": "Internal"},
        "azure": {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"},
        "onprem": {},
    }
)


def _split(ref: str) -> tuple[str, str]:
    namespace, name = ref.split("/")
    return namespace, name


def gateway_refs(settings: StackSettings) -> list[tuple[str, str]]:
    """(namespace, name) of every Gateway object: the stack's, then the endpoints' one."""
    refs = list(settings.istio.gateways)
    if ENDPOINT_GATEWAY not in refs:
        refs.append(ENDPOINT_GATEWAY)
    return [_split(r) for r in dict.fromkeys(refs)]


def gateway_workload(settings: StackSettings) -> tuple[str, str]:
    """Namespace and name of the gateway Deployment: the first gateway the stack names."""
    return gateway_refs(settings)[0]


def installs_mesh(settings: StackSettings) -> bool:
    """istiod and the gateway only when Istio routing is on; the CRDs always."""
    return settings.istio.enabled


def installs_gateway(settings: StackSettings) -> bool:
    return installs_mesh(settings) and settings.addons.istio.gateway.enabled


def namespaces(settings: StackSettings) -> list[str]:
    names = [ISTIO_NAMESPACE]
    if installs_gateway(settings):
        names += [ns for ns, _ in gateway_refs(settings)]
    return list(dict.fromkeys(names))


HTTPS_PORT = 443
# The gateway chart's own status port (kept when the ports are listed).
STATUS_PORT = 15021


def gateway_values(
    settings: StackSettings,
    cloud_provider: str,
    tls_annotations: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    cfg = settings.addons.istio.gateway
    _, name = gateway_workload(settings)
    annotations = cfg.service_annotations
    if annotations is None:
        lb = cfg.service_type == "LoadBalancer"
        annotations = dict(INTERNAL_LB.get(cloud_provider, {})) if lb else {}
    service: dict[str, Any] = {
        "type": cfg.service_type,
        "annotations": {**annotations, **(tls_annotations or {})},
    }
    if tls_annotations:
        # The load balancer terminates TLS on 443 and hands plain HTTP to the gateway's
        # HTTP listener, which the Gateway objects serve.
        service["ports"] = [
            {"name": "status-port", "port": STATUS_PORT, "targetPort": STATUS_PORT},
            {"name": "http2", "port": HTTP_PORT, "targetPort": HTTP_PORT},
            {"name": "https", "port": HTTPS_PORT, "targetPort": HTTP_PORT},
        ]
    return {
        "name": name,
        # Gateway objects select the workload by `istio: <name>`.
        "labels": {"app": name, "istio": name},
        "service": service,
        "autoscaling": {"minReplicas": cfg.min_replicas, "maxReplicas": cfg.max_replicas},
    }


def istiod_values(docker_hub_mirror: pulumi.Input[str] | None) -> dict[str, Any]:
    # Sidecars advertise merged Envoy + app metrics through prometheus.io annotations, which
    # the Prometheus add-on scrapes (istio.io default, kept explicit because the
    # request-concurrency metric depends on it).
    values: dict[str, Any] = {"meshConfig": {"enablePrometheusMerge": True}}
    if docker_hub_mirror is not None:
        # istiod's image and every injected proxy (the gateway's too: its image is `auto`,
        # filled in by the injector) come from global.hub.
        values["global"] = {
            "hub": pulumi.Output.from_input(docker_hub_mirror).apply(
                lambda mirror: f"{mirror}/{DOCKER_HUB_PATH}"
            )
        }
    return values


def gateway_spec(workload_name: str) -> dict[str, Any]:
    # Any host: VirtualServices pick theirs (the control plane's hosts, and one per endpoint
    # under the DNS domain); the gateway is internal, its Service says so.
    return {
        "selector": {"istio": workload_name},
        "servers": [
            {
                "port": {"number": HTTP_PORT, "name": "http", "protocol": "HTTP"},
                "hosts": ["*"],
            }
        ],
    }


class Istio(pulumi.ComponentResource):
    base: k8s.helm.v3.Release
    istiod: k8s.helm.v3.Release | None
    gateway: k8s.helm.v3.Release | None
    gateways: list[k8s.apiextensions.CustomResource]

    def __init__(self, name: str, ctx: AddonContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:addons:Istio", name, None, opts)
        settings = ctx.settings
        cfg = settings.addons.istio
        self.istiod = None
        self.gateway = None
        self.gateways = []

        self.base = helm_release(
            f"{name}-base",
            "istio-base",
            ctx=ctx,
            parent=self,
            release_name="istio-base",
            namespace=ISTIO_NAMESPACE,
            values={"defaultRevision": "default"},
            overrides=cfg.base_values,
            version=cfg.version,
        )
        if installs_mesh(settings):
            self.istiod = helm_release(
                f"{name}-istiod",
                "istiod",
                ctx=ctx,
                parent=self,
                release_name="istiod",
                namespace=ISTIO_NAMESPACE,
                values=istiod_values(ctx.platform.facts.registry.docker_hub_mirror),
                overrides=cfg.values,
                version=cfg.version,
                depends_on=[self.base],
            )
        if installs_gateway(settings) and self.istiod is not None:
            ns, workload = gateway_workload(settings)
            self.gateway = helm_release(
                f"{name}-gateway",
                "istio-gateway",
                ctx=ctx,
                parent=self,
                release_name=workload,
                namespace=ns,
                values=gateway_values(
                    settings,
                    ctx.platform.facts.cloud_provider,
                    ctx.platform.gateway_tls_annotations,
                ),
                overrides=cfg.gateway.values,
                version=cfg.version,
                # Gateway pods get their proxy from istiod's injector.
                depends_on=[self.istiod],
            )
            for gw_ns, gw_name in gateway_refs(settings):
                self.gateways.append(
                    k8s.apiextensions.CustomResource(
                        f"{name}-gateway-{gw_ns}-{gw_name}",
                        api_version=GATEWAY_API_VERSION,
                        kind="Gateway",
                        metadata=k8s.meta.v1.ObjectMetaArgs(name=gw_name, namespace=gw_ns),
                        spec=gateway_spec(workload),
                        # The CRD comes with base; istiod validates Istio objects.
                        opts=ctx.opts(self, [self.base, self.istiod, *ctx.namespace_deps(gw_ns)]),
                    )
                )
        self.register_outputs(
            {
                "base": self.base.name,
                "istiod": self.istiod.name if self.istiod else None,
                "gateway": self.gateway.name if self.gateway else None,
            }
        )

    @property
    def chart_dependencies(self) -> list[pulumi.Resource]:
        """The chart's Istio objects need the CRDs, and istiod's webhook to admit them."""
        return [r for r in (self.base, self.istiod) if r is not None]
