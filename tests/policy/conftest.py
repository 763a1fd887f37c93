"""The example stacks, run once for every policy test: the rules' real input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from plan.simulator import ProgramRun, run_program
from policy import pack
from tests.policy.engine import (
    Flags,
    Keeps,
    assert_flags_only,
    assert_keeps,
    break_params,
    keep_params,
)

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="session")
def stack_runs() -> dict[str, ProgramRun]:
    runs = {}
    for path in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        config = yaml.safe_load(path.read_text())["config"]
        runs[path.name] = run_program(config)
    return runs


@pytest.fixture
def flags(stack_runs: dict[str, ProgramRun]) -> Flags:
    """assert_flags_only on the example resource of the named policy's rule."""
    return lambda policy, change, words: assert_flags_only(
        stack_runs, pack.RULES[policy][1], change, words
    )


@pytest.fixture
def keeps(stack_runs: dict[str, ProgramRun]) -> Keeps:
    """assert_keeps on the example resource of the named policy's rule."""
    return lambda policy, change: assert_keeps(stack_runs, pack.RULES[policy][1], change)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test asking for `policy`, `change` and `words` runs once per case in its module's
    BREAKS; one asking for `policy` and `change` alone, once per case in its KEEPS."""
    wanted, module = set(metafunc.fixturenames), metafunc.module
    assert module is not None
    if {"policy", "change", "words"} <= wanted:
        metafunc.parametrize(("policy", "change", "words"), break_params(module.BREAKS))
    elif {"policy", "change"} <= wanted:
        metafunc.parametrize(("policy", "change"), keep_params(module.KEEPS))
