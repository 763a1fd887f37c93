"""The guards on the database (components/model_engine/guards/database.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

import pytest

from components.contract import GpuNodePool
from components.settings import StackSettings
from tests.model_engine.guards.cases import (
    Case,
    Values,
    assert_rejects,
    params,
    put,
)

CASES: dict[str, list[Case]] = {
    "migration_runs": [
        Case(
            "migration-off",
            put("db.runDbMigrationScript", False),
            "db.runDbMigrationScript",
            "no schema",
        ),
        Case(
            "init-script-on",
            put("db.runDbInitScript", True),
            "db.runDbInitScript",
            "CREATE SCHEMA",
        ),
    ],
    "database_secret": [
        Case("none", put("secrets", {}), "secrets", "database Secret"),
    ],
}


@pytest.mark.parametrize(("guard", "case"), params(CASES))
def test_guard_rejects(
    values: Values, settings: StackSettings, pools: list[GpuNodePool], guard: str, case: Case
) -> None:
    assert_rejects(values, settings, pools, guard, case)
