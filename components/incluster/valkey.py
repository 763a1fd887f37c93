"""Redis for the server, installed in the cluster: Valkey from the Valkey project's own chart.

The chart (valkey-io/valkey-helm, chart `valkey`) runs Valkey, the BSD-licensed fork of
Redis that speaks the same protocol; Bitnami's Redis images are no longer freely published,
so chart and image both come from the Valkey project (image `docker.io/valkey/valkey`, at
the chart's own appVersion).

What the pinned server can use (llm-engine a8236961, model-engine/model_engine_server):
- ONE fixed host and port 6379, for everything. The gateway and builder take REDIS_HOST +
  REDIS_PORT (core/celery/app.py:175-196); the cache URL on onprem is
  ``redis://$REDIS_HOST:6379/0`` whatever REDIS_PORT says (common/config.py:104-110:
  `redis_port` is not an InfraConfig field, so the getattr default wins); forwarders and
  KEDA get `infra.redis_host` and 6379 (SERVER_FACTS C). So `PORT` is 6379 and cannot be
  changed, and the server cannot follow a Sentinel or Cluster topology: it needs a Service
  that always reaches the writable primary.
- No AUTH: off AWS the forwarders receive no password and KEDA's Redis
  TriggerAuthentication reads one only from AWS Secrets Manager (SERVER_FACTS C and
  "KEDA Redis auth only via AWS Secrets Manager"), so a password would break them. Valkey
  therefore runs without a password and is fenced by a NetworkPolicy instead (below).
- DBs 0-3 (Celery broker), 4 (Celery results, chart_facts.RESULT_BACKEND_DB_INDEX) and 15
  (cache): Valkey's default of 16 databases covers them; the config states it anyway.

Modes, as the chart at its pin renders them:
- standalone: one Deployment, one PVC, Service `valkey` on the pod.
- replicated: a StatefulSet of 1 primary (pod 0, fixed) + N replicas that replicate from it;
  Service `valkey` selects pod 0 only, so it always reaches the primary. There is no
  automatic failover: while pod 0 is down writes wait for it to come back (on its PVC); the
  replicas are warm copies, not a standby the server could switch to.
- sentinel: the chart has no Sentinel mode at its pin (and the server cannot speak Sentinel
  discovery anyway), so the setting is rejected.

What is protected ("nothing lost"): data lives on a PVC (default StorageClass unless set)
with append-only file + fsync every second, so a pod or node restart loses at most ~1 s of
writes. The PVC is kept when the Release is uninstalled (`protect`, the default), but it is
namespaced: deleting the namespace deletes it, and then the data survives only where the
StorageClass's reclaimPolicy is Retain (kind's and k3s's local-path is Delete). local-path
volumes live on one node: losing that node loses the data. There are no backups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pulumi
from pydantic import Field, field_validator, model_validator

from components.incluster.common import child_opts, service_host, store_release
from components.sdk import lazy
from components.settings_base import (
    ContainerQuantities,
    Model,
    Quantity,
    dns_label,
    kubernetes_quantity,
    storage_class_name,
)

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")

CHART = "valkey"
# The Release's name; with fullnameOverride every object the chart names is `valkey...`.
RELEASE_NAME = "valkey"
# The Service the chart renders from fullnameOverride (templates/service.yaml): in
# replicated mode it selects pod 0 of the StatefulSet, the primary.
SERVICE = "valkey"
# Fixed by the server (see the module docstring) and by the chart, whose init script writes
# `port 6379` into valkey.conf whatever service.port says (templates/init_config.yaml).
PORT = 6379
# Valkey's own default, written out so the DBs the server uses (0-4, 15) are guaranteed.
DATABASES = 16
# The labels the chart puts on every Valkey pod (valkey.selectorLabels in _helpers.tpl:
# the chart's name and the Release's name); the NetworkPolicy selects the pods by them.
POD_LABELS: Mapping[str, str] = {
    "app.kubernetes.io/name": "valkey",
    "app.kubernetes.io/instance": RELEASE_NAME,
}


Mode = Literal["standalone", "replicated", "sentinel"]


class ValkeyResources(Model):
    """The Valkey container's requests and limits (the chart's `resources`)."""

    # Enough for the server's queues and cache on a small cluster.
    requests: ContainerQuantities = ContainerQuantities(cpu="100m", memory="256Mi")
    # None: no limit. A memory limit below the data set gets Valkey OOM-killed, and it then
    # reloads from its append-only file (at most ~1 s of writes lost).
    limits: ContainerQuantities | None = None


class ValkeyPersistence(Model):
    # false: an emptyDir (standalone only): every pod restart empties Redis, dropping queued
    # tasks and cached endpoint state. Not for anything but a throw-away cluster.
    enabled: bool = True
    storage_size: Quantity = "8Gi"
    # None: the cluster's default StorageClass (kind and k3s: local-path, `standard` on kind).
    storage_class: str | None = None

    _size = field_validator("storage_size")(kubernetes_quantity)

    _class = field_validator("storage_class")(storage_class_name)


class ValkeyInstall(Model):
    """`existing.redis.install`: run Redis (Valkey) in the cluster instead of the operator's."""

    mode: Mode = "standalone"
    # Replicas besides the primary (replicated mode only): total pods = replicas + 1.
    replicas: int = Field(default=2, ge=1, le=10)
    persistence: ValkeyPersistence = ValkeyPersistence()
    resources: ValkeyResources = ValkeyResources()

    @field_validator("mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v == "sentinel":
            raise ValueError(
                "mode sentinel is not available: the Valkey chart at its pinned version has "
                "no Sentinel mode, and the model-engine server connects to one fixed "
                "host:port (REDIS_HOST:6379) and cannot follow Sentinel's failover; use "
                "`replicated` (a fixed primary with replicas behind one Service) or "
                "`standalone`"
            )
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ValkeyInstall:
        if self.mode == "standalone" and "replicas" in self.model_fields_set:
            raise ValueError(
                "replicas applies only to mode replicated (standalone runs one pod); set "
                "`mode: replicated` or remove `replicas`"
            )
        if self.mode == "replicated" and not self.persistence.enabled:
            raise ValueError(
                "mode replicated needs persistence.enabled: a primary that restarts empty "
                "would replicate its empty data set to every replica; enable persistence or "
                "use mode standalone"
            )
        return self


def host(namespace: str, settings: ValkeyInstall) -> str:
    """The address the server is given (REDIS_HOST / infra.redis_host): the primary's
    Service, the same name in both modes (replicated: it selects pod 0, the primary)."""
    del settings  # every supported mode serves the primary behind the same Service
    return service_host(SERVICE, dns_label(namespace))


def valkey_config() -> str:
    """Appended to the chart's generated valkey.conf (the last directive wins)."""
    return "\n".join(
        [
            f"databases {DATABASES}",
            # Every write to the append-only file, fsynced each second: a crash loses ~1 s.
            "appendonly yes",
            "appendfsync everysec",
            "",
        ]
    )


def _resources(settings: ValkeyInstall) -> dict[str, Any]:
    res = settings.resources
    out: dict[str, Any] = {"requests": res.requests.model_dump(exclude_none=True)}
    if res.limits is not None:
        out["limits"] = res.limits.model_dump(exclude_none=True)
    return out


def _standalone_storage(settings: ValkeyInstall, protect: bool) -> dict[str, Any]:
    storage = settings.persistence
    if not storage.enabled:
        return {"enabled": False}
    values: dict[str, Any] = {
        "enabled": True,
        "requestedSize": storage.storage_size,
        # helm.sh/resource-policy: keep, so uninstalling the Release leaves the data.
        "keepPvc": protect,
    }
    if storage.storage_class:
        values["className"] = storage.storage_class
    return values


def _replica(settings: ValkeyInstall, protect: bool) -> dict[str, Any]:
    storage = settings.persistence
    persistence: dict[str, Any] = {"size": storage.storage_size}
    if storage.storage_class:
        persistence["storageClass"] = storage.storage_class
    policy = "Retain" if protect else "Delete"
    return {
        "enabled": True,
        "replicas": settings.replicas,
        "persistence": persistence,
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": policy, "whenScaled": "Retain"},
        # The load-balanced `valkey-read` Service would send the server's writes to
        # read-only replicas: nothing here may use it, so it is not rendered.
        "service": {"enabled": False},
    }


def chart_values(settings: ValkeyInstall, *, protect: bool = True) -> dict[str, Any]:
    """The Valkey chart's values: no password (see the module docstring), port 6379, data
    on a PVC, readiness gated on `valkey-cli ping` so the Release waits for a serving pod."""
    values: dict[str, Any] = {
        "fullnameOverride": SERVICE,
        "service": {"type": "ClusterIP", "port": PORT},
        "auth": {"enabled": False},
        "tls": {"enabled": False},
        "valkeyConfig": valkey_config(),
        "resources": _resources(settings),
        "readinessProbe": {"enabled": True},
    }
    if settings.mode == "replicated":
        values["replica"] = _replica(settings, protect)
    else:
        values["replica"] = {"enabled": False}
        values["dataStorage"] = _standalone_storage(settings, protect)
        # A ReadWriteOnce volume cannot be mounted by the new pod of a rolling update on
        # another node, and two servers must never share one data directory.
        values["deploymentStrategy"] = "Recreate"
    return values


def network_policy_spec(
    client_namespaces: Sequence[str],
) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """Ingress to the Valkey pods on the Redis port from the client namespaces and from
    Valkey pods themselves (replication); nothing else. Egress is left open."""
    peers = [
        k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                match_labels={"kubernetes.io/metadata.name": ns}
            )
        )
        for ns in client_namespaces
    ]
    # A podSelector alone selects pods in the policy's own namespace: the other Valkey pods.
    peers.append(
        k8s.networking.v1.NetworkPolicyPeerArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(POD_LABELS))
        )
    )
    return k8s.networking.v1.NetworkPolicySpecArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(POD_LABELS)),
        policy_types=["Ingress"],
        ingress=[
            k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                from_=peers,
                ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=PORT)],
            )
        ],
    )


