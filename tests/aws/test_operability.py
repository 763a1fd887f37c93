"""Operable data services: Database Insights, logs that expire, and a Prometheus that
scrapes often enough for the autoscalers' 2-minute rates."""

from __future__ import annotations

from typing import Any

import pytest

from tests.aws.helpers import AwsRun
from tests.helpers import set_path, settings_from

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = ("aws:kms/key:Key", "platform-data-key", "arn")


def test_rds_has_database_insights_standard_with_the_platform_key(prod: AwsRun) -> None:
    db = prod.one("aws:rds/instance:Instance", "platform-database-postgres").inputs
    # Performance Insights alone reached end of life on 2026-07-31.
    assert db["databaseInsightsMode"] == "standard"
    assert db["performanceInsightsEnabled"] is True
    assert db["performanceInsightsKmsKeyId"] == prod.out(*KEY)
    assert db["performanceInsightsRetentionPeriod"] == 7


def test_rds_log_exports_land_in_groups_that_expire(prod: AwsRun) -> None:
    db = prod.one("aws:rds/instance:Instance", "platform-database-postgres")
    assert db.inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    for log in ("postgresql", "upgrade"):
        group = prod.one(LOG_GROUP, f"platform-database-logs-{log}")
        # RDS's own group name, created before the instance so that retention applies.
        assert group.inputs["name"] == f"/aws/rds/instance/model-engine-customer-prod/{log}"
        assert group.inputs["retentionInDays"] == 30
        assert group.urn in db.dependencies


def test_redis_delivers_slow_and_engine_logs(prod: AwsRun) -> None:
    g = prod.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    delivered = {c["logType"]: c for c in g["logDeliveryConfigurations"]}
    assert set(delivered) == {"slow-log", "engine-log"}
    for log, config in delivered.items():
        group = prod.one(LOG_GROUP, f"platform-cache-{log}").inputs
        assert config["destination"] == group["name"]
        assert config["destinationType"] == "cloudwatch-logs"
        assert group["retentionInDays"] == 30


def test_log_retention_must_be_one_cloudwatch_accepts(config: dict[str, Any]) -> None:
    set_path(config, "aws.redis.logRetentionDays", 45)
    with pytest.raises(ValueError, match="not a CloudWatch Logs retention"):
        settings_from(config)


def _seconds(duration: str) -> int:
    units = {"s": 1, "m": 60}
    return int(duration[:-1]) * units[duration[-1]]


def test_prometheus_scrapes_often_enough_for_two_minute_rates(prod: AwsRun) -> None:
    values = prod.one("kubernetes:helm.sh/v3:Release", "addons-prometheus-server").inputs["values"]
    interval = _seconds(values["server"]["global"]["scrape_interval"])
    # The server's KEDA query and the adapter rule take rate(...[2m]): four samples or more.
    adapter = prod.one("kubernetes:helm.sh/v3:Release", "addons-prometheus-adapter-release")
    [rule] = adapter.inputs["values"]["rules"]["custom"]
    assert "[2m]" in rule["metricsQuery"]
    assert 120 // interval >= 4
    assert interval <= 30
