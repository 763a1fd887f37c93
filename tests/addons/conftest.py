"""Fixtures for the add-on tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from plan import simulator


@pytest.fixture(autouse=True, scope="session")
def _invoke_failures_are_a_list() -> Iterator[None]:
    """Pulumi's mock monitor iterates the failures a mock invoke returns and the simulator
    returns None, which breaks the AWS platform's lookups (same shim as tests/aws); a no-op
    once plan/simulator.py returns []."""
    original = simulator.SimulatedCloud.call

    def call(self: Any, args: Any) -> Any:
        result, failures = original(self, args)
        return result, failures or []

    simulator.SimulatedCloud.call = call  # type: ignore[method-assign]
    yield
    simulator.SimulatedCloud.call = original  # type: ignore[method-assign]
