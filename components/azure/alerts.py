"""Alerts on Azure: the stack's action group (or the one it names), and the Azure Monitor
metric alerts each data component creates beside the resource it watches.

Metric names are the platform metrics of each resource type ("Supported metrics with Azure
Monitor": Microsoft.DBforPostgreSQL/flexibleServers, Microsoft.Cache/redisEnterprise,
Microsoft.ServiceBus/namespaces).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.azure.common import child
from components.operations import Alerts, Thresholds
from components.sdk import lazy

if TYPE_CHECKING:
    from pulumi_azure_native import monitor
else:
    monitor = lazy("pulumi_azure_native.monitor")

# Action group short names (shown in SMS and e-mail subjects): at most 12 characters.
SHORT_NAME = "modelengine"
SHORT_NAME_LIMIT = 12
# Azure Monitor's allowed look-back windows (MetricAlert.windowSize), in minutes.
WINDOW_MINUTES = (1, 5, 15, 30, 60, 360, 720, 1440)
# Metric alert severities: 0 critical .. 4 verbose. Data loss or an outage is 1 (error).
SEVERITY = 1
_CRITERIA = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"


def window_size(thresholds: Thresholds) -> str:
    """The smallest window Azure accepts that covers the stack's evaluation minutes."""
    minutes = next(m for m in WINDOW_MINUTES if m >= thresholds.evaluation_minutes)
    return f"PT{minutes // 60}H" if minutes >= 60 else f"PT{minutes}M"


@dataclass
class ActionGroupArgs:
    base: str
    alerts: Alerts
    resource_group_name: pulumi.Input[str]
    tags: Mapping[str, str]


class ActionGroup(pulumi.ComponentResource):
    """The stack's alert target: the action group it names, or one e-mailing its addresses."""

    id: pulumi.Output[str]

    def __init__(
        self, name: str, args: ActionGroupArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:azure:ActionGroup", name, None, opts)
        if args.alerts.action_group_id:
            self.id = pulumi.Output.from_input(args.alerts.action_group_id)
        else:
            group = monitor.ActionGroup(
                f"{name}-group",
                action_group_name=f"{args.base}-alerts"[:260],
                group_short_name=SHORT_NAME[:SHORT_NAME_LIMIT],
                resource_group_name=args.resource_group_name,
                location="global",
                enabled=True,
                email_receivers=[
                    monitor.MicrosoftCommonEmailReceiverArgs(
                        name=f"email-{i}", email_address=address, use_common_alert_schema=True
                    )
                    for i, address in enumerate(args.alerts.emails)
                ],
                tags=dict(args.tags),
                opts=child(self),
            )
            self.id = group.id
        self.register_outputs({"id": self.id})


@dataclass(frozen=True)
class MetricRule:
    suffix: str
    metric: str
    operator: str
    threshold: float
    aggregation: str
    description: str


@dataclass
class AlertTarget:
    action_group_id: pulumi.Input[str]
    thresholds: Thresholds
    resource_group_name: pulumi.Input[str]
    # e.g. model-engine-azure-prod: the alert rules' names start with it.
    base: str


def metric_alerts(
    parent: pulumi.Resource,
    name: str,
    scope_id: pulumi.Input[str],
    rules: Sequence[MetricRule],
    target: AlertTarget,
) -> list[monitor.MetricAlert]:
    """One metric alert per rule on one resource, notifying the stack's action group."""
    return [
        monitor.MetricAlert(
            f"{name}-alert-{rule.suffix}",
            rule_name=f"{target.base}-{name}-{rule.suffix}"[:260],
            resource_group_name=target.resource_group_name,
            location="global",
            description=rule.description,
            severity=SEVERITY,
            enabled=True,
            scopes=[scope_id],
            evaluation_frequency="PT5M",
            window_size=window_size(target.thresholds),
            auto_mitigate=True,
            criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
                odata_type=_CRITERIA,
                all_of=[
                    monitor.MetricCriteriaArgs(
                        criterion_type="StaticThresholdCriterion",
                        name=rule.suffix,
                        metric_name=rule.metric,
                        operator=rule.operator,
                        threshold=rule.threshold,
                        time_aggregation=rule.aggregation,
                    )
                ],
            ),
            actions=[monitor.MetricAlertActionArgs(action_group_id=target.action_group_id)],
            opts=child(parent),
        )
        for rule in rules
    ]


def database_rules(t: Thresholds) -> list[MetricRule]:
    return [
        MetricRule(
            "cpu",
            "cpu_percent",
            "GreaterThan",
            t.database_cpu_percent,
            "Average",
            f"PostgreSQL CPU above {t.database_cpu_percent}%",
        ),
        MetricRule(
            "storage",
            "storage_percent",
            "GreaterThan",
            100 - t.database_free_storage_percent,
            "Maximum",
            f"PostgreSQL storage over {100 - t.database_free_storage_percent}% used: writes "
            "stop when it is full",
        ),
        MetricRule(
            "connections",
            "active_connections",
            "GreaterThan",
            t.database_connections,
            "Maximum",
            f"More than {t.database_connections} PostgreSQL connections",
        ),
    ]


