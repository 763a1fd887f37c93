"""The real chart, rendered once per example stack for the whole session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.chart.support import (
    StackRender,
    chart_yaml,
    example_stacks,
    render_stack,
    require_chart,
)
from tests.chart.template_refs import References, template_references


@pytest.fixture(scope="session")
def chart() -> Path:
    return require_chart()


@pytest.fixture(scope="session")
def refs(chart: Path) -> References:
    return template_references(chart)


@pytest.fixture(scope="session")
def sample(chart: Path) -> dict[str, Any]:
    """The chart's own example values (values_sample.yaml)."""
    return chart_yaml(chart, "values_sample.yaml")


@pytest.fixture(scope="session", params=example_stacks())
def stack(request: pytest.FixtureRequest, chart: Path) -> StackRender:
    """An example stack: the program run as `python -m plan` runs it, and the chart rendered
    with exactly the values the plan writes (null overlay included)."""
    return render_stack(chart, request.param)
