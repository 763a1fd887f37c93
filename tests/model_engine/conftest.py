"""The starting point of every guard test: the values derived for the existing-infra
example stack, which pass every guard."""

from __future__ import annotations

from typing import Any

import pytest

from components.contract import GpuNodePool
from components.existing import platform as existing
from components.model_engine.derive import SecretRefs, derive
from components.settings import StackSettings
from tests.helpers import settings_from
from tests.model_engine.guards.cases import Values


@pytest.fixture
def settings(existing_config: dict[str, Any]) -> StackSettings:
    return settings_from(existing_config)


@pytest.fixture
def pools(settings: StackSettings) -> list[GpuNodePool]:
    return existing.gpu_pools(settings)


@pytest.fixture
def values(settings: StackSettings, pools: list[GpuNodePool]) -> Values:
    return derive(
        existing.facts(settings), settings, pools, SecretRefs(database="model-engine-database")
    )
