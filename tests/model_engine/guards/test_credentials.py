"""The guards on credentials in the values (components/model_engine/guards/credentials.py): each
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


@pytest.mark.parametrize(("guard", "case"), params(CASES))
def test_guard_rejects(
    values: Values, settings: StackSettings, pools: list[GpuNodePool], guard: str, case: Case
) -> None:
    assert_rejects(values, settings, pools, guard, case)
