"""The guards' registry and entry points (components/model_engine/guards/__init__.py):
every guard is registered and tested under its topic, `check` keeps every finding and
runs the typed model after the guards, `enforce` raises on errors only."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest

from components.contract import GpuNodePool
from components.existing import facts as existing
from components.model_engine import guards
from components.model_engine.derive import SecretRefs, derive
from components.settings import StackSettings
from tests.helpers import set_path, settings_from
from tests.model_engine.guards.cases import (
    INFRA,
    LAUNCH,
    Change,
    Values,
    both,
    broken,
    by_guard,
    errors,
    put,
)

TOPICS = sorted(m.name for m in pkgutil.iter_modules(guards.__path__))


def test_the_package_has_topics() -> None:
    assert {"database", "broker", "registry", "identity", "gcp"} <= set(TOPICS)


@pytest.mark.parametrize("topic", TOPICS)
def test_every_guard_of_a_topic_has_cases_in_its_test_module(topic: str) -> None:
    """Removing (or renaming) a guard, adding one without a case, or a topic module the
    registry does not import, fails here."""
    tests = importlib.import_module(f"tests.model_engine.guards.test_{topic}")
    registered = {g.__name__ for g in guards.GUARDS if g.__module__ == f"{guards.__name__}.{topic}"}
    assert set(tests.CASES) == registered
    assert tests.CASES, f"guards/{topic}.py registers no guard"


def test_every_guard_lives_in_a_topic_module() -> None:
    assert {g.__module__.rsplit(".", 1)[1] for g in guards.GUARDS} == set(TOPICS)


def test_example_values_pass_every_guard(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    assert errors(values, settings, pools) == []


# Checked by the typed model after the guards (guards.check), not by a guard.
MODEL_CASES = [
    pytest.param(
        put(f"{INFRA}.prometheus_server_adress", "http://p"),
        f"{INFRA}.prometheus_server_adress",
        id="infra-typo",
    ),
    pytest.param(
        put(f"{LAUNCH}.sensitive_logmode", True), f"{LAUNCH}.sensitive_logmode", id="launch-typo"
    ),
]


@pytest.mark.parametrize(("change", "path"), MODEL_CASES)
def test_model_rejects_unknown_server_keys(
    values: Values, settings: StackSettings, pools: list[GpuNodePool], change: Change, path: str
) -> None:
    v = broken(values, change)
    assert errors(v, settings, pools) == []
    found = {f.path: f.message for f in guards.check(v, settings, pools) if f.level == "error"}
    assert "silently drops" in found[path], found


def test_override_finding_points_at_chart_values(
    existing_config: dict[str, Any], pools: list[GpuNodePool]
) -> None:
    set_path(existing_config, "chartValues", {"celeryBrokerType": "elasticache"})
    settings = settings_from(existing_config)
    values = derive(existing.preview_facts(settings), settings, pools, SecretRefs(database="db"))
    [finding] = by_guard(values, settings, pools)["broker_type"]
    assert finding.path == "celeryBrokerType"
    assert "model-engine-infra:chartValues.celeryBrokerType" in finding.message


def test_check_reports_every_guards_findings(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    """guards.check (what the program runs) loses none of the per-guard findings."""
    v = broken(values, both(put("redis.auth", "hunter2"), put("context", "circleci")))
    expected = [f for found in by_guard(v, settings, pools).values() for f in found]
    assert len(expected) >= 2
    assert guards.check(v, settings, pools) == expected


def test_an_override_no_chart_template_reads_is_rejected_and_named(
    existing_config: dict[str, Any], pools: list[GpuNodePool]
) -> None:
    set_path(existing_config, "chartValues", {"gpuToleration": [{"key": "example.com/dedicated"}]})
    settings = settings_from(existing_config)
    values = derive(existing.preview_facts(settings), settings, pools, SecretRefs(database="db"))
    found = {f.path: f.message for f in guards.check(values, settings, pools) if f.level == "error"}
    assert "no chart template reads it" in found["gpuToleration"]
    assert "model-engine-infra:chartValues.gpuToleration" in found["gpuToleration"]


def test_enforce_raises_on_errors_only() -> None:
    warning = guards.Finding("warning", "a", "b")
    guards.enforce([warning])
    with pytest.raises(guards.GuardError, match=r"x\.y: broken"):
        guards.enforce([warning, guards.Finding("error", "x.y", "broken")])
