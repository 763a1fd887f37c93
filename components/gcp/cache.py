"""Memorystore for Redis: the Celery broker, result backend and the server's cache.

Neither AUTH nor TLS: at the pinned commit the async forwarders connect to
`infra.redis_host:6379` in plain text without a password (they get no REDIS_AUTH_TOKEN), and
KEDA's Redis trigger reads a password only from AWS Secrets Manager. So the instance accepts
plain connections, and only on the private network: private services access, and the
network's firewall lets nothing but the GKE nodes connect. The plan reports this as a finding.
RDB snapshots every hour; STANDARD_HA keeps a replica in another zone.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import redis

from components.gcp import settings as gcp_settings
from components.gcp.common import PART_OF_LABEL, REDIS_TIMEOUTS, stateful

CONNECT_MODE = "PRIVATE_SERVICE_ACCESS"


@dataclass
class CacheArgs:
    settings: gcp_settings.Redis
    name: str
    project: str
    region: str
    network: pulumi.Input[str]
    private_services: list[pulumi.Resource]
    labels: dict[str, str]
    protect: bool


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