@dataclass(frozen=True)
class ValkeyArgs:
    settings: ValkeyInstall
    # The data namespace the platform created; Valkey and its NetworkPolicy live there.
    namespace: str
    provider: k8s.Provider
    # Namespaces whose pods may connect: the control plane, the inference endpoints
    # (forwarders) and KEDA's operator (its Redis scaler).
    client_namespaces: Sequence[str]
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    # Keep the data when the Release goes (PVC kept) and refuse `pulumi destroy` of the
    # Release until the operator unprotects it; the stack's `protect`.
    protect: bool = True


def _checked_clients(namespaces: Sequence[str]) -> list[str]:
    if not namespaces:
        raise ValueError(
            "Valkey needs at least one client namespace: with none, the NetworkPolicy would "
            "let no client reach Redis"
        )
    return sorted({dns_label(ns) for ns in namespaces})


class Valkey(pulumi.ComponentResource):
    """Valkey (Redis protocol) for the server, reachable only from `client_namespaces`.

    No password: at the pinned commit the server's forwarders and KEDA cannot authenticate
    to Redis off AWS. Access is limited by a NetworkPolicy instead, which only a CNI that
    enforces NetworkPolicy honours: k3s (its embedded policy controller, unless started with
    --disable-network-policy), kind since v0.24.0 (kindnetd runs kube-network-policies; older
    kind ignores policies, and hosts without the nft_queue kernel module, e.g. some WSL2
    kernels, do not enforce them), Calico, Cilium. On a CNI without it (flannel alone) Redis
    is open to every pod in the cluster.
    """

    release: k8s.helm.v3.Release
    network_policy: k8s.networking.v1.NetworkPolicy
    host: str
    port: int
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: ValkeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:incluster:Valkey", name, None, opts)
        clients = _checked_clients(args.client_namespaces)
        self.host = host(args.namespace, args.settings)
        self.port = PORT
        # The fence first: Valkey never runs without it.
        self.network_policy = k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{SERVICE}-clients",
                namespace=args.namespace,
                labels=dict(POD_LABELS),
            ),
            spec=network_policy_spec(clients),
            opts=child_opts(self, args.provider, args.depends_on),
        )
        values = chart_values(args.settings, protect=args.protect)
        self.release = store_release(
            self, name, CHART, RELEASE_NAME, args, values, [self.network_policy]
        )
        # The Release is atomic and waits for the Valkey pods to be ready (readiness probe).
        self.ready = [self.release, self.network_policy]
        self.register_outputs(
            {
                "host": self.host,
                "port": self.port,
                "release": self.release.name,
                "network_policy": self.network_policy.metadata.apply(lambda m: m.name),
            }
        )
