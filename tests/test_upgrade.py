"""A chart upgrade changes only what it must: the Release, nothing the platform owns."""

from __future__ import annotations

from typing import Any

import pytest

from plan.simulator import ProgramRun, run_program
from tests.conftest import stack_file
from tests.helpers import set_path

RELEASE = ("kubernetes:helm.sh/v3:Release", "model-engine-chart")


def _inputs(run: ProgramRun) -> dict[tuple[str, str], Any]:
    return {(r.type, r.name): r.inputs for r in run.resources}


def _changed(before: ProgramRun, after: ProgramRun) -> set[tuple[str, str]]:
    a, b = _inputs(before), _inputs(after)
    assert set(a) == set(b), set(a) ^ set(b)
    return {key for key in a if a[key] != b[key]}


@pytest.mark.parametrize("stack", ["customer-prod", "existing-infra"])
def test_new_image_tag_changes_only_the_release(stack: str) -> None:
    config: dict[str, Any] = stack_file(stack)
    before = run_program(config, stack=stack)
    set_path(config, "image.tag", "0123456789abcdef0123456789abcdef01234567")
    after = run_program(config, stack=stack)
    assert _changed(before, after) == {RELEASE}
    assert after.values["tag"] == "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("stack", ["customer-prod", "existing-infra"])
def test_new_chart_checkout_changes_only_the_release(stack: str) -> None:
    config: dict[str, Any] = stack_file(stack)
    before = run_program(config, stack=stack)
    set_path(config, "chart", {"path": "../llm-engine-next/charts/model-engine"})
    after = run_program(config, stack=stack)
    assert _changed(before, after) == {RELEASE}
    release = next(r for r in after.resources if (r.type, r.name) == RELEASE)
    assert release.inputs["chart"] == "../llm-engine-next/charts/model-engine"
