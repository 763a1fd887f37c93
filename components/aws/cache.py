"""Redis on ElastiCache: one shard (non-cluster mode: model-engine uses DBs 0-3 and 15),
TLS in transit, encrypted at rest, an AUTH token, snapshots kept; and the Secrets Manager
secrets through which the token reaches the server (cache URL) and KEDA (password)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.aws import settings as aws_settings
from components.aws.alerts import (
    Alarm,
    AlarmTarget,
    cache_backup_failure_pattern,
    create_alarms,
    event_rule_name,
)
from components.aws.common import (
    ELASTICACHE_TIMEOUTS,
    PrivateDataArgs,
    child,
    final_snapshot_suffix,
    placed_privately,
    recovery_window,
    stateful,
)
from components.model_engine.chart_facts import CACHE_DB_INDEX
from components.operations import Maintenance, Thresholds

PORT = 6379
# ElastiCache delivers these to CloudWatch Logs (engine-log needs Redis 6.2+, the minimum).
LOG_TYPES = ("slow-log", "engine-log")
# Field of the cache-URL secret the server reads (cache_redis_aws_secret_name).
CACHE_URL_FIELD = "cache-url"


def cache_url(token: str, host: str, port: int) -> str:
    """TLS with the token, DB 15, and nothing after the index: the server takes the DB from
    the last path segment, so a query string would make it DB 0."""
    return f"rediss://:{token}@{host}:{port}/{CACHE_DB_INDEX}"


@dataclass
class CacheArgs(PrivateDataArgs):
    settings: aws_settings.Redis
    replication_group_id: str
    # Secrets Manager names: the server's cache URL and KEDA's Redis password.
    cache_url_secret_name: str
    keda_secret_name: str
    # When the provider may patch and snapshot; defaults from components/operations.py.
    maintenance: Maintenance = field(default_factory=Maintenance)
    # Where the cache's alarms and events (failover, failed snapshots) go; None creates none.
    alarms: AlarmTarget | None = None


class Cache(pulumi.ComponentResource):
    replication_group: aws.elasticache.ReplicationGroup
    host: pulumi.Output[str]
    port: int
    auth_token: pulumi.Output[str]
    cache_url_secret: aws.secretsmanager.Secret
    keda_secret: aws.secretsmanager.Secret

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:aws:Cache", name, None, opts)
        self._keep_secrets = args.protect
        cfg = args.settings
        subnets, sg = placed_privately(
            self, name, args, aws.elasticache.SubnetGroup, args.replication_group_id, PORT, "Redis"
        )
        # ElastiCache tokens: 16-128 printable characters without @, " or /.
        token = random.RandomPassword(
            f"{name}-auth-token", length=64, special=False, opts=child(self)
        )
        self.auth_token = pulumi.Output.secret(token.result)
        failover = cfg.multi_az
        log_groups = {
            log: aws.cloudwatch.LogGroup(
                f"{name}-{log}",
                name=f"/aws/elasticache/{args.replication_group_id}/{log}",
                retention_in_days=cfg.log_retention_days,
                opts=child(self),
            )
            for log in LOG_TYPES
        }
        self.replication_group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            replication_group_id=args.replication_group_id,
            description=f"model-engine cache and Celery results ({args.replication_group_id})",
            engine="redis",
            engine_version=cfg.engine_version,
            node_type=cfg.node_type,
            port=PORT,
            num_cache_clusters=1 + cfg.replicas,
            cluster_mode="disabled",
            parameter_group_name=f"default.{cfg.family}",
            automatic_failover_enabled=failover,
            multi_az_enabled=failover,
            subnet_group_name=subnets.name,
            security_group_ids=[sg.id],
            transit_encryption_enabled=True,
            transit_encryption_mode="required" if cfg.accepts_transit_encryption_mode else None,
            at_rest_encryption_enabled=True,
            kms_key_id=args.kms_key_arn,
            auth_token=self.auth_token,
            snapshot_retention_limit=cfg.snapshot_retention_days,
            final_snapshot_identifier=final_snapshot_suffix(self, name).apply(
                lambda suffix: f"{args.replication_group_id}-final-{suffix}"
            ),
            auto_minor_version_upgrade=True,
            maintenance_window=args.maintenance.window.aws(),
            snapshot_window=args.maintenance.backup_window(),
            # ElastiCache's own events (SnapshotFailed, failover, node replaced), when the
            # topic can take them (ElastiCache cannot publish to an encrypted topic).
            notification_topic_arn=(
                args.alarms.topic_arn if args.alarms and args.alarms.takes_cache_events else None
            ),
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=group.name,
                    destination_type="cloudwatch-logs",
                    log_format="json",
                    log_type=log,
                )
                for log, group in log_groups.items()
            ],
            opts=stateful(self, args.protect, custom_timeouts=ELASTICACHE_TIMEOUTS),
        )
        if args.alarms is not None:
            create_alarms(
                self,
                name,
                args.replication_group_id,
                alarms_for_cache(args.replication_group_id, cfg.replicas, args.alarms.thresholds),
                args.alarms,
                depends_on=[self.replication_group],
            )
            if not args.alarms.takes_cache_events:
                self._backup_failure_rule(name, args)
        self.host = self.replication_group.primary_endpoint_address
        self.port = PORT

        self.cache_url_secret = self._secret(
            f"{name}-cache-url",
            args.cache_url_secret_name,
            "model-engine cache URL (field cache-url; holds the Redis AUTH token)",
            args.kms_key_arn,
            pulumi.Output.all(self.auth_token, self.host).apply(
                lambda a: json.dumps({CACHE_URL_FIELD: cache_url(a[0], a[1], PORT)})
            ),
        )
        # KEDA's TriggerAuthentication (chart, redis.enableAuth) reads the whole secret
        # string as the Redis password.
        self.keda_secret = self._secret(
            f"{name}-keda",
            args.keda_secret_name,
            "Redis AUTH token for KEDA's Redis scaler (redis.kedaSecretName)",
            args.kms_key_arn,
            self.auth_token,
        )
        self.register_outputs(
            {
                "host": self.host,
                "cache_url_secret_name": self.cache_url_secret.name,
                "keda_secret_name": self.keda_secret.name,
            }
        )

    def _backup_failure_rule(self, name: str, args: CacheArgs) -> None:
        """Failed backups reach the stack's topic through EventBridge when ElastiCache
        cannot publish there itself (an encrypted topic)."""
        assert args.alarms is not None
        rule = aws.cloudwatch.EventRule(
            f"{name}-backup-failures",
            name=event_rule_name(
                args.alarms.rule_prefix or args.replication_group_id, "cache-backup-failures"
            ),
            description="An ElastiCache backup (snapshot, export or copy) failed",
            event_pattern=cache_backup_failure_pattern(args.replication_group_id),
            opts=child(self, depends_on=[self.replication_group]),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-backup-failures",
            rule=rule.name,
            arn=args.alarms.topic_arn,
            opts=child(self),
        )

    def _secret(
        self,
        name: str,
        secret_name: str,
        description: str,
        kms_key_arn: pulumi.Input[str],
        value: pulumi.Input[str],
    ) -> aws.secretsmanager.Secret:
        secret = aws.secretsmanager.Secret(
            name,
            name=secret_name,
            description=description,
            kms_key_id=kms_key_arn,
            recovery_window_in_days=recovery_window(self._keep_secrets),
            opts=child(self),
        )
        aws.secretsmanager.SecretVersion(
            name,
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(value),
            opts=child(self),
        )
        return secret


def member_ids(replication_group_id: str, replicas: int) -> list[str]:
    """The node ids ElastiCache gives a cluster-mode-disabled group: <id>-001 is created
    first, the replicas follow (CloudWatch's CacheClusterId dimension)."""
    return [f"{replication_group_id}-{i:03d}" for i in range(1, replicas + 2)]


def alarms_for_cache(replication_group_id: str, replicas: int, t: Thresholds) -> list[Alarm]:
    """Memory, evictions and connections on every node (any node may be the primary after a
    failover), and replication lag on each node while it is a replica."""
    ns = "AWS/ElastiCache"
    alarms: list[Alarm] = []
    for node in member_ids(replication_group_id, replicas):
        dims = {"CacheClusterId": node}
        short = node.removeprefix(f"{replication_group_id}-")
        alarms += [
            Alarm(
                f"memory-{short}",
                ns,
                "DatabaseMemoryUsagePercentage",
                dims,
                "GreaterThanThreshold",
                t.cache_memory_percent,
                "Maximum",
                f"Redis memory above {t.cache_memory_percent}% on {node}: keys will be evicted",
            ),
            Alarm(
                f"evictions-{short}",
                ns,
                "Evictions",
                dims,
                "GreaterThanThreshold",
                t.cache_evictions,
                "Sum",
                f"Redis evicted keys on {node}: task state and results may be lost",
            ),
            Alarm(
                f"connections-{short}",
                ns,
                "CurrConnections",
                dims,
                "GreaterThanThreshold",
                t.cache_connections,
                "Maximum",
                f"More than {t.cache_connections} Redis connections on {node}",
            ),
        ]
        if replicas:
            alarms.append(
                Alarm(
                    f"replication-lag-{short}",
                    ns,
                    "ReplicationLag",
                    dims,
                    "GreaterThanThreshold",
                    t.replica_lag_seconds,
                    "Maximum",
                    f"{node} lags its primary by over {t.replica_lag_seconds}s: a failover "
                    "would lose those writes",
                )
            )
    return alarms
