"""Shared fixtures: the example stacks as editable config maps, and a runner."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def stack_file(name: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text())
    return data["config"]


@pytest.fixture
def existing_config() -> dict[str, Any]:
    """The existing-infra example stack, free to mutate."""
    return copy.deepcopy(stack_file("existing-infra"))
