"""The one component that emits the isolation objects (policies.py), and the scope they are
computed from: the validated stack and the platform's facts known before deploy."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi

from components.addons.addons import installs_prometheus
from components.addons.istio import ISTIO_NAMESPACE
from components.azure import PLATFORM as AZURE
from components.contract import PlatformFacts
from components.existing import PLATFORM as EXISTING
from components.incluster.object_store import S3_PORT
from components.isolation import policies as pol
from components.model_engine.guards import Finding
from components.naming import service_namespace
from components.platform import Platform
from components.sdk import lazy
from components.settings import StackSettings
from components.settings_base import PROJECT, SettingsError

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")

DEFAULT_REDIS_PORT = 6379
# Istio's own default (meshConfig.trustDomain), which the add-on keeps unless its values set one.
ISTIO_DEFAULT_TRUST_DOMAIN = "cluster.local"


def installs_istiod(settings: StackSettings) -> bool:
    return settings.istio.enabled and settings.addons.istio.enabled


def installed_trust_domain(settings: StackSettings) -> str:
    """The trust domain of the istiod the add-on installs (its values may set one)."""
    mesh = settings.addons.istio.values.get("meshConfig") or {}
    value = mesh.get("trustDomain") if isinstance(mesh, dict) else None
    return str(value) if value else ISTIO_DEFAULT_TRUST_DOMAIN


def mesh_identity(settings: StackSettings) -> tuple[str, str]:
    """(istiod's namespace, the trust domain): the stack's, else what the program installs."""
    iso = settings.isolation
    return (
        iso.istiod_namespace or ISTIO_NAMESPACE,
        iso.trust_domain or installed_trust_domain(settings),
    )


def _prometheus_namespace(settings: StackSettings, facts: PlatformFacts) -> str | None:
    """The namespace Prometheus scrapes from: the add-on's, or the one a named in-cluster
    address (http://<service>.<namespace>.svc...) shows."""
    if installs_prometheus(settings, facts.prometheus_address):
        return settings.addons.prometheus.namespace
    address = settings.prometheus_address or facts.prometheus_address
    if not isinstance(address, str):
        return None
    return service_namespace(address)


def scope(settings: StackSettings, facts: PlatformFacts) -> pol.Scope:
    existing = EXISTING.block(settings) if settings.cloud == EXISTING.cloud else None
    installs = existing is not None and existing.installs_anything
    port = facts.cache.port if isinstance(facts.cache.port, int) else DEFAULT_REDIS_PORT
    auth = settings.isolation.gateway_auth
    istiod_namespace, trust_domain = mesh_identity(settings)
    azure = AZURE.block(settings) if settings.cloud == AZURE.cloud else None
    broker_private = False
    if azure is not None:
        # Imported here: a stack on another cloud never creates Azure's settings classes.
        from components.azure.settings import private_services

        broker_private = "servicebus" in private_services(azure)
    return pol.Scope(
        cloud_provider=facts.cloud_provider,
        release_namespace=settings.namespaces.release,
        endpoint_namespace=settings.namespaces.endpoints,
        istio=settings.istio.enabled,
        prometheus_namespace=_prometheus_namespace(settings, facts),
        broker=facts.broker.kind,
        cache_port=port,
        istiod_namespace=istiod_namespace,
        trust_domain=trust_domain,
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
        cache_public=azure is not None and not azure.network.private_access,
        broker_private=broker_private,
    )


# Blob (HTTPS) and Service Bus (AMQP over TLS, or HTTPS): what endpoint containers and
# forwarders use there; not Redis (10000), which only the control plane uses on Azure.
AZURE_PRIVATE_ENDPOINT_PORTS = (443, 5671)


def _azure_private_endpoints(settings: StackSettings) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Azure's Blob and (Premium) Service Bus answer on private endpoints in the VNet's
    user-code subnet (azure.network.privateAccess): model weights, results and the async
    queues are there, and nothing else is (Key Vault, the registry and Redis are in the
    other private-endpoint subnet)."""
    azure = AZURE.block(settings) if settings.cloud == AZURE.cloud else None
    if azure is None or not azure.network.private_access:
        return ()
    from components.azure.settings import USER_CODE_ENDPOINTS_SUBNET  # only on Azure: above

    return ((azure.network.subnets[USER_CODE_ENDPOINTS_SUBNET], AZURE_PRIVATE_ENDPOINT_PORTS),)


def enforces_network_policy(settings: StackSettings, platform: Platform) -> bool:
    """Whether the cluster's CNI enforces NetworkPolicy: the platform's trait for a cluster
    the program creates; on an existing cluster, what the stack says."""
    if not platform.creates_nodes:
        return bool(settings.isolation.cni_enforces_network_policy)
    return platform.enforces_network_policy


# What an endpoint pod reaches when the endpoint namespace's default deny is not enforced.
_UNFENCED = (
    "the endpoint namespace's default deny is not enforced, so endpoint pods reach the "
    "database, Redis, the control plane, other endpoints and the metadata endpoint"
)


def _unenforced(settings: StackSettings, platform: Platform) -> Finding:
    """The cluster does not enforce NetworkPolicy: on the operator's cluster the stack states
    its CNI; a cluster the program creates is the platform's, which the stack cannot change."""
    if not platform.creates_nodes:
        return Finding(
            "warning",
            "isolation.cniEnforcesNetworkPolicy",
            f"the cluster's CNI is not stated to enforce NetworkPolicy: {_UNFENCED}; use a CNI "
            "that enforces it (Calico, Cilium) and set isolation.cniEnforcesNetworkPolicy: true",
        )
    return Finding(
        "warning",
        f"{settings.cloud}: network policy",
        f"the {settings.cloud} cluster the program creates does not enforce NetworkPolicy (its "
        f"platform's enforces_network_policy is false), so isolation is advisory: {_UNFENCED}; "
        f"the fix is in the platform package ({platform.package_path()}): create the cluster "
        "with a CNI that enforces NetworkPolicy and declare enforces_network_policy = True",
    )


def _stated_cni(settings: StackSettings) -> str:
    """The stack states the CNI of a cluster the program creates: whether that cluster
    enforces NetworkPolicy is the platform's trait, which the key cannot change."""
    platform = settings.platform
    operators = " or ".join(c for c, p in settings.platforms.items() if not p.creates_nodes)
    enforcement = (
        "enforces NetworkPolicy"
        if platform.enforces_network_policy
        else "does not enforce NetworkPolicy, and the key cannot change that (the platform's "
        f"enforces_network_policy, {platform.package_path()})"
    )
    return (
        f"{PROJECT}:isolation.cniEnforcesNetworkPolicy: only for cloud {operators}; the "
        f"{settings.cloud} cluster the program creates {enforcement}: remove the key"
    )


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
                f"each other unless what you named fences them (disabledBecause: "
                f"{iso.disabled_because!r}); the policy pack's default-deny rule only advises",
            )
        )
    elif not enforces_network_policy(settings, platform):
        out.append(_unenforced(settings, platform))
    existing = EXISTING.block(settings) if settings.cloud == EXISTING.cloud else None
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
    own_mesh = settings.istio.enabled and not installs_istiod(settings)
    if iso.enabled and own_mesh and (iso.istiod_namespace is None or iso.trust_domain is None):
        namespace, domain = mesh_identity(settings)
        out.append(
            Finding(
                "warning",
                "isolation.istiodNamespace",
                f"your cluster's own Istio (addons.istio.enabled: false) is assumed to run "
                f"istiod in {namespace} with trust domain {domain}: state "
                "isolation.istiodNamespace and isolation.trustDomain, or endpoint sidecars may "
                "not reach istiod and the mesh may admit no caller",
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
    if settings.platform.creates_nodes and iso.cni_enforces_network_policy is not None:
        problems.append(_stated_cni(settings))
    if not iso.enabled and not (iso.disabled_because or "").strip():
        problems.append(
            f"{PROJECT}:isolation.disabledBecause: isolation.enabled: false leaves user code "
            "unfenced; say what fences the endpoint namespace instead (e.g. 'Calico "
            "GlobalNetworkPolicy tenant-fence'), or remove enabled: false"
        )
    if iso.enabled and iso.disabled_because is not None:
        problems.append(
            f"{PROJECT}:isolation.disabledBecause: only with isolation.enabled: false; "
            "remove the key"
        )
    if iso.gateway_auth is not None and not settings.istio.enabled:
        problems.append(
            f"{PROJECT}:isolation.gatewayAuth: Istio enforces it at the gateway's sidecar; set "
            "istio.enabled: true, or remove gatewayAuth"
        )
    problems += _mesh_problems(settings)
    if problems:
        raise SettingsError(problems)


def _mesh_problems(settings: StackSettings) -> list[str]:
    """The istiod the program installs runs in istio-system with its own trust domain: a
    stack naming others would fence the sidecars off istiod or admit principals no pod has."""
    iso = settings.isolation
    if not installs_istiod(settings):
        return []
    problems = []
    if iso.istiod_namespace is not None and iso.istiod_namespace != ISTIO_NAMESPACE:
        problems.append(
            f"{PROJECT}:isolation.istiodNamespace: the program installs istiod in "
            f"{ISTIO_NAMESPACE} (addons.istio.enabled); remove the key, or set "
            "addons.istio.enabled: false to use your cluster's own Istio"
        )
    installed = installed_trust_domain(settings)
    if iso.trust_domain is not None and iso.trust_domain != installed:
        problems.append(
            f"{PROJECT}:isolation.trustDomain: the istiod the program installs uses trust "
            f"domain {installed} (addons.istio.values.meshConfig.trustDomain); remove the key "
            "or set the same value in both"
        )
    return problems


@dataclass
class IsolationArgs:
    scope: pol.Scope
    provider: k8s.Provider
    # The cluster's CNI enforces NetworkPolicy (enforces_network_policy).
    enforced: bool
    # isolation.enabled: false emits no network or mesh policy (the gateway's authentication
    # stays) and records why, for the plan and the policy pack.
    enabled: bool = True
    disabled_because: str | None = None
    # The namespaces the objects live in, and Istio's CRDs.
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)


class Isolation(pulumi.ComponentResource):
    objects: list[k8s.apiextensions.CustomResource]

    def __init__(self, name: str, args: IsolationArgs, opts: pulumi.ResourceOptions | None = None):
        # The scope travels as the component's inputs: the plan computes the connectivity
        # matrix from it and the NetworkPolicies this run registered.
        # `enabled` and `disabledBecause` are both inputs and outputs: the policy pack's stack
        # rule reads a component's outputs, the plan its inputs.
        state = {
            "enabled": args.enabled,
            "disabledBecause": args.disabled_because,
            "endpointNamespace": args.scope.endpoint_namespace,
        }
        super().__init__(
            "model-engine-infra:index:Isolation",
            name,
            {"scope": dataclasses.asdict(args.scope), "enforced": args.enforced, **state},
            opts,
        )
        child = pulumi.ResourceOptions(
            parent=self, provider=args.provider, depends_on=list(args.depends_on)
        )
        manifests = (
            pol.manifests(args.scope) if args.enabled else pol.gateway_auth_policies(args.scope)
        )
        self.objects = [self._emit(name, m, child) for m in manifests]
        self.register_outputs(
            {
                "objects": [f"{m['kind']}/{m['metadata']['name']}" for m in manifests],
                **state,
            }
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
