"""Every isolation object as plain data (camelCase manifests), from the stack alone.

The allow-list is what the server's endpoint pods need, read from the chart's service
templates (service_template_config_map.yaml) and the forwarders:

- in: the gateway (Deployment `model-engine` in the release namespace, ServiceAccount
  `model-engine`) calls the endpoint's Service, port 80 -> targetPort FORWARDER_PORT (5000, the
  server's k8s_resource_types.py, for every Service it renders), at its in-cluster name
  (live_sync/streaming_model_endpoint_inference_gateway.py); Prometheus scrapes the sidecars'
  15020 (merged metrics) and 15090 (Envoy's own). Not the Istio ingress gateway: the
  per-endpoint VirtualService on `default/internal-gateway` serves the server's LOCAL mode
  only, and a request through it would reach user code around the gateway's authentication.
- out: cluster DNS; istiod's xDS and CA (15012; 15017 is istiod's webhook port, which only
  the API server calls); the broker only where it is Redis and only for async endpoint pods
  (the async forwarder's Celery broker; SQS and Service Bus are cloud APIs on the internet);
  model weights and cloud APIs on the internet; on GKE the metadata server, which Workload
  Identity needs.
- denied: the database, the control plane's and other namespaces, other endpoints, the
  in-cluster Kubernetes API (no endpoint pod calls it: the forwarders and user containers
  run without a Kubernetes client), private ranges, the cloud metadata endpoint elsewhere
  (EKS IRSA and Azure workload identity read a projected token, not IMDS) and Azure's
  WireServer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.model_engine import chart_facts as cf
from components.settings_base import PRIVATE_NETWORKS

# The label the server's templates put on every pod that runs user code (endpoints, batch
# jobs, the image cache): baseTemplateLabels in the chart's _helpers.tpl.
USER_CODE_LABEL = "use_scale_launch_endpoint_network_policy"
USER_CODE_SELECTOR: dict[str, Any] = {"matchLabels": {USER_CODE_LABEL: "true"}}
# serviceTemplateLabels: endpoint pods only (jobs carry launch_job_id instead).
ENDPOINT_SELECTOR: dict[str, Any] = {
    "matchLabels": {USER_CODE_LABEL: "true"},
    "matchExpressions": [{"key": "endpoint_id", "operator": "Exists"}],
}
# Async endpoint pods only: the server's async templates (deployment-*-async-*) run them
# without a sidecar (`sidecar.istio.io/inject: "false"`, a label sync and streaming pods lack);
# multinode (LeaderWorkerSet) pods carry it too, with a `role`, and are not async.
ASYNC_ENDPOINT_SELECTOR: dict[str, Any] = {
    "matchLabels": {USER_CODE_LABEL: "true", "sidecar.istio.io/inject": "false"},
    "matchExpressions": [
        {"key": "endpoint_id", "operator": "Exists"},
        {"key": "role", "operator": "DoesNotExist"},
    ],
}
# The server's Services for endpoints target this port (k8s_resource_types.py).
FORWARDER_PORT = 5000
# The gateway container's `http` port, which its Service targets (gateway_deployment.yaml).
GATEWAY_PORT = 5000
# Cron triggers (the server's cron-trigger.yaml, live_cron_job_gateway.py): a CronJob in the
# endpoint namespace whose pods carry launch_trigger_id and not the user-code label, run the
# chart's curl image as the namespace's `default` ServiceAccount (the template names none) and
# POST /v1/docker-image-batch-jobs to GATEWAY_URL, the gateway's in-cluster Service.
# Never a user-code pod, whatever labels it carries: user code must not reach the gateway.
CRON_TRIGGER_SELECTOR: dict[str, Any] = {
    "matchExpressions": [
        {"key": "launch_trigger_id", "operator": "Exists"},
        {"key": USER_CODE_LABEL, "operator": "DoesNotExist"},
    ]
}
CRON_TRIGGER_SERVICE_ACCOUNT = "default"
CRON_TRIGGER_PATH = "/v1/docker-image-batch-jobs"
# istio-proxy: merged Prometheus metrics and Envoy's own stats (Prometheus scrapes both;
# neither is captured by the inbound listener, so mTLS and authorization do not apply).
SIDECAR_METRICS_PORTS = (15020, 15090)
ISTIOD_XDS_PORT = 15012
DNS_PORT = 53
METADATA_IP = "169.254.169.254"
# GKE's metadata server, which Workload Identity needs: what the GKE network policy guide
# says to allow (Dataplane V2: the metadata address on 80; the server itself on
# 169.254.169.252:988 from 1.21.0-gke.1000).
GKE_METADATA = (("169.254.169.254/32", 80), ("169.254.169.252/32", 988))
# Not the internet: RFC 1918, carrier-grade NAT (GKE and EKS custom networking use it) and
# link-local (every cloud's instance metadata).
PRIVATE_RANGES = (*PRIVATE_NETWORKS, "169.254.0.0/16")
# Azure's WireServer (and its DNS resolver): a public address every VM reaches, which serves
# the VM agent's extension settings and certificates; user code has no business there
# ("What is IP address 168.63.129.16", Azure Virtual Network docs).
AZURE_WIRESERVER_IP = "168.63.129.16"
# istiod's pods in the Istio chart (istio/istio manifests/charts/istio-control/
# istio-discovery/templates/deployment.yaml: the pod template's `app: istiod`, whatever the
# revision; tests/isolation/test_istio_chart.py checks the rendered chart) and in the managed
# meshes that run it in-cluster (AKS's add-on); its namespace and the trust domain are the
# stack's (Scope).
ISTIOD_LABELS = {"app": "istiod"}
DNS_NAMESPACE = "kube-system"
# The cluster DNS pods' label: CoreDNS's Deployment keeps kube-dns's `k8s-app: kube-dns`
# (kubernetes/kubernetes cluster/addons/dns/coredns/coredns.yaml.base, and the managed
# CoreDNS of EKS, AKS, GKE's kube-dns, kind and k3s); the clusters' add-ons are not charts the
# program renders, so no test renders them.
DNS_LABELS = {"k8s-app": "kube-dns"}
NAME_LABEL = "kubernetes.io/metadata.name"
# Where callers put the operator's token when isolation.gatewayAuth is set.
TOKEN_HEADER = "x-model-engine-token"


@dataclass(frozen=True)
class Scope:
    """What the policies depend on, resolved before deploy."""

    cloud_provider: str  # aws | azure | gcp | onprem
    release_namespace: str
    endpoint_namespace: str
    istio: bool
    prometheus_namespace: str | None
    broker: str  # sqs | servicebus | redis
    cache_port: int
    # Where istiod runs and the mesh's trust domain (isolation.istiodNamespace, trustDomain).
    istiod_namespace: str
    trust_domain: str
    # The namespace of the in-cluster services (existing.*.install), when any runs there.
    data_namespace: str | None = None
    object_store_port: int | None = None
    redis_in_cluster: bool = False
    gateway_auth: Mapping[str, Any] | None = None
    # isolation.privateEgress: (cidr, ports) the stack names.
    private_egress: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # Where the cloud's services answer (for the matrix: the policies do not change): the
    # cache on a public endpoint (Azure without privateAccess), the broker on a private
    # endpoint among private_egress (Azure Premium Service Bus with privateAccess).
    cache_public: bool = False
    broker_private: bool = False


def scope_from(inputs: Mapping[str, Any]) -> Scope:
    """A Scope from its recorded form (a component's inputs: lists for tuples, floats for
    numbers, None left out)."""
    fields: dict[str, Any] = {f: inputs.get(f) for f in Scope.__dataclass_fields__}
    return Scope(
        **{
            **fields,
            "cache_port": int(fields["cache_port"]),
            "object_store_port": (
                int(fields["object_store_port"]) if fields["object_store_port"] else None
            ),
            "redis_in_cluster": bool(fields["redis_in_cluster"]),
            "cache_public": bool(fields["cache_public"]),
            "broker_private": bool(fields["broker_private"]),
            "private_egress": tuple(
                (str(cidr), tuple(int(p) for p in ports))
                for cidr, ports in fields["private_egress"] or ()
            ),
        }
    )


def _ns(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {NAME_LABEL: name}}}


def _ports(*ports: int, protocol: str = "TCP") -> list[dict[str, Any]]:
    return [{"protocol": protocol, "port": p} for p in ports]


def _netpol(name: str, scope: Scope, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": scope.endpoint_namespace},
        "spec": spec,
    }


def default_deny(scope: Scope) -> dict[str, Any]:
    """Every pod in the endpoint namespace: nothing in, nothing out, unless allowed below."""
    return _netpol("default-deny", scope, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def gateway_peer(scope: Scope) -> dict[str, Any]:
    return {
        **_ns(scope.release_namespace),
        "podSelector": {"matchLabels": {"app": cf.CONTROL_PLANE_SERVICE_ACCOUNT}},
    }


def endpoint_ingress(scope: Scope) -> dict[str, Any]:
    rules: list[dict[str, Any]] = [{"from": [gateway_peer(scope)], "ports": _ports(FORWARDER_PORT)}]
    if scope.istio and scope.prometheus_namespace:
        rules.append(
            {"from": [_ns(scope.prometheus_namespace)], "ports": _ports(*SIDECAR_METRICS_PORTS)}
        )
    return _netpol(
        "endpoint-ingress",
        scope,
        {"podSelector": ENDPOINT_SELECTOR, "policyTypes": ["Ingress"], "ingress": rules},
    )


def _internet_except(scope: Scope) -> list[str]:
    """What the internet rule leaves out: the private ranges, and on Azure the WireServer,
    a public address that is the platform's, not the internet's."""
    wireserver = [f"{AZURE_WIRESERVER_IP}/32"] if scope.cloud_provider == "azure" else []
    return [*PRIVATE_RANGES, *wireserver]


def _internet(scope: Scope) -> list[dict[str, Any]]:
    rules = [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": _internet_except(scope)}}]}]
    if scope.cloud_provider == "gcp":
        rules += [
            {"to": [{"ipBlock": {"cidr": cidr}}], "ports": _ports(port)}
            for cidr, port in GKE_METADATA
        ]
    return rules


def _broker(scope: Scope) -> list[dict[str, Any]]:
    """The async forwarder's Celery broker when it is Redis (SQS and Service Bus are on the
    internet). A cloud Redis has a private address the plan cannot know: the private ranges,
    on the Redis port only."""
    if scope.broker != "redis":
        return []
    if scope.redis_in_cluster and scope.data_namespace:
        return [{"to": [_ns(scope.data_namespace)], "ports": _ports(scope.cache_port)}]
    private = [{"ipBlock": {"cidr": cidr}} for cidr in PRIVATE_NETWORKS]
    return [{"to": private, "ports": _ports(scope.cache_port)}]


def _dns() -> dict[str, Any]:
    return {
        "to": [{**_ns(DNS_NAMESPACE), "podSelector": {"matchLabels": DNS_LABELS}}],
        "ports": _ports(DNS_PORT, protocol="UDP") + _ports(DNS_PORT),
    }


def _istiod(scope: Scope) -> list[dict[str, Any]]:
    if not scope.istio:
        return []
    peer = {**_ns(scope.istiod_namespace), "podSelector": {"matchLabels": ISTIOD_LABELS}}
    return [{"to": [peer], "ports": _ports(ISTIOD_XDS_PORT)}]


def user_code_egress(scope: Scope) -> dict[str, Any]:
    rules: list[dict[str, Any]] = [_dns(), *_internet(scope), *_istiod(scope)]
    if scope.data_namespace and scope.object_store_port:
        # Model weights and results in the in-cluster S3 store (existing.objectStorage.install).
        rules.append({"to": [_ns(scope.data_namespace)], "ports": _ports(scope.object_store_port)})
    for cidr, ports in scope.private_egress:
        rules.append({"to": [{"ipBlock": {"cidr": cidr}}], "ports": _ports(*ports)})
    return _netpol(
        "user-code-egress",
        scope,
        {"podSelector": USER_CODE_SELECTOR, "policyTypes": ["Egress"], "egress": rules},
    )


def async_broker_egress(scope: Scope) -> dict[str, Any] | None:
    """The Redis broker for the async forwarders only (Memorystore has no AUTH: every pod
    that reaches it reads every endpoint's queue)."""
    rules = _broker(scope)
    if not rules:
        return None
    return _netpol(
        "async-broker-egress",
        scope,
        {"podSelector": ASYNC_ENDPOINT_SELECTOR, "policyTypes": ["Egress"], "egress": rules},
    )


def cron_trigger_egress(scope: Scope) -> dict[str, Any]:
    """A cron trigger's pod calls the gateway and nothing else (its sidecar: istiod)."""
    rules = [
        _dns(),
        *_istiod(scope),
        {"to": [gateway_peer(scope)], "ports": _ports(GATEWAY_PORT)},
    ]
    return _netpol(
        "cron-trigger-egress",
        scope,
        {"podSelector": CRON_TRIGGER_SELECTOR, "policyTypes": ["Egress"], "egress": rules},
    )


def network_policies(scope: Scope) -> list[dict[str, Any]]:
    broker = async_broker_egress(scope)
    return [
        default_deny(scope),
        endpoint_ingress(scope),
        user_code_egress(scope),
        *([broker] if broker else []),
        cron_trigger_egress(scope),
    ]


def principal(trust_domain: str, namespace: str, service_account: str) -> str:
    return f"{trust_domain}/ns/{namespace}/sa/{service_account}"


def admitted_principals(scope: Scope) -> list[str]:
    """Who may call an endpoint pod through the mesh: the gateway's pods."""
    return [
        principal(scope.trust_domain, scope.release_namespace, cf.CONTROL_PLANE_SERVICE_ACCOUNT)
    ]


def mesh_policies(scope: Scope) -> list[dict[str, Any]]:
    """STRICT mTLS in the endpoint namespace and an ALLOW list of the callers' identities.
    Prometheus scrapes ports the inbound listener does not capture (SIDECAR_METRICS_PORTS),
    so it needs no identity here."""
    if not scope.istio:
        return []
    ns = scope.endpoint_namespace
    return [
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": {"name": "strict", "namespace": ns},
            "spec": {"mtls": {"mode": "STRICT"}},
        },
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": {"name": "gateway-only", "namespace": ns},
            "spec": {
                "action": "ALLOW",
                "rules": [{"from": [{"source": {"principals": admitted_principals(scope)}}]}],
            },
        },
    ]


