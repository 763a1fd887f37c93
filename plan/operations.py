"""The plan's operations section: each alert the stack creates and each maintenance window it
sets, read from the recorded resources (what would be deployed, not what the settings say)."""

from __future__ import annotations

from typing import Any

from plan.simulator import RecordedResource

# Resource type -> how its alert is named in the plan.
ALERT_TYPES = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda i: (
        f"{i.get('metricName')} {i.get('comparisonOperator')} {i.get('threshold')}"
    ),
    "aws:rds/eventSubscription:EventSubscription": lambda i: (
        "RDS events: " + ", ".join(i.get("eventCategories", []))
    ),
    "azure-native:monitor:MetricAlert": lambda i: i.get("description", ""),
    "gcp:monitoring/alertPolicy:AlertPolicy": lambda i: i.get("displayName", ""),
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": lambda i: (
        "Prometheus rules: " + ", ".join(_rule_names(i))
    ),
}
# Resource type -> the inputs (dotted paths for nested ones) that hold its maintenance or
# backup window.
WINDOW_INPUTS = {
    "aws:rds/instance:Instance": ("maintenanceWindow", "backupWindow"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("maintenanceWindow", "snapshotWindow"),
    "azure-native:dbforpostgresql:Server": ("maintenanceWindow",),
    "azure-native:containerservice:MaintenanceConfiguration": ("configName", "maintenanceWindow"),
    "azure-native:containerservice:ManagedCluster": ("autoUpgradeProfile",),
    "gcp:container/cluster:Cluster": ("maintenancePolicy.recurringWindow",),
    "gcp:sql/databaseInstance:DatabaseInstance": (
        "settings.maintenanceWindow",
        "settings.backupConfiguration.startTime",
    ),
    "gcp:redis/instance:Instance": ("maintenancePolicy.weeklyMaintenanceWindows",),
}
_MISSING = object()


def _at(inputs: dict[str, Any], path: str) -> Any:
    node: Any = inputs
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _rule_names(inputs: dict[str, Any]) -> list[str]:
    groups = inputs.get("spec", {}).get("groups", [])
    return [r["alert"] for g in groups for r in g.get("rules", []) if "alert" in r]


def lines(resources: list[RecordedResource]) -> list[str]:
    out = ["### Alerts"]
    alerts = [r for r in resources if r.type in ALERT_TYPES]
    out += [f"- {r.name}: {ALERT_TYPES[r.type](r.inputs)}" for r in alerts] or ["none"]
    out.append("### Maintenance and backup windows")
    found = [
        (r, [(k, _at(r.inputs, k)) for k in WINDOW_INPUTS[r.type]])
        for r in resources
        if r.type in WINDOW_INPUTS
    ]
    out += [
        f"- {r.name}: " + "; ".join(f"{k}={v}" for k, v in pairs if v is not _MISSING)
        for r, pairs in found
        if any(v is not _MISSING for _, v in pairs)
    ] or ["none"]
    return out
