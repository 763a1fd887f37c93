"""Memorystore for Redis: the Celery broker, result backend and the server's cache.

Neither AUTH nor TLS: at the pinned commit the async forwarders connect to
`infra.redis_host:6379` in plain text without a password (they get no REDIS_AUTH_TOKEN), and
KEDA's Redis trigger reads a password only from AWS Secrets Manager. So the instance accepts
plain connections, and only on the private network: private services access, and the
network's firewall lets nothing but the GKE nodes connect. The plan reports this as a finding.
RDB snapshots every hour; STANDARD_HA keeps a replica in another zone; Google patches it in
the stack's weekly window.

Inside the cluster, the firewall cannot tell one pod from another. A
CiliumClusterwideNetworkPolicy (Dataplane V2) denies egress to the instance from every pod
outside the namespaces that connect: the release namespace (gateway, builder, cacher), the
endpoint namespace (async forwarders, batch jobs) and KEDA's (its Redis trigger), and
kube-system (GKE's own). Every other egress of those pods stays allowed. Not covered here:
user model code in the endpoint namespace shares its pod with the forwarder (the isolation
issue's policies), and host-network pods, which no pod policy selects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi_gcp import redis

from components.gcp import settings as gcp_settings
from components.gcp.common import PART_OF_LABEL, REDIS_TIMEOUTS, PlacedArgs, child, stateful

CONNECT_MODE = "PRIVATE_SERVICE_ACCESS"
CLIENTS_POLICY = "model-engine-redis-clients"
# The label Cilium gives every endpoint: its namespace.
NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace"
SYSTEM_NAMESPACE = "kube-system"


def clients_policy_spec(host: str, port: int, clients: list[str]) -> dict[str, Any]:
    """Pods outside `clients` may send anything anywhere but to host:port. The allow-all
    rule keeps the deny from turning the selected pods default-deny."""
    return {
        "endpointSelector": {
            "matchExpressions": [
                {
                    "key": NAMESPACE_LABEL,
                    "operator": "NotIn",
                    "values": sorted({*clients, SYSTEM_NAMESPACE}),
                }
            ]
        },
        "egress": [{"toEntities": ["all"]}],
        "egressDeny": [
            {
                "toCIDR": [f"{host}/32"],
                "toPorts": [{"ports": [{"port": str(port), "protocol": "TCP"}]}],
            }
        ],
    }


@dataclass
class CacheArgs(PlacedArgs):
    settings: gcp_settings.Redis
    name: str
    network: pulumi.Input[str]
    private_services: list[pulumi.Resource]
    maintenance: gcp_settings.Maintenance


class Cache(pulumi.ComponentResource):
    instance: redis.Instance
    host: pulumi.Output[str]
    port: pulumi.Output[int]

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:gcp:Cache", name, None, opts)
        cfg = args.settings
        self.instance = redis.Instance(
            f"{name}-redis",
            name=args.name,
            project=args.project,
            region=args.region,
            tier=cfg.tier,
            memory_size_gb=cfg.memory_size_gb,
            redis_version=cfg.version,
            connect_mode=CONNECT_MODE,
            authorized_network=args.network,
            auth_enabled=False,
            transit_encryption_mode="DISABLED",
            persistence_config=redis.InstancePersistenceConfigArgs(
                persistence_mode="RDB", rdb_snapshot_period="ONE_HOUR"
            ),
            maintenance_policy=redis.InstanceMaintenancePolicyArgs(
                weekly_maintenance_windows=[
                    redis.InstanceMaintenancePolicyWeeklyMaintenanceWindowArgs(
                        day=args.maintenance.first_day,
                        start_time=redis.InstanceMaintenancePolicyWeeklyMaintenanceWindowStartTimeArgs(
                            hours=args.maintenance.start_hour_utc, minutes=0, seconds=0, nanos=0
                        ),
                    )
                ]
            ),
            labels={**PART_OF_LABEL, **args.labels},
            deletion_protection=args.protect,
            opts=stateful(
                self,
                args.protect,
                depends_on=args.private_services,
                custom_timeouts=REDIS_TIMEOUTS,
            ),
        )
        self.host = self.instance.host
        self.port = self.instance.port
        self.register_outputs({"host": self.host, "port": self.port})


@dataclass
class CacheClientsArgs:
    host: pulumi.Input[str]
    port: pulumi.Input[int]
    # Namespaces whose pods connect to Redis.
    clients: list[str]
    provider: k8s.Provider
    # The cluster (created with CiliumClusterwideNetworkPolicy on) and its first nodes.
    after: list[pulumi.Resource]


class CacheClients(pulumi.ComponentResource):
    """The cluster-wide policy that keeps Memorystore to its client namespaces."""

    policy: k8s.apiextensions.CustomResource

    def __init__(
        self, name: str, args: CacheClientsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:gcp:CacheClients", name, None, opts)
        spec = pulumi.Output.all(args.host, args.port).apply(
            lambda a: clients_policy_spec(a[0], int(a[1]), args.clients)
        )
        self.policy = k8s.apiextensions.CustomResource(
            f"{name}-policy",
            api_version="cilium.io/v2",
            kind="CiliumClusterwideNetworkPolicy",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CLIENTS_POLICY),
            spec=spec,
            opts=child(self, provider=args.provider, depends_on=args.after),
        )
        self.register_outputs({"clients": sorted(args.clients)})