def gateway_auth_policies(scope: Scope) -> list[dict[str, Any]]:
    """The operator's OIDC issuer in front of the gateway's pods: a request without a valid
    token from it is refused before the server (which accepts any basic-auth user) sees it."""
    auth = scope.gateway_auth
    if not scope.istio or auth is None:
        return []
    selector = {"matchLabels": {"app": cf.CONTROL_PLANE_SERVICE_ACCOUNT}}
    ns = scope.release_namespace
    return [
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "RequestAuthentication",
            "metadata": {"name": "gateway-oidc", "namespace": ns},
            "spec": {
                "selector": selector,
                "jwtRules": [
                    {
                        "issuer": auth["issuer"],
                        "jwksUri": auth["jwks_uri"],
                        "audiences": list(auth["audiences"]),
                        # Not Authorization: the server reads a bearer token there as the
                        # user name, and its clients send basic auth in it.
                        "fromHeaders": [{"name": TOKEN_HEADER}],
                        "forwardOriginalToken": False,
                    }
                ],
            },
        },
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": {"name": "gateway-require-token", "namespace": ns},
            "spec": {
                "selector": selector,
                "action": "ALLOW",
                "rules": [
                    {"from": [{"source": {"requestPrincipals": ["*"]}}]},
                    # Cron triggers send basic auth only: their identity admits them to the
                    # one call they make (a token-holding caller created the trigger).
                    {
                        "from": [{"source": {"principals": [cron_trigger_principal(scope)]}}],
                        "to": [{"operation": {"methods": ["POST"], "paths": [CRON_TRIGGER_PATH]}}],
                    },
                ],
            },
        },
    ]


def cron_trigger_principal(scope: Scope) -> str:
    return principal(scope.trust_domain, scope.endpoint_namespace, CRON_TRIGGER_SERVICE_ACCOUNT)


def manifests(scope: Scope) -> list[dict[str, Any]]:
    return [*network_policies(scope), *mesh_policies(scope), *gateway_auth_policies(scope)]


def by_kind(objects: Sequence[Mapping[str, Any]], kind: str) -> list[Mapping[str, Any]]:
    return [o for o in objects if o["kind"] == kind]
