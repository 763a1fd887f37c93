"""Alerts on GCP: the stack's notification channel (or the one it names) and Cloud Monitoring
alert policies on the Cloud SQL instance and the Memorystore instance.

One component beside the data components (the GCP data modules are being reworked on another
branch); each policy filters on exactly one instance, named as Cloud Monitoring names it
(cloudsql_database database_id `<project>:<instance>`, redis_instance instance_id
`projects/<p>/locations/<r>/instances/<i>`). Metric types: "Google Cloud metrics" (cloudsql,
redis).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import logging, monitoring

from components.operations import Alerts, Thresholds


@dataclass(frozen=True)
class Policy:
    suffix: str
    resource_filter: str
    metric: str
    comparison: str
    threshold: float
    aligner: str
    description: str


@dataclass
class GcpAlertsArgs:
    base: str
    alerts: Alerts
    project: str
    region: str
    database_instance: str
    redis_instance: str
    # The GKE cluster's name: its autoscaler's failed scale-ups are alerted on.
    cluster: str = ""


# GKE's cluster autoscaler visibility log: a scale-up that failed carries an error message id
# `scale.up.error.*` (out of resources, quota exceeded, waiting for instances timeout, ...) in
# resultInfo ("Viewing cluster autoscaler events", GKE documentation).
AUTOSCALER_LOG = "container.googleapis.com%2Fcluster-autoscaler-visibility"


def scale_up_errors_filter(project: str, cluster: str) -> str:
    return (
        f'logName="projects/{project}/logs/{AUTOSCALER_LOG}" AND '
        f'resource.type="k8s_cluster" AND resource.labels.cluster_name="{cluster}" AND '
        'jsonPayload.resultInfo.results.errorMsg.messageId=~"^scale.up.error"'
    )


def scale_up_metric_name(base: str) -> str:
    return f"{base}-gke-scale-up-errors"


def policies(args: GcpAlertsArgs) -> list[Policy]:
    t: Thresholds = args.alerts.thresholds
    sql = (
        'resource.type="cloudsql_database" AND '
        f'resource.labels.database_id="{args.project}:{args.database_instance}"'
    )
    redis = (
        'resource.type="redis_instance" AND resource.labels.instance_id='
        f'"projects/{args.project}/locations/{args.region}/instances/{args.redis_instance}"'
    )
    return [
        Policy(
            "database-cpu",
            sql,
            "cloudsql.googleapis.com/database/cpu/utilization",
            "COMPARISON_GT",
            t.database_cpu_percent / 100,
            "ALIGN_MEAN",
            f"Cloud SQL CPU above {t.database_cpu_percent}%",
        ),
        Policy(
            "database-disk",
            sql,
            "cloudsql.googleapis.com/database/disk/utilization",
            "COMPARISON_GT",
            (100 - t.database_free_storage_percent) / 100,
            "ALIGN_MAX",
            "Cloud SQL disk nearly full: writes stop when it is",
        ),
        Policy(
            "database-connections",
            sql,
            "cloudsql.googleapis.com/database/postgresql/num_backends",
            "COMPARISON_GT",
            t.database_connections,
            "ALIGN_MAX",
            f"More than {t.database_connections} PostgreSQL connections",
        ),
        Policy(
            # A failover of a regional (HA) instance to its standby: connections dropped, and
            # the standby zone now serves alone until Cloud SQL rebuilds one (Cloud SQL
            # metrics, database/auto_failover_request_count, GA, DELTA INT64).
            "database-failover",
            sql,
            "cloudsql.googleapis.com/database/auto_failover_request_count",
            "COMPARISON_GT",
            0,
            "ALIGN_DELTA",
            "Cloud SQL failed over to its standby",
        ),
        Policy(
            "cache-memory",
            redis,
            "redis.googleapis.com/stats/memory/usage_ratio",
            "COMPARISON_GT",
            t.cache_memory_percent / 100,
            "ALIGN_MAX",
            f"Redis memory above {t.cache_memory_percent}%: keys will be evicted",
        ),
        Policy(
            "cache-evictions",
            redis,
            "redis.googleapis.com/stats/evicted_keys",
            "COMPARISON_GT",
            t.cache_evictions,
            "ALIGN_DELTA",
            "Redis evicted keys: task state and results may be lost",
        ),
        Policy(
            "cache-connections",
            redis,
            "redis.googleapis.com/clients/connected",
            "COMPARISON_GT",
            t.cache_connections,
            "ALIGN_MAX",
            f"More than {t.cache_connections} Redis clients",
        ),
    ]


class GcpAlerts(pulumi.ComponentResource):
    def __init__(self, name: str, args: GcpAlertsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:gcp:Alerts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        channels: list[pulumi.Input[str]] = []
        if args.alerts.notification_channel:
            channels.append(args.alerts.notification_channel)
        for i, address in enumerate(args.alerts.emails):
            channels.append(
                monitoring.NotificationChannel(
                    f"{name}-email-{i}",
                    project=args.project,
                    display_name=f"{args.base} alerts ({address})",
                    type="email",
                    labels={"email_address": address},
                    opts=child,
                ).name
            )
        duration = f"{args.alerts.thresholds.evaluation_minutes * 60}s"
        all_policies = policies(args)
        after: list[pulumi.Resource] = []
        if args.cluster:
            # A log-based metric counts the failed scale-ups; the policy alerts on any.
            metric = logging.Metric(
                f"{name}-scale-up-errors",
                project=args.project,
                name=scale_up_metric_name(args.base),
                description="GKE cluster autoscaler scale-ups that failed (GPU pools first)",
                filter=scale_up_errors_filter(args.project, args.cluster),
                metric_descriptor=logging.MetricMetricDescriptorArgs(
                    metric_kind="DELTA", value_type="INT64"
                ),
                opts=child,
            )
            after.append(metric)
            all_policies.append(
                Policy(
                    "gke-scale-up-errors",
                    'resource.type="k8s_cluster" AND '
                    f'resource.labels.cluster_name="{args.cluster}"',
                    f"logging.googleapis.com/user/{scale_up_metric_name(args.base)}",
                    "COMPARISON_GT",
                    0,
                    "ALIGN_DELTA",
                    "GKE could not add nodes the autoscaler asked for (GPU capacity or quota)",
                )
            )
        for p in all_policies:
            monitoring.AlertPolicy(
                f"{name}-{p.suffix}",
                project=args.project,
                display_name=f"{args.base} {p.suffix}: {p.description}",
                combiner="OR",
                conditions=[
                    monitoring.AlertPolicyConditionArgs(
                        display_name=p.description,
                        condition_threshold=monitoring.AlertPolicyConditionConditionThresholdArgs(
                            filter=f'{p.resource_filter} AND metric.type="{p.metric}"',
                            comparison=p.comparison,
                            threshold_value=p.threshold,
                            duration=duration,
                            aggregations=[
                                monitoring.AlertPolicyConditionConditionThresholdAggregationArgs(
                                    alignment_period="300s", per_series_aligner=p.aligner
                                )
                            ],
                        ),
                    )
                ],
                notification_channels=channels,
                opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            )
        self.register_outputs({})
