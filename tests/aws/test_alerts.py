"""Alerts and windows on AWS: the alarms ship with the database and cache they watch, route
to the stack's encrypted topic, and the windows are the stack's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.aws.helpers import AwsRun, run_aws
from tests.helpers import set_path, settings_from

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def _alarms(run: AwsRun, prefix: str) -> dict[str, dict[str, Any]]:
    return {r.name: r.inputs for r in run.of_type(ALARM) if r.name.startswith(prefix)}


def test_database_alarms_watch_the_instance_and_notify_the_topic(prod: AwsRun) -> None:
    alarms = _alarms(prod, "platform-database-alarm-")
    assert {a["metricName"] for a in alarms.values()} == {
        "CPUUtilization",
        "FreeStorageSpace",
        "DatabaseConnections",
    }
    topic = prod.one("aws:sns/topic:Topic", "platform-alerts-topic").urn
    db = prod.one("aws:rds/instance:Instance", "platform-database-postgres").urn
    for name in alarms:
        alarm = prod.one(ALARM, name)
        assert alarm.property_dependencies["alarmActions"] == [topic], name
        assert alarm.property_dependencies["okActions"] == [topic], name
        # Its dimension is the instance's identifier, so it watches that instance.
        assert alarm.property_dependencies["dimensions"] == [db], name
    # 10% of the 100 GiB the example allocates.
    free = alarms["platform-database-alarm-free-storage"]
    assert free["threshold"] == 100 * 2**30 / 10
    assert free["comparisonOperator"] == "LessThanThreshold"


def test_cache_alarms_cover_every_node_and_lag_on_replicas(prod: AwsRun) -> None:
    alarms = _alarms(prod, "platform-cache-alarm-")
    group = prod.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    nodes = {a["dimensions"]["CacheClusterId"] for a in alarms.values()}
    assert nodes == {
        f"{group['replicationGroupId']}-{i:03d}"
        for i in range(1, int(group["numCacheClusters"]) + 1)
    }
    metrics = {a["metricName"] for a in alarms.values()}
    assert metrics == {
        "DatabaseMemoryUsagePercentage",
        "Evictions",
        "CurrConnections",
        "ReplicationLag",
    }
    # ElastiCache events go to a topic the stack names only (test_platform_alarms): the
    # program's topic is encrypted, which ElastiCache cannot publish to.


def test_thresholds_are_stack_settings(config: dict[str, Any]) -> None:
    set_path(config, "operations.alerts.thresholds.databaseCpuPercent", 65)
    set_path(config, "operations.alerts.thresholds.evaluationMinutes", 15)
    cpu = run_aws(config).one(ALARM, "platform-database-alarm-cpu").inputs
    assert cpu["threshold"] == 65
    assert cpu["evaluationPeriods"] == 3


def test_the_topic_is_encrypted_with_a_key_cloudwatch_may_use(prod: AwsRun) -> None:
    topic = prod.one("aws:sns/topic:Topic", "platform-alerts-topic").inputs
    key = prod.one("aws:kms/key:Key", "platform-alerts-key").urn
    assert prod.one("aws:sns/topic:Topic", "platform-alerts-topic").property_dependencies[
        "kmsMasterKeyId"
    ] == [key]
    assert topic["name"] == "model-engine-customer-prod-alerts"
    policy = json.loads(prod.one("aws:kms/key:Key", "platform-alerts-key").inputs["policy"])
    services = next(s for s in policy["Statement"] if "Service" in s["Principal"])
    assert "cloudwatch.amazonaws.com" in services["Principal"]["Service"]
    assert "aws:SourceAccount" in services["Condition"]["StringEquals"]
    subs = prod.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert [s.inputs["endpoint"] for s in subs] == ["oncall@customer.example.com"]


def test_an_existing_topic_is_used_as_named(config: dict[str, Any]) -> None:
    arn = "arn:aws:sns:us-west-2:123456789012:oncall"
    set_path(config, "operations.alerts", {"snsTopicArn": arn})
    run = run_aws(config)
    assert run.of_type("aws:sns/topic:Topic") == []
    assert run.one(ALARM, "platform-database-alarm-cpu").inputs["alarmActions"] == [arn]


def test_windows_are_the_stacks(config: dict[str, Any]) -> None:
    set_path(
        config,
        "operations.maintenance",
        {"window": {"day": "sat", "startHour": 22, "durationHours": 5}, "backupStartHour": 4},
    )
    run = run_aws(config)
    db = run.one("aws:rds/instance:Instance", "platform-database-postgres").inputs
    # Across midnight into Sunday.
    assert db["maintenanceWindow"] == "sat:22:00-sun:03:00"
    assert db["backupWindow"] == "04:00-05:00"
    cache = run.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert cache["maintenanceWindow"] == "sat:22:00-sun:03:00"
    assert cache["snapshotWindow"] == "04:00-05:00"


def test_a_backup_inside_the_window_is_refused_by_name(config: dict[str, Any]) -> None:
    set_path(config, "operations.maintenance.backupStartHour", 4)
    with pytest.raises(ValueError, match="backupStartHour 4 falls inside the maintenance window"):
        settings_from(config)
