"""The guards on the database (components/model_engine/guards/database.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable

from tests.model_engine.guards.cases import Case, put

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


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)
