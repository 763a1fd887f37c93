"""The plan's operations section: each alert the stack creates, each maintenance window it
sets, and the order a Kubernetes minor bump takes, read from the recorded resources and their
dependency graph (what would be deployed, not what the settings say)."""

from __future__ import annotations

from typing import Any

from components.addons.alert_rules import ALERT_RULES_CONFIGMAP, RULES_FILE
from plan import fast_yaml
from plan.simulator import RecordedResource

# Resource type -> how its alert is named in the plan.
ALERT_TYPES = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda i: (
        f"{i.get('metricName') or i.get('alarmDescription')} {i.get('comparisonOperator')} "
        f"{i.get('threshold')}"
    ),
    "aws:cloudwatch/eventRule:EventRule": lambda i: f"EventBridge: {i.get('description')}",
    "azure-native:monitor:ActivityLogAlert": lambda i: f"activity log: {i.get('description')}",
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


# A Kubernetes minor bump, in the order the clouds require: each stage's resources must wait
# for (depend on, directly or not) the stages before it, since Pulumi updates a resource only
# after everything it depends on. AKS and GKE upgrade their managed add-ons (addon profiles,
# GKE add-ons) with the control plane itself; EKS's are resources of their own.
UPGRADE_STAGES: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "control plane",
        frozenset(
            {
                "aws:eks/cluster:Cluster",
                "azure-native:containerservice:ManagedCluster",
                "gcp:container/cluster:Cluster",
            }
        ),
    ),
    ("managed add-ons", frozenset({"aws:eks/addon:Addon"})),
    (
        "node pools",
        frozenset(
            {
                "aws:eks/nodeGroup:NodeGroup",
                "azure-native:containerservice:AgentPool",
                "gcp:container/nodePool:NodePool",
            }
        ),
    ),
    ("chart's dependants", frozenset({"kubernetes:helm.sh/v3:Release"})),
)


def upstream(resources: list[RecordedResource], resource: RecordedResource) -> set[str]:
    """URNs of every resource this one waits for, directly, through inputs or parents."""
    by_urn = {r.urn: r for r in resources}
    seen: set[str] = set()
    todo = list(resource.dependencies)
    while todo:
        urn = todo.pop()
        if urn in seen or urn not in by_urn:
            continue
        seen.add(urn)
        todo.extend(by_urn[urn].dependencies)
    return seen


def upgrade_order(resources: list[RecordedResource]) -> list[tuple[str, list[str], list[str]]]:
    """(stage, its resources, the resources out of order) per stage the stack has. A
    resource is out of order when it waits for no resource of an earlier stage present."""
    stages = [(stage, [r for r in resources if r.type in types]) for stage, types in UPGRADE_STAGES]
    stages = [(stage, members) for stage, members in stages if members]
    out = []
    for i, (stage, members) in enumerate(stages):
        late = []
        for r in members:
            up = upstream(resources, r)
            if any(not {e.urn for e in earlier} & up for _, earlier in stages[:i]):
                late.append(r.name)
        out.append((stage, [r.name for r in members], late))
    return out


def _rule_names(inputs: dict[str, Any]) -> list[str]:
    groups = inputs.get("spec", {}).get("groups", [])
    return [r["alert"] for g in groups for r in g.get("rules", []) if "alert" in r]


def prometheus_rules(r: RecordedResource) -> list[str] | None:
    """Alert names of model-engine's Prometheus rules the resource carries: the prometheus
    Release's rules file, or the ConfigMap written for a Prometheus the stack brings."""
    if r.type == "kubernetes:helm.sh/v3:Release":
        rules = r.inputs.get("values", {}).get("serverFiles", {}).get(RULES_FILE)
    elif r.type == "kubernetes:core/v1:ConfigMap" and (
        r.inputs.get("metadata", {}).get("name") == ALERT_RULES_CONFIGMAP
    ):
        rules = fast_yaml.safe_load(r.inputs.get("data", {}).get(RULES_FILE, "") or "{}")
    else:
        return None
    if not rules:
        return None
    return [rule["alert"] for g in rules.get("groups", []) for rule in g.get("rules", [])]


def lines(resources: list[RecordedResource]) -> list[str]:
    # By name, not in registration order: sibling resources register in whatever order their
    # Outputs resolve, which may differ from one run to the next.
    resources = sorted(resources, key=lambda r: r.name)
    out = ["### Alerts"]
    alerts = [r for r in resources if r.type in ALERT_TYPES]
    out += [f"- {r.name}: {ALERT_TYPES[r.type](r.inputs)}" for r in alerts] or ["none"]
    for r in resources:
        names = prometheus_rules(r)
        if names:
            out.append(f"- {r.name}: Prometheus rules: {', '.join(names)}")
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
    out.append("### Kubernetes minor upgrade order (from the dependency graph)")
    order = upgrade_order(resources)
    if not order or order[0][0] != UPGRADE_STAGES[0][0]:
        out.append("the cluster is yours: upgrade it (and its nodes) first, then `pulumi up`")
        return out
    for i, (stage, names, late) in enumerate(upgrade_order(resources), 1):
        out.append(f"{i}. {stage}: {', '.join(names)}")
        out += [f"   - OUT OF ORDER: {name} waits for no earlier stage" for name in late]
    return out
