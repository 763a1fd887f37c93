"""Who an endpoint pod can reach: computed from the policies the program emits (policies.py)
through the evaluator (netpol.py), never written by hand. Every "yes" carries its reason; a
"yes" no reason explains reads UNEXPLAINED, which the tests refuse.

Cloud services have private addresses the plan cannot know; a representative address of the
same kind stands for each (RFC 1918 for the database, Redis and the in-cluster Kubernetes
Service; a public address for cloud APIs and model weights).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.isolation import netpol
from components.isolation import policies as pol
from components.model_engine import chart_facts as cf

UNEXPLAINED = "UNEXPLAINED"
_PRIVATE_SERVICE_IP = "10.20.0.5"  # a VPC address: RDS, Cloud SQL, Azure Flexible Server, Redis
_KUBERNETES_SERVICE_IP = "10.96.0.1"
_NODE_IP = "10.20.1.10"  # the pod's own node, in the nodes' subnet
KUBELET_PORT = 10250
# The EKS network policy agent allows all traffic to and from the pod's node IP whatever the
# policies say (aws/aws-network-policy-agent#65, for the kubelet's probes). Cilium (AKS) and
# Dataplane V2 (GKE) do not match the node by ipBlock, so the default deny holds there.
_AWS_NODE = (
    "the VPC CNI's network policy agent always allows the pod's node IP: the kubelet "
    "(authenticated) and host-network pods' ports"
)
_PUBLIC_IP = "52.216.8.10"  # an S3 / cloud API / Hugging Face address
POSTGRES_PORT = 5432
PROMETHEUS_PORT = 9090
HTTPS_PORT = 443
AMQPS_PORT = 5671
AZURE_WIRESERVER = f"Azure WireServer ({pol.AZURE_WIRESERVER_IP})"


@dataclass(frozen=True)
class Cell:
    destination: str
    reachable: bool
    why: str
    # What the policies allow: differs from `reachable` only where the CNI ignores them.
    by_policy: bool


@dataclass(frozen=True)
class _Target:
    name: str
    peer: netpol.Peer
    port: int
    protocol: str = "TCP"
    # From an async endpoint pod (the Redis broker's only clients among user code).
    from_async: bool = False
    # Why the CNI admits it whatever the policies say ("" when it follows them).
    cni_allows: str = ""


def endpoint_pod(scope: pol.Scope, endpoint_id: str = "end_a") -> netpol.Pod:
    """An endpoint pod as the server's service template labels it."""
    return netpol.Pod(
        scope.endpoint_namespace,
        {pol.USER_CODE_LABEL: "true", "endpoint_id": endpoint_id, "app": f"launch-{endpoint_id}"},
    )


def async_endpoint_pod(scope: pol.Scope, endpoint_id: str = "end_a") -> netpol.Pod:
    """An async endpoint pod as the server's async templates label it (no sidecar)."""
    pod = endpoint_pod(scope, endpoint_id)
    return netpol.Pod(pod.namespace, {**pod.labels, "sidecar.istio.io/inject": "false"})


def _data_pod(scope: pol.Scope, ip: str) -> netpol.Peer:
    if scope.data_namespace:
        return netpol.Pod(scope.data_namespace, {"app": "service"})
    return netpol.External(ip)


def _targets(scope: pol.Scope) -> list[_Target]:
    cache = (
        _data_pod(scope, _PRIVATE_SERVICE_IP)
        if scope.redis_in_cluster
        else netpol.External(_PUBLIC_IP if scope.cache_public else _PRIVATE_SERVICE_IP)
    )
    if scope.broker == "redis":
        broker = _Target("broker (Redis)", cache, scope.cache_port, from_async=True)
    elif scope.broker_private:  # Service Bus's private endpoint, AMQP over TLS
        address = _first_host(scope.private_egress[-1][0])
        broker = _Target(f"broker ({scope.broker})", netpol.External(address), AMQPS_PORT)
    else:
        broker = _Target(f"broker ({scope.broker})", netpol.External(_PUBLIC_IP), HTTPS_PORT)
    metadata_port = 80
    if scope.object_store_port and scope.data_namespace:
        store = _Target("object store", _data_pod(scope, ""), scope.object_store_port)
    elif scope.cloud_provider == "azure" and scope.private_egress:  # Blob's private endpoint
        address = _first_host(scope.private_egress[-1][0])
        store = _Target("object store", netpol.External(address), HTTPS_PORT)
    elif scope.cloud_provider == "onprem":  # your own store: most likely a private address
        store = _Target("object store", netpol.External(_PRIVATE_SERVICE_IP), HTTPS_PORT)
    else:
        store = _Target("object store", netpol.External(_PUBLIC_IP), HTTPS_PORT)
    named = [
        _Target(f"privateEgress {cidr}", netpol.External(_first_host(cidr)), ports[0])
        for cidr, ports in scope.private_egress
    ]
    return [
        store,
        *named,
        _Target("database", _data_pod(scope, _PRIVATE_SERVICE_IP), POSTGRES_PORT),
        _Target("cache (Redis)", cache, scope.cache_port, from_async=scope.broker == "redis"),
        broker,
        _Target(
            "Prometheus",
            netpol.Pod(scope.prometheus_namespace or "monitoring", {"app": "prometheus"}),
            PROMETHEUS_PORT,
        ),
        _Target("another endpoint", endpoint_pod(scope, "end_b"), pol.FORWARDER_PORT),
        _Target(
            "control plane (gateway pod)",
            netpol.Pod(scope.release_namespace, {"app": cf.CONTROL_PLANE_SERVICE_ACCOUNT}),
            pol.FORWARDER_PORT,
        ),
        _Target(
            "Kubernetes API (in-cluster Service)",
            netpol.External(_KUBERNETES_SERVICE_IP),
            HTTPS_PORT,
        ),
        _Target(
            "node (kubelet, host-network pods)",
            netpol.External(_NODE_IP),
            KUBELET_PORT,
            cni_allows=_AWS_NODE if scope.cloud_provider == "aws" else "",
        ),
        _Target(
            "cloud metadata (169.254.169.254)", netpol.External(pol.METADATA_IP), metadata_port
        ),
        *(
            [_Target(AZURE_WIRESERVER, netpol.External(pol.AZURE_WIRESERVER_IP), 80)]
            if scope.cloud_provider == "azure"
            else []
        ),
        _Target("internet (model weights, cloud APIs)", netpol.External(_PUBLIC_IP), HTTPS_PORT),
        _Target(
            "cluster DNS",
            netpol.Pod(pol.DNS_NAMESPACE, dict(pol.DNS_LABELS)),
            pol.DNS_PORT,
            "UDP",
        ),
        _Target(
            "istiod",
            netpol.Pod(scope.istiod_namespace, dict(pol.ISTIOD_LABELS)),
            pol.ISTIOD_XDS_PORT,
        ),
    ]