def cache_rules(t: Thresholds) -> list[MetricRule]:
    return [
        MetricRule(
            "memory",
            "usedmemorypercentage",
            "GreaterThan",
            t.cache_memory_percent,
            "Maximum",
            f"Redis memory above {t.cache_memory_percent}%: keys will be evicted",
        ),
        MetricRule(
            "evictions",
            "evictedkeys",
            "GreaterThan",
            t.cache_evictions,
            "Total",
            "Redis evicted keys: task state and results may be lost",
        ),
        MetricRule(
            "connections",
            "connectedclients",
            "GreaterThan",
            t.cache_connections,
            "Maximum",
            f"More than {t.cache_connections} Redis connections",
        ),
    ]


def broker_rules() -> list[MetricRule]:
    return [
        MetricRule(
            "dead-letters",
            "DeadletteredMessages",
            "GreaterThan",
            0,
            "Maximum",
            "Service Bus messages dead-lettered: async tasks that will never run",
        ),
    ]


# Activity log operations whose failure means a GPU pool cannot grow: AKS provisioning or
# scaling an agent pool, and the cluster autoscaler growing a pool's scale set (it writes the
# VMSS in the node resource group directly). "Azure Monitor activity log alerts".
NODE_POOL_WRITE = "Microsoft.ContainerService/managedClusters/agentPools/write"
SCALE_SET_WRITE = "Microsoft.Compute/virtualMachineScaleSets/write"


@dataclass(frozen=True)
class ActivityRule:
    suffix: str
    operation: str
    scope: pulumi.Input[str]
    description: str


def node_pool_rules(
    cluster_group_id: pulumi.Input[str], node_group_id: pulumi.Input[str]
) -> list[ActivityRule]:
    return [
        ActivityRule(
            "node-pool-failed",
            NODE_POOL_WRITE,
            cluster_group_id,
            "An AKS node pool failed to provision or scale",
        ),
        ActivityRule(
            "scale-set-failed",
            SCALE_SET_WRITE,
            node_group_id,
            "A node pool's scale set failed to grow (capacity, quota): nodes the autoscaler "
            "asked for will not come",
        ),
    ]


def activity_alerts(
    parent: pulumi.Resource, name: str, rules: Sequence[ActivityRule], target: AlertTarget
) -> list[monitor.ActivityLogAlert]:
    """Failed administrative operations under each rule's scope, to the action group."""
    return [
        monitor.ActivityLogAlert(
            f"{name}-activity-{rule.suffix}",
            activity_log_alert_name=f"{target.base}-{name}-{rule.suffix}"[:260],
            resource_group_name=target.resource_group_name,
            location="global",
            description=rule.description,
            enabled=True,
            scopes=[rule.scope],
            condition=monitor.AlertRuleAllOfConditionArgs(
                all_of=[
                    monitor.AlertRuleAnyOfOrLeafConditionArgs(
                        field="category", equals="Administrative"
                    ),
                    monitor.AlertRuleAnyOfOrLeafConditionArgs(
                        field="operationName", equals=rule.operation
                    ),
                    monitor.AlertRuleAnyOfOrLeafConditionArgs(field="status", equals="Failed"),
                ]
            ),
            actions=monitor.ActionListArgs(
                action_groups=[monitor.ActionGroupArgs(action_group_id=target.action_group_id)]
            ),
            opts=child(parent),
        )
        for rule in rules
    ]


# Resource Health events whose new state means the resource does not serve as it should
# ("Resource Health alerts using ARM templates": properties.currentHealthStatus). On a
# Flexible Server, an unplanned HA failover, a crash or a host failure shows as one of them.
UNHEALTHY = ("Unavailable", "Degraded")


def resource_health_alert(
    parent: pulumi.Resource,
    name: str,
    scope: pulumi.Input[str],
    description: str,
    target: AlertTarget,
) -> monitor.ActivityLogAlert:
    """An activity log alert on the resource's Resource Health events that leave it
    unavailable or degraded, to the action group."""
    return monitor.ActivityLogAlert(
        f"{name}-health",
        activity_log_alert_name=f"{target.base}-{name}-health"[:260],
        resource_group_name=target.resource_group_name,
        location="global",
        description=description,
        enabled=True,
        scopes=[scope],
        condition=monitor.AlertRuleAllOfConditionArgs(
            all_of=[
                monitor.AlertRuleAnyOfOrLeafConditionArgs(
                    field="category", equals="ResourceHealth"
                ),
                monitor.AlertRuleAnyOfOrLeafConditionArgs(
                    any_of=[
                        monitor.AlertRuleLeafConditionArgs(
                            field="properties.currentHealthStatus", equals=status
                        )
                        for status in UNHEALTHY
                    ]
                ),
            ]
        ),
        actions=monitor.ActionListArgs(
            action_groups=[monitor.ActionGroupArgs(action_group_id=target.action_group_id)]
        ),
        opts=child(parent),
    )
