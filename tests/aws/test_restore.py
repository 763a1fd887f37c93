"""`aws.database.restore`: the RDS instance is created from a snapshot or a point in time,
and a restore block that names no single source is refused before any resource exists."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from components.aws import facts as aws_facts
from components.aws import platform as aws_platform
from tests.aws.helpers import AwsRun, prod_config, run_aws
from tests.helpers import refusal, set_path, settings_from

RDS = "aws:rds/instance:Instance"
KEY = "model-engine-infra:aws.database.restore"


def _instance(restore: dict[str, Any]) -> dict[str, Any]:
    config = prod_config()
    set_path(config, "aws.database.restore", restore)
    return run_aws(config).one(RDS).inputs


def test_from_a_snapshot_the_instance_takes_the_snapshot_and_no_new_user() -> None:
    inputs = _instance({"snapshotIdentifier": "model-engine-prod-2026-11-30"})
    assert inputs["snapshotIdentifier"] == "model-engine-prod-2026-11-30"
    # The snapshot brings the database and its master user; the password is the stack's.
    assert "username" not in inputs and "dbName" not in inputs
    assert "password" in inputs
    assert "restoreToPointInTime" not in inputs


def test_to_a_point_in_time_from_another_instance() -> None:
    inputs = _instance(
        {
            "sourceDbInstanceIdentifier": "model-engine-prod",
            "restoreTime": "2026-11-30T09:15:00+01:00",
        }
    )
    assert inputs["restoreToPointInTime"] == {
        "sourceDbInstanceIdentifier": "model-engine-prod",
        # RDS takes UTC.
        "restoreTime": "2026-11-30T08:15:00Z",
    }
    assert "snapshotIdentifier" not in inputs


def test_latest_restorable_time_by_resource_id() -> None:
    source = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    inputs = _instance({"sourceDbInstanceIdentifier": source, "useLatestRestorableTime": True})
    assert inputs["restoreToPointInTime"] == {
        "sourceDbiResourceId": source,
        "useLatestRestorableTime": True,
    }


def test_without_restore_the_instance_is_new_and_empty(prod: AwsRun) -> None:
    inputs = prod.one(RDS).inputs
    assert inputs["username"] == "llm_engine" and inputs["dbName"] == "llm_engine"
    assert "snapshotIdentifier" not in inputs and "restoreToPointInTime" not in inputs


@pytest.mark.parametrize(
    ("restore", "words"),
    [
        ({}, "exactly one of snapshotIdentifier"),
        (
            {"snapshotIdentifier": "s", "sourceDbInstanceIdentifier": "i"},
            "exactly one of snapshotIdentifier",
        ),
        ({"snapshotIdentifier": "s", "useLatestRestorableTime": True}, "not with snapshot"),
        ({"sourceDbInstanceIdentifier": "i"}, "exactly one of restoreTime"),
        (
            {
                "sourceDbInstanceIdentifier": "i",
                "restoreTime": "2026-11-30T08:15:00Z",
                "useLatestRestorableTime": True,
            },
            "exactly one of restoreTime",
        ),
        (
            {"sourceDbInstanceIdentifier": "i", "restoreTime": "2026-11-30 08:15"},
            "RFC 3339 with the offset",
        ),
    ],
)
def test_a_restore_without_one_source_is_refused_before_any_resource(
    restore: dict[str, Any], words: str
) -> None:
    config = prod_config()
    set_path(config, "aws.database.restore", restore)
    refusal(config, KEY.removeprefix("model-engine-infra:"), words)


def test_the_chart_logs_in_as_the_restored_instances_master_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A snapshot keeps its master user and database: the chart's facts take both from the
    instance as restored (FactSources.database_user/name), not the stack's `user`/`name`."""
    config = prod_config()
    set_path(config, "aws.database.restore", {"snapshotIdentifier": "model-engine-prod-1"})
    seen: list[aws_facts.FactSources] = []
    real = aws_facts.build_facts

    def spy(settings: Any, src: aws_facts.FactSources) -> Any:
        seen.append(src)
        return real(settings, src)

    monkeypatch.setattr(aws_facts, "build_facts", spy)
    monkeypatch.setattr(aws_platform, "build_facts", spy)
    run_aws(config)
    deployed = [s for s in seen if s.database_user is not None]
    assert deployed, "the platform passes the instance's master user to the facts"
    # The facts follow the sources (plain ones, as before deploy).
    settings = settings_from(config)
    seen.clear()
    aws_facts.preview_facts(settings)
    facts = real(
        settings,
        dataclasses.replace(seen[0], database_user="restored_admin", database_name="prod_db"),
    )
    assert (facts.database.user, facts.database.name) == ("restored_admin", "prod_db")
