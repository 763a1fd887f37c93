"""Maintenance windows and alert targets: the stack's settings, formatted for each provider."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components import operations as ops
from components.platforms import PLATFORMS


def test_a_window_across_the_end_of_the_week_wraps_to_monday() -> None:
    w = ops.Window(day="sun", start_hour=22, duration_hours=4)
    assert w.aws() == "sun:22:00-mon:02:00"
    assert (0, 1) in w.hours() and (6, 22) in w.hours() and (0, 2) not in w.hours()


def test_provider_day_spellings() -> None:
    # PostgreSQL Flexible Server counts from Sunday = 0; AKS spells the day.
    assert ops.Window(day="sun").azure_day_of_week() == 0
    assert ops.Window(day="sat").azure_day_of_week() == 6
    assert ops.Window(day="wed").aks_day() == "Wednesday"


def test_aks_refuses_windows_under_four_hours() -> None:
    with pytest.raises(ValidationError, match="durationHours"):
        ops.Window.model_validate({"durationHours": 3})


def test_a_daily_backup_may_not_fall_in_the_window_on_any_day() -> None:
    # The window runs sat 23:00 - sun 03:00: a 01:00 backup lands in it on Sunday.
    with pytest.raises(ValidationError, match="backupStartHour 1 falls inside"):
        ops.Maintenance.model_validate(
            {"window": {"day": "sat", "startHour": 23}, "backupStartHour": 1}
        )


@pytest.mark.parametrize(
    ("cloud", "alerts", "key"),
    [
        ("aws", {}, "snsTopicArn"),
        ("aws", {"emails": ["ops@example.com"]}, None),
        ("aws", {"snsTopicArn": "arn:aws:sns:us-east-1:123456789012:t"}, None),
        # Another cloud's target does not count.
        ("azure", {"snsTopicArn": "arn:aws:sns:us-east-1:123456789012:t"}, "actionGroupId"),
        ("gcp", {}, "notificationChannel"),
        ("gcp", {"notificationChannel": "projects/p/notificationChannels/1"}, None),
        ("existing", {}, None),
    ],
)
def test_a_stack_without_an_alert_target_gets_a_finding(
    cloud: str, alerts: dict[str, object], key: str | None
) -> None:
    found = ops.findings(PLATFORMS[cloud], ops.Alerts.model_validate(alerts), alert_webhook=True)
    if key is None:
        assert found == []
    else:
        assert found == [
            "operations.alerts: no target, so no one hears an alarm; set "
            f"operations.alerts.emails or operations.alerts.{key}"
        ]


@pytest.mark.parametrize(
    ("cloud", "webhook", "finding"),
    [
        # Alertmanager publishes to the SNS topic itself.
        ("aws", False, False),
        ("azure", False, True),
        ("gcp", False, True),
        ("existing", False, True),
        ("gcp", True, False),
    ],
)
def test_prometheus_alerts_without_a_route_get_a_finding(
    cloud: str, webhook: bool, finding: bool
) -> None:
    alerts = ops.Alerts.model_validate({"emails": ["ops@example.com"]})
    found = [
        f
        for f in ops.findings(PLATFORMS[cloud], alerts, webhook)
        if f.startswith("alertWebhookUrl")
    ]
    assert bool(found) is finding


def test_an_address_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValidationError, match="is not an e-mail address"):
        ops.Alerts.model_validate({"emails": ["oncall"]})


def test_the_plan_shows_every_window_the_gcp_stack_sets() -> None:
    """Issue 21 (e): GCP keeps its windows in nested inputs (the cluster's maintenancePolicy,
    Cloud SQL's settings, Memorystore's maintenancePolicy); the plan showed none."""
    from plan import operations
    from tests.gcp.helpers import gcp_config, run_gcp

    run = run_gcp(gcp_config())
    text = operations.lines(run.run.resources)
    windows = text[text.index("### Maintenance and backup windows") + 1 :]
    by_name = {line.split(":")[0].removeprefix("- "): line for line in windows}
    cluster = run.one("gcp:container/cluster:Cluster")
    recurrence = cluster.inputs["maintenancePolicy"]["recurringWindow"]["recurrence"]
    assert recurrence in by_name[cluster.name]
    sql = run.one("gcp:sql/databaseInstance:DatabaseInstance")
    backup = sql.inputs["settings"]["backupConfiguration"]["startTime"]
    assert f"startTime={backup}" in by_name[sql.name]
    assert "maintenanceWindow=" in by_name[sql.name]
    redis = run.one("gcp:redis/instance:Instance")
    day = redis.inputs["maintenancePolicy"]["weeklyMaintenanceWindows"][0]["day"]
    assert day in by_name[redis.name]


def test_the_operations_section_does_not_follow_registration_order() -> None:
    """Sibling resources register in whatever order their Outputs resolve (it changed with
    PYTHONHASHSEED on customer-prod's cache alarms and the chart's dependants): the section
    reads the same whatever the order."""
    from plan import operations
    from tests.gcp.helpers import gcp_config, run_gcp

    resources = run_gcp(gcp_config()).run.resources
    alerts = [r for r in resources if r.type in operations.ALERT_TYPES]
    assert len(alerts) > 1
    assert operations.lines(resources) == operations.lines(resources[::-1])
