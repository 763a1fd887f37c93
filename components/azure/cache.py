"""Azure Managed Redis (Microsoft.Cache/redisEnterprise): the server's cache and endpoint
state. Azure Cache for Redis is retiring; Managed Redis replaces it.

One database named `default` (the only name Managed Redis accepts), NoCluster clustering
(the server speaks plain, non-cluster Redis), TLS only, access keys off: the server signs in
with an Entra token as the control-plane identity's object id, which gets the `default`
access policy here. The chart gets `host:port` (port 10000).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import redisenterprise

from components.azure import settings as az
from components.azure.alerts import AlertTarget, cache_rules, metric_alerts
from components.azure.common import LONG_TIMEOUTS, ServiceArgs, child, stateful

DATABASE = "default"
# Managed Redis's built-in data access policy (full data access, no admin commands).
ACCESS_POLICY = "default"


@dataclass
class CacheArgs(ServiceArgs):
    settings: az.Redis
    cluster_name: pulumi.Input[str]
    # Where alerts go (None: none). Azure Managed Redis has no maintenance-window setting.
    alerts: AlertTarget | None = None


class Cache(pulumi.ComponentResource):
    cluster: redisenterprise.RedisEnterprise
    database: redisenterprise.Database
    host: pulumi.Output[str]
    port: pulumi.Output[int]

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:azure:Cache", name, None, opts)
        cfg = args.settings
        self.cluster = redisenterprise.RedisEnterprise(
            f"{name}-redis",
            cluster_name=args.cluster_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=redisenterprise.SkuArgs(name=cfg.sku),
            minimum_tls_version="1.2",
            high_availability="Enabled" if cfg.high_availability else "Disabled",
            public_network_access="Disabled" if args.private else "Enabled",
            tags=dict(args.tags),
            opts=stateful(self, args.protect, custom_timeouts=LONG_TIMEOUTS),
        )
        self.database = redisenterprise.Database(
            f"{name}-db",
            database_name=DATABASE,
            cluster_name=self.cluster.name,
            resource_group_name=args.resource_group_name,
            client_protocol="Encrypted",
            clustering_policy="NoCluster",
            access_keys_authentication="Disabled",
            eviction_policy="VolatileLRU",
            port=10000,
            opts=stateful(self, args.protect, custom_timeouts=LONG_TIMEOUTS),
        )
        self.host = self.cluster.host_name.apply(lambda h: h or "")
        self.port = self.database.port.apply(lambda p: int(p or 10000))
        if args.alerts is not None:
            metric_alerts(
                self, name, self.cluster.id, cache_rules(args.alerts.thresholds), args.alerts
            )
        self.register_outputs({"host": self.host, "port": self.port})

    def allow(
        self, name: str, object_id: pulumi.Input[str], resource_group_name: pulumi.Input[str]
    ) -> None:
        """Data access for an Entra principal (by object id), through the `default` policy."""
        redisenterprise.AccessPolicyAssignment(
            name,
            access_policy_assignment_name=pulumi.Output.from_input(object_id).apply(
                lambda oid: oid.replace("-", "")
            ),
            access_policy_name=ACCESS_POLICY,
            cluster_name=self.cluster.name,
            database_name=self.database.name,
            resource_group_name=resource_group_name,
            user=redisenterprise.AccessPolicyAssignmentPropertiesUserArgs(object_id=object_id),
            opts=child(self),
        )
