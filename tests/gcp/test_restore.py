"""`gcp.database.restore`: the Cloud SQL instance is created as a clone of another at a point
in time (bringing its databases), and a bad restore block is refused before any resource."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from components.settings_loader import OFFLINE_SECRET
from tests.gcp.helpers import SQL, GcpRun, gcp_config, run_gcp
from tests.helpers import refusal, set_path

DATABASE = "gcp:sql/database:Database"
USER = "gcp:sql/user:User"
KEY = "model-engine-infra:gcp.database.restore"


PASSWORD_KEY = "gcpRestoreUserPassword"


def _cloning() -> dict[str, Any]:
    config = gcp_config()
    set_path(
        config,
        "gcp.database.restore",
        {"sourceInstance": "model-engine-prod", "pointInTime": "2026-11-30T09:15:00+01:00"},
    )
    set_path(config, PASSWORD_KEY, {"secure": "v1:source-user-password"})
    return config


def test_a_clone_at_a_point_in_time_brings_its_databases() -> None:
    run = run_gcp(_cloning())
    assert run.one(SQL).inputs["clone"] == {
        "sourceInstanceName": "model-engine-prod",
        "pointInTime": "2026-11-30T08:15:00Z",
    }
    # The clone has the database and the user already (creating either again would fail).
    assert run.of_type(DATABASE) == []
    assert run.of_type(USER) == []


def test_a_clone_logs_in_with_the_sources_password() -> None:
    run = run_gcp(_cloning())
    assert not [
        r for r in run.of_type("random:index/randomPassword:RandomPassword") if "database" in r.name
    ]
    secret = run.one("kubernetes:core/v1:Secret", "model-engine-database-release")
    url = secret.inputs["stringData"]["database_url"]
    # The stack's config secret (offline: the placeholder for an undecryptable `secure:`).
    assert url.startswith(f"postgresql://llm_engine:{quote(OFFLINE_SECRET, safe='')}@"), url


def test_a_clone_without_the_sources_password_is_refused_before_any_resource() -> None:
    config = _cloning()
    del config[f"model-engine-infra:{PASSWORD_KEY}"]
    refusal(config, PASSWORD_KEY, "pulumi config set --secret")


def test_without_restore_the_instance_is_new_with_its_database(prod: GcpRun) -> None:
    assert "clone" not in prod.one(SQL).inputs
    assert prod.one(DATABASE).inputs["name"] == "llm_engine"


@pytest.mark.parametrize(
    ("restore", "words"),
    [
        ({"pointInTime": "2026-11-30T08:15:00Z"}, "sourceInstance: required"),
        ({"sourceInstance": "proj:model-engine-prod"}, "not project:name"),
        ({"sourceInstance": "model-engine-prod", "pointInTime": "yesterday"}, "RFC 3339"),
    ],
)
def test_a_bad_restore_is_refused_before_any_resource(restore: dict[str, Any], words: str) -> None:
    config = gcp_config()
    set_path(config, "gcp.database.restore", restore)
    refusal(config, KEY.removeprefix("model-engine-infra:"), words)
