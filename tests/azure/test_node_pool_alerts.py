"""Node pools that cannot grow reach the action group: failed agent-pool writes in the
cluster's resource group, failed scale-set writes (the autoscaler's scale-ups) in the node
resource group."""

from __future__ import annotations

from tests.azure.helpers import CLUSTER, AzureRun

ALERT = "azure-native:monitor:ActivityLogAlert"
METRIC = "azure-native:monitor:MetricAlert"


def _conditions(inputs: dict[str, object]) -> dict[str, str]:
    condition = inputs["condition"]
    assert isinstance(condition, dict)
    return {c["field"]: c["equals"] for c in condition["allOf"]}


def test_failed_pool_and_scale_set_writes_alert_the_action_group(prod: AzureRun) -> None:
    alerts = {a.name: a.inputs for a in prod.of_type(ALERT)}
    pool = alerts["platform-nodes-activity-node-pool-failed"]
    sets = alerts["platform-nodes-activity-scale-set-failed"]
    assert _conditions(pool) == {
        "category": "Administrative",
        "operationName": "Microsoft.ContainerService/managedClusters/agentPools/write",
        "status": "Failed",
    }
    assert _conditions(sets)["operationName"] == "Microsoft.Compute/virtualMachineScaleSets/write"
    assert _conditions(sets)["status"] == "Failed"
    cluster = prod.state(CLUSTER, "platform-cluster-aks")
    subscription = "/subscriptions/"
    (pool_scope,) = pool["scopes"]
    (set_scope,) = sets["scopes"]
    assert pool_scope.startswith(subscription)
    assert pool_scope.endswith(f"/resourceGroups/{cluster['resourceGroupName']}")
    assert set_scope.endswith(f"/resourceGroups/{cluster['nodeResourceGroup']}")
    # The stack's action group, as every metric alert uses it.
    (metric,) = prod.one(METRIC, "platform-database-alert-cpu").inputs["actions"]
    group = metric["actionGroupId"]
    assert group
    for alert in (pool, sets):
        assert alert["actions"] == {"actionGroups": [{"actionGroupId": group}]}
