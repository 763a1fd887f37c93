"""Alerts on GCP: one policy per risk, each filtered on the instance the program creates and
routed to the stack's notification channel."""

from __future__ import annotations

from typing import Any

from tests.gcp.helpers import GcpRun

POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"


def _filters(run: GcpRun) -> dict[str, str]:
    return {
        r.name: r.inputs["conditions"][0]["conditionThreshold"]["filter"]
        for r in run.of_type(POLICY)
    }


def test_policies_filter_on_the_instances_the_program_creates(prod: GcpRun) -> None:
    sql: Any = prod.one("gcp:sql/databaseInstance:DatabaseInstance").inputs
    redis: Any = prod.one("gcp:redis/instance:Instance").inputs
    filters = _filters(prod)
    # The GKE scale-up policy filters on the cluster (tests/gcp/test_scale_up_alerts.py).
    del filters["platform-alerts-gke-scale-up-errors"]
    assert len(filters) == 7
    for name, f in filters.items():
        if "-database-" in name:
            assert f'database_id="{sql["project"]}:{sql["name"]}"' in f, name
        else:
            assert f'/instances/{redis["name"]}"' in f, name


def test_policies_notify_the_stacks_email_channel(prod: GcpRun) -> None:
    [channel] = prod.of_type("gcp:monitoring/notificationChannel:NotificationChannel")
    assert channel.inputs["labels"] == {"email_address": "oncall@customer.example.com"}
    found = prod.of_type(POLICY)
    assert found
    for policy in found:
        assert policy.property_dependencies["notificationChannels"] == [channel.urn]
        assert policy.inputs["conditions"][0]["conditionThreshold"]["duration"] == "600s"


def test_a_failover_of_the_instance_alerts(prod: GcpRun) -> None:
    """A regional instance that failed over to its standby runs without one until Cloud SQL
    rebuilds it: the GA counter database/auto_failover_request_count says so."""
    sql: Any = prod.one("gcp:sql/databaseInstance:DatabaseInstance").inputs
    policy = prod.one(POLICY, "platform-alerts-database-failover").inputs
    condition = policy["conditions"][0]["conditionThreshold"]
    assert condition["filter"] == (
        'resource.type="cloudsql_database" AND '
        f'resource.labels.database_id="{sql["project"]}:{sql["name"]}" AND '
        'metric.type="cloudsql.googleapis.com/database/auto_failover_request_count"'
    )
    assert condition["comparison"] == "COMPARISON_GT"
    assert condition["thresholdValue"] == 0
