"""Shared fixtures: the example stacks as editable config maps, and a runner."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

# Before any provider SDK loads: the tests run on the plan's start-up shortcut.
import plan  # noqa: F401  # pyright: ignore[reportUnusedImport]

ROOT = Path(__file__).resolve().parent.parent


def stack_file(name: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text())
    return data["config"]


@pytest.fixture
def existing_config() -> dict[str, Any]:
    """The existing-infra example stack, free to mutate."""
    return copy.deepcopy(stack_file("existing-infra"))


@pytest.fixture(autouse=True, scope="session")
def _eks_calendar_day() -> Any:
    """Judge the EKS release calendar on a fixed day, so that the example stacks' versions
    do not expire under the tests (the plan and `pulumi up` use the real date)."""
    from components.aws import versions as eks_versions

    mp = pytest.MonkeyPatch()
    mp.setenv(eks_versions.TODAY_ENV, "2026-11-29")
    yield
    mp.undo()
