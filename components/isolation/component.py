"""The one component that emits the isolation objects (policies.py), and the scope they are
computed from: the validated stack and the platform's facts known before deploy."""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi

from components.addons.addons import installs_prometheus
from components.contract import PlatformFacts
from components.incluster.object_store import S3_PORT
from components.isolation import policies as pol
from components.model_engine.guards import Finding
from components.platform import Platform
from components.sdk import lazy
from components.settings import PROJECT, StackSettings
from components.settings_base import SettingsError

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")

DEFAULT_REDIS_PORT = 6379


def _prometheus_namespace(settings: StackSettings, facts: PlatformFacts) -> str | None:
    """The namespace Prometheus scrapes from: the add-on's, or the one a named in-cluster
    address (http://<service>.<namespace>.svc...) shows."""
    if installs_prometheus(settings, facts.prometheus_address):
        return settings.addons.prometheus.namespace
    address = settings.prometheus_address or facts.prometheus_address
    if not isinstance(address, str):
        return None
    host = (urllib.parse.urlsplit(address).hostname or "").split(".")
    return host[1] if len(host) > 2 and host[2] == "svc" else None


def scope(settings: StackSettings, facts: PlatformFacts) -> pol.Scope:
    existing = settings.existing if settings.cloud == "existing" else None
    installs = existing is not None and existing.installs_anything
    port = facts.cache.port if isinstance(facts.cache.port, int) else DEFAULT_REDIS_PORT
    auth = settings.isolation.gateway_auth
    return pol.Scope(
        cloud_provider=facts.cloud_provider,
        release_namespace=settings.namespaces.release,
        endpoint_namespace=settings.namespaces.endpoints,
        istio=settings.istio.enabled,
        prometheus_namespace=_prometheus_namespace(settings, facts),
        broker=facts.broker.kind,
        cache_port=port,
        data_namespace=existing.data_namespace if existing is not None and installs else None,
        object_store_port=(
            S3_PORT if existing is not None and existing.object_storage.install else None
        ),
        redis_in_cluster=existing is not None and existing.redis.install is not None,
        gateway_auth=auth.model_dump() if auth is not None else None,
        private_egress=(
            *((e.cidr, tuple(e.ports)) for e in settings.isolation.private_egress),
            *_azure_private_endpoints(settings),
        ),
    )


# Blob (HTTPS) and Service Bus (AMQP over TLS, or HTTPS): what endpoint containers and
# forwarders use there; not Redis (10000), which only the control plane uses on Azure.
AZURE_PRIVATE_ENDPOINT_PORTS = (443, 5671)