def _first_host(cidr: str) -> str:
    network = ipaddress.ip_network(cidr, strict=False)
    return str(next(network.hosts(), network.network_address))


def _reason(scope: pol.Scope, destination: str) -> str:
    """Why an allowed destination is allowed (UNEXPLAINED when nothing should allow it)."""
    if destination.startswith("privateEgress ") and scope.cloud_provider == "azure":
        return (
            "the subnet of the Blob and Service Bus private endpoints, nothing else in it "
            "(azure.network.privateAccess), 443/5671"
        )
    if destination.startswith("privateEgress "):
        return "named by the stack (isolation.privateEgress)"
    if destination == "object store":
        if scope.object_store_port:
            return "model weights and results in the in-cluster S3 store, its port only"
        if scope.cloud_provider == "azure" and scope.private_egress:
            return "model weights and results: Blob's private endpoint"
        if scope.cloud_provider != "onprem":
            return "model weights and results: the cloud's object store, on the internet"
        if scope.private_egress:
            return "model weights and results: your store's private address, named by the stack"
    redis = destination.startswith("broker (Redis)") or destination == "cache (Redis)"
    if redis and scope.broker == "redis":
        return (
            "async endpoint pods only: the async forwarder's Celery broker is Redis "
            "(celeryBrokerType redis); only the Redis port"
        )
    if destination.startswith("broker (") and scope.broker_private:
        return f"{scope.broker}'s private endpoint (Premium, azure.network.privateAccess), 5671"
    if destination.startswith("broker (") and scope.broker != "redis":
        return f"{scope.broker} is a cloud API on the internet: the internet rule"
    if destination == "cache (Redis)" and scope.cache_public:
        return (
            "Managed Redis on its public endpoint (azure.network.privateAccess: false): the "
            "internet rule; it admits the control-plane identity's Entra token, which user "
            "code can obtain (README, azure: What user code can reach)"
        )
    if destination == "internet (model weights, cloud APIs)":
        return "model weights, the forwarders' object store and queues, cloud identity APIs"
    if destination == "cloud metadata (169.254.169.254)" and scope.cloud_provider == "gcp":
        return (
            "GKE Workload Identity: the GKE metadata server (169.254.169.254:80, "
            "169.254.169.252:988) issues the pod's token"
        )
    if destination == "cluster DNS":
        return "every name lookup (kube-dns, port 53)"
    if destination == "istiod" and scope.istio:
        return "the sidecar's configuration and certificate (xDS and CA, 15012)"
    return UNEXPLAINED


def matrix(
    scope: pol.Scope, enforced: bool, objects: Sequence[Mapping[str, Any]] | None = None
) -> list[Cell]:
    """The cells for an endpoint pod, from `objects` (the NetworkPolicies a run registered;
    default: the ones policies.py makes for the scope)."""
    if objects is None:
        objects = pol.network_policies(scope)
    cells = []
    for target in _targets(scope):
        src = async_endpoint_pod(scope) if target.from_async else endpoint_pod(scope)
        ok = netpol.allowed(src, target.peer, target.port, objects, protocol=target.protocol)
        why = _reason(scope, target.name) if ok else target.cni_allows
        if not enforced:
            why = "the CNI does not enforce NetworkPolicy" + (f" (and: {why})" if why else "")
        cells.append(Cell(target.name, ok or not enforced or bool(target.cni_allows), why, ok))
    return cells


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def markdown(cells: Sequence[Cell]) -> str:
    lines = [
        "| endpoint pod → | reachable | by the policies | why |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {c.destination} | {_yes(c.reachable)} | {_yes(c.by_policy)} | {c.why} |" for c in cells
    ]
    return "\n".join(lines)


def as_dict(cells: Sequence[Cell]) -> dict[str, Any]:
    return {c.destination: c.reachable for c in cells}
