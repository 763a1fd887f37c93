"""Alerts and windows on Azure: metric alerts ship with the server, cache and namespace they
watch and notify the stack's action group; the maintenance windows are the stack's."""

from __future__ import annotations

from typing import Any

from tests.azure.helpers import AzureRun, run_azure
from tests.helpers import set_path

ALERT = "azure-native:monitor:MetricAlert"
GROUP = "azure-native:monitor:ActionGroup"
MAINTENANCE = "azure-native:containerservice:MaintenanceConfiguration"


def _metrics(run: AzureRun, prefix: str) -> dict[str, Any]:
    return {
        r.inputs["criteria"]["allOf"][0]["metricName"]: r
        for r in run.of_type(ALERT)
        if r.name.startswith(prefix)
    }


def test_each_alert_watches_its_resource_and_notifies_the_action_group(prod: AzureRun) -> None:
    group = prod.one(GROUP, "platform-alerts-group")
    assert len(group.inputs["groupShortName"]) <= 12
    assert [r["emailAddress"] for r in group.inputs["emailReceivers"]] == [
        "oncall@customer.example.com"
    ]
    watched = {
        "platform-database-": ("azure-native:dbforpostgresql:Server", "platform-database-postgres"),
        "platform-cache-": ("azure-native:redisenterprise:RedisEnterprise", "platform-cache-redis"),
        "platform-broker-": ("azure-native:servicebus:Namespace", "platform-broker-servicebus"),
    }
    expected = {
        "platform-database-": {"cpu_percent", "storage_percent", "active_connections"},
        "platform-cache-": {"usedmemorypercentage", "evictedkeys", "connectedclients"},
        "platform-broker-": {"DeadletteredMessages"},
    }
    for prefix, (typ, name) in watched.items():
        alerts = _metrics(prod, prefix)
        assert set(alerts) == expected[prefix]
        target = prod.one(typ, name).urn
        found = alerts.values()
        assert found
        for alert in found:
            assert alert.property_dependencies["scopes"] == [target]
            assert alert.property_dependencies["actions"] == [group.urn]
            # 10 evaluation minutes: the smallest window Azure accepts that covers them.
            assert alert.inputs["windowSize"] == "PT15M"


def test_postgres_and_aks_take_the_stacks_windows(config: dict[str, Any]) -> None:
    set_path(
        config,
        "operations.maintenance",
        {
            "window": {"day": "sat", "startHour": 20, "durationHours": 6},
            "nodeOsWindow": {"day": "tue", "startHour": 2},
            "backupStartHour": 4,
        },
    )
    run = run_azure(config)
    server = run.one("azure-native:dbforpostgresql:Server").inputs
    assert server["maintenanceWindow"] == {
        "customWindow": "Enabled",
        "dayOfWeek": 6,
        "startHour": 20,
        "startMinute": 0,
    }
    configs = {
        r.inputs["configName"]: r.inputs["maintenanceWindow"] for r in run.of_type(MAINTENANCE)
    }
    upgrade = configs["aksManagedAutoUpgradeSchedule"]
    assert upgrade["schedule"]["weekly"]["dayOfWeek"] == "Saturday"
    assert (upgrade["startTime"], upgrade["durationHours"], upgrade["utcOffset"]) == (
        "20:00",
        6,
        "+00:00",
    )
    node_os = configs["aksManagedNodeOSUpgradeSchedule"]
    assert node_os["schedule"]["weekly"]["dayOfWeek"] == "Tuesday"
    assert node_os["startTime"] == "02:00"


def test_with_auto_upgrade_off_only_node_images_are_scheduled(config: dict[str, Any]) -> None:
    set_path(config, "operations.maintenance.clusterAutoUpgrade", "none")
    run = run_azure(config)
    aks = run.one("azure-native:containerservice:ManagedCluster").inputs
    assert aks["autoUpgradeProfile"]["upgradeChannel"] == "none"
    assert [r.inputs["configName"] for r in run.of_type(MAINTENANCE)] == [
        "aksManagedNodeOSUpgradeSchedule"
    ]


def test_a_named_action_group_is_used_and_none_created(config: dict[str, Any]) -> None:
    group = "/subscriptions/s/resourceGroups/rg/providers/microsoft.insights/actionGroups/oncall"
    set_path(config, "operations.alerts", {"actionGroupId": group})
    run = run_azure(config)
    assert run.of_type(GROUP) == []
    alert = run.one(ALERT, "platform-database-alert-cpu").inputs
    assert alert["actions"] == [{"actionGroupId": group}]


def test_the_database_server_alerts_on_its_resource_health(prod: AzureRun) -> None:
    """A failover, crash or host failure of the Flexible Server shows in its Resource Health
    (unavailable or degraded), not in a metric the metric alerts read."""
    server = prod.one("azure-native:dbforpostgresql:Server", "platform-database-postgres").urn
    group = prod.one(GROUP, "platform-alerts-group").urn
    alert = prod.one("azure-native:monitor:ActivityLogAlert", "platform-database-health")
    assert alert.property_dependencies["scopes"] == [server]
    assert alert.property_dependencies["actions"] == [group]
    all_of = alert.inputs["condition"]["allOf"]
    assert {"field": "category", "equals": "ResourceHealth"} in all_of
    statuses = {
        leaf["equals"]
        for c in all_of
        for leaf in c.get("anyOf", [])
        if leaf["field"] == "properties.currentHealthStatus"
    }
    assert statuses == {"Unavailable", "Degraded"}
