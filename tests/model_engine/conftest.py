"""The starting point of every guard test: the values derived for the existing-infra
example stack, which pass every guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.contract import GpuNodePool
from components.existing import facts as existing
from components.model_engine.derive import SecretRefs, derive
from components.settings import StackSettings
from tests.helpers import settings_from
from tests.model_engine.guards.cases import Case, Values, assert_rejects, params


@pytest.fixture
def settings(existing_config: dict[str, Any]) -> StackSettings:
    return settings_from(existing_config)


@pytest.fixture
def pools(settings: StackSettings) -> list[GpuNodePool]:
    return existing.gpu_pools(settings)


@pytest.fixture
def values(settings: StackSettings, pools: list[GpuNodePool]) -> Values:
    return derive(
        existing.preview_facts(settings),
        settings,
        pools,
        SecretRefs(database="model-engine-database"),
    )


@pytest.fixture
def rejects(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> Callable[[str, Case], None]:
    """assert_rejects on the example values: THAT guard reports the case's broken value."""
    return lambda guard, case: assert_rejects(values, settings, pools, guard, case)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test asking for `guard` and `case` runs once per case in its module's CASES."""
    if {"guard", "case"} <= set(metafunc.fixturenames):
        assert metafunc.module is not None
        metafunc.parametrize(("guard", "case"), params(metafunc.module.CASES))
