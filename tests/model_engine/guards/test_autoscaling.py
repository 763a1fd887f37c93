"""The guards on autoscaling (components/model_engine/guards/autoscaling.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from components.contract import GpuNodePool
from tests.helpers import set_path, settings_from
from tests.model_engine.guards.cases import INFRA, Case, Values, broken, by_guard, drop, put

CASES: dict[str, list[Case]] = {
    "prometheus_for_scale_from_zero": [
        Case(
            "missing",
            drop(f"{INFRA}.prometheus_server_address"),
            f"{INFRA}.prometheus_server_address",
            "never scale up from zero",
        ),
    ],
    "autoscaler_blocks": [
        Case(
            "vpa-bounds",
            put("autoscaling.vertical", {"enabled": True}),
            "autoscaling.vertical.minAllowed",
            "dereferences",
        ),
        Case(
            "prewarming",
            put("autoscaling.prewarming.enabled", True),
            "autoscaling.prewarming.enabled",
            "never exist",
        ),
    ],
}


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)


def test_scale_from_zero_off_makes_missing_prometheus_a_warning(
    existing_config: dict[str, Any], pools: list[GpuNodePool], values: Values
) -> None:
    set_path(existing_config, "autoscaling", {"scaleFromZero": False})
    settings = settings_from(existing_config)
    v = broken(values, drop(f"{INFRA}.prometheus_server_address"))
    [finding] = by_guard(v, settings, pools)["prometheus_for_scale_from_zero"]
    assert finding.level == "warning" and "will not scale from zero" in finding.message
