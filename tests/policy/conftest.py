"""The example stacks, run once for every policy test: the rules' real input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from plan.simulator import ProgramRun, run_program

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="session")
def stack_runs() -> dict[str, ProgramRun]:
    runs = {}
    for path in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        config = yaml.safe_load(path.read_text())["config"]
        runs[path.name] = run_program(config)
    return runs