def _azure_private_endpoints(settings: StackSettings) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Azure's Blob and Service Bus answer on private endpoints in the VNet's endpoints subnet
    (azure.network.privateAccess): model weights, results and the async queues are there."""
    azure = settings.azure if settings.cloud == "azure" else None
    if azure is None or not azure.network.private_access:
        return ()
    return ((azure.network.subnets["endpoints"], AZURE_PRIVATE_ENDPOINT_PORTS),)


def enforces_network_policy(settings: StackSettings, platform: Platform) -> bool:
    """Whether the cluster's CNI enforces NetworkPolicy: the platform's trait for a cluster
    the program creates; on an existing cluster, what the stack says."""
    if settings.cloud == "existing":
        return bool(settings.isolation.cni_enforces_network_policy)
    return platform.enforces_network_policy


def findings(settings: StackSettings, platform: Platform) -> list[Finding]:
    """What the stack leaves open, for the plan and `pulumi up` to say."""
    out = []
    iso = settings.isolation
    if not iso.enabled:
        out.append(
            Finding(
                "warning",
                "isolation.enabled",
                "off: endpoint pods (user code) reach the database, Redis, the control plane and "
                "each other; turn it on unless something else fences the endpoint namespace",
            )
        )
    elif not enforces_network_policy(settings, platform):
        out.append(
            Finding(
                "warning",
                "isolation.cniEnforcesNetworkPolicy"
                if settings.cloud == "existing"
                else f"{settings.cloud}: network policy",
                "the cluster's CNI is not stated to enforce NetworkPolicy: the endpoint "
                "namespace's default deny is not enforced, so endpoint pods reach the database, "
                "Redis, the control plane, other endpoints and the metadata endpoint; use a CNI "
                "that enforces it (Calico, Cilium) and set isolation.cniEnforcesNetworkPolicy: "
                "true",
            )
        )
    existing = settings.existing if settings.cloud == "existing" else None
    if existing is not None and existing.object_storage.install is None and not iso.private_egress:
        out.append(
            Finding(
                "warning",
                "isolation.privateEgress",
                "endpoint pods reach no private address the stack does not name: if "
                "existing.objectStorage.endpointUrl (model weights, results) resolves to a "
                "private address, list its CIDR and port, e.g. [{cidr: 10.20.0.0/24, ports: "
                "[443]}]",
            )
        )
    # Unset identityServiceUrl: the identity guard says it (components/model_engine/guards).
    unauthenticated = iso.gateway_auth is None or not settings.istio.enabled
    if unauthenticated and settings.identity_service_url:
        out.append(
            Finding(
                "warning",
                "isolation.gatewayAuth",
                "the gateway authenticates nobody although identityServiceUrl is set: the "
                "pinned server never reads it for authentication and accepts any basic-auth "
                "user name (its fake authentication repository, api/dependencies.py); set "
                "isolation.gatewayAuth {issuer, jwksUri, audiences} (your OIDC issuer, with "
                "istio.enabled) and keep the gateway internal",
            )
        )
    return out


def check(settings: StackSettings) -> None:
    """Refuse a stack that states the CNI of a cluster the program creates."""
    iso = settings.isolation
    problems = []
    if settings.cloud != "existing" and iso.cni_enforces_network_policy is not None:
        problems.append(
            f"{PROJECT}:isolation.cniEnforcesNetworkPolicy: only for cloud existing; the "
            f"{settings.cloud} cluster the program creates enforces NetworkPolicy: remove the key"
        )
    if iso.gateway_auth is not None and not settings.istio.enabled:
        problems.append(
            f"{PROJECT}:isolation.gatewayAuth: Istio enforces it at the gateway's sidecar; set "
            "istio.enabled: true, or remove gatewayAuth"
        )
    if problems:
        raise SettingsError(problems)


@dataclass
class IsolationArgs:
    scope: pol.Scope
    provider: k8s.Provider
    # The cluster's CNI enforces NetworkPolicy (enforces_network_policy).
    enforced: bool
    # The namespaces the objects live in, and Istio's CRDs.
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)


class Isolation(pulumi.ComponentResource):
    objects: list[k8s.apiextensions.CustomResource]

    def __init__(self, name: str, args: IsolationArgs, opts: pulumi.ResourceOptions | None = None):
        # The scope travels as the component's inputs: the plan computes the connectivity
        # matrix from it and the NetworkPolicies this run registered.
        super().__init__(
            "model-engine-infra:index:Isolation",
            name,
            {"scope": dataclasses.asdict(args.scope), "enforced": args.enforced},
            opts,
        )
        child = pulumi.ResourceOptions(
            parent=self, provider=args.provider, depends_on=list(args.depends_on)
        )
        manifests = pol.manifests(args.scope)
        self.objects = [self._emit(name, m, child) for m in manifests]
        self.register_outputs(
            {"objects": [f"{m['kind']}/{m['metadata']['name']}" for m in manifests]}
        )

    @staticmethod
    def _emit(
        name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions
    ) -> k8s.apiextensions.CustomResource:
        meta = manifest["metadata"]
        return k8s.apiextensions.CustomResource(
            f"{name}-{manifest['kind'].lower()}-{meta['namespace']}-{meta['name']}",
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=k8s.meta.v1.ObjectMetaArgs(name=meta["name"], namespace=meta["namespace"]),
            spec=manifest["spec"],
            opts=opts,
        )
