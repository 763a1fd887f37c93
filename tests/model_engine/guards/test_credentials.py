"""The guards on credentials in the values (components/model_engine/guards/credentials.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable

from tests.model_engine.guards.cases import Case, put

CASES: dict[str, list[Case]] = {
    "no_credentials_anywhere": [
        Case(
            "url-in-env",
            put("extraEnvVars", [{"name": "X", "value": "postgresql://u:p@h/db"}]),
            "extraEnvVars[0].value",
            "credential",
        ),
        Case(
            "unresolved-secret",
            put("extraEnvVars", [{"name": "X", "value": "[secret]"}]),
            "extraEnvVars[0].value",
            "credential",
        ),
    ],
}


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)
