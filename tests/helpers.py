"""Helpers for editing stack config maps and judging settings without Pulumi."""

from __future__ import annotations

import contextvars
import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi
import pytest
from pulumi.runtime import config as runtime_config

from components.settings import StackSettings
from components.settings_base import PROJECT
from components.settings_loader import settings_from_config
from plan import operations
from plan.simulator import ProgramRun, RecordedResource, config_from_stack, run_program
from tests.conftest import stack_file

KEY = f"{PROJECT}:"
# The model-engine chart's Release, as (type, name) for StackRun.one.
CHART = ("kubernetes:helm.sh/v3:Release", "model-engine-chart")


def example_config(stack: str) -> dict[str, Any]:
    """An example stack's config map, free to mutate."""
    return copy.deepcopy(stack_file(stack))


def set_path(config: dict[str, Any], path: str, value: Any) -> None:
    """Set `a.b[0].c` in a stack config map (top-level key without the project prefix)."""
    parts = path.replace("[", ".[").split(".")
    top = KEY + parts[0]
    if len(parts) == 1:
        config[top] = value
        return
    node = config.setdefault(top, {})
    for part, nxt in itertools.pairwise(parts[1:]):
        key: Any = int(part[1:-1]) if part.startswith("[") else part
        if isinstance(node, dict) and key not in node:
            node[key] = [] if nxt.startswith("[") else {}
        node = node[key]
    last = parts[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value


def delete_path(config: dict[str, Any], path: str) -> None:
    parts = path.split(".")
    if len(parts) == 1:
        del config[KEY + parts[0]]
        return
    node = config[KEY + parts[0]]
    for part in parts[1:-1]:
        node = node[part]
    del node[parts[-1]]


# An edit of a stack's config map, for the bad-stack tables.
Edit = Callable[[dict[str, Any]], None]


def setting(path: str, value: Any) -> Edit:
    return lambda c: set_path(c, path, value)


def removed(path: str) -> Edit:
    return lambda c: delete_path(c, path)


def both(*edits: Edit) -> Edit:
    def apply(c: dict[str, Any]) -> None:
        for e in edits:
            e(c)

    return apply


def settings_from(config: dict[str, Any]) -> StackSettings:
    """Validate a stack config map directly (no Pulumi), as load_settings would."""
    return settings_from_config(config)


T = TypeVar("T")


def under_config(config: dict[str, Any], read: Callable[[], T]) -> T:
    """`read()` as the program runs it, with the stack's config set by the engine."""

    def run() -> T:
        flat, secret_keys = config_from_stack(config)
        runtime_config.set_all_config(flat, secret_keys)
        return read()

    return contextvars.copy_context().run(run)


# A hardware tier for T4 GPUs, as an operator writes it in gpu.recommendedHardware.
T4_TIER = {
    "gpu_memory_le": 16,
    "cpus": 4,
    "gpus": 1,
    "memory": "16Gi",
    "storage": "50Gi",
    "gpu_type": "t4",
}


def add_t4_pool(config: dict[str, Any], balloon_replicas: int) -> None:
    """Add a T4 pool to a stack and name T4 in its hardware tiers."""
    pools = config[KEY + "gpu"]["pools"]
    pools.append(
        {"name": "t4", "accelerator": "t4", "maxSize": 3, "balloonReplicas": balloon_replicas}
    )
    set_path(config, "gpu.recommendedHardware", {"byGpuMemoryGb": [T4_TIER]})


@dataclass
class Options:
    """A resource's options as the simulator recorded them (plan/simulator.py)."""

    custom_timeouts: dict[str, str]
    retain_on_delete: bool
    ignore_changes: list[str]


@dataclass
class StackRun:
    """An example stack's run against the simulated cloud, with what every cloud's tests read;
    each cloud's runner (tests/<cloud>/helpers.py) adds its own lookups."""

    run: ProgramRun
    # (type, name) -> the options the resource was registered with.
    options: dict[tuple[str, str], Options] = field(default_factory=dict)

    def one(self, typ: str, name: str | None = None) -> RecordedResource:
        return self.run.one(typ, name)

    def of_type(self, typ: str) -> list[RecordedResource]:
        return self.run.of_type(typ)

    @property
    def values(self) -> dict[str, Any]:
        return self.run.values

    @property
    def infra(self) -> dict[str, Any]:
        return self.values["config"]["values"]["infra"]

    @property
    def launch(self) -> dict[str, Any]:
        return self.values["config"]["values"]["launch"]

    def option(self, typ: str, name: str) -> Options:
        return self.options[(typ, name)]

    def upstream(self, resource: RecordedResource) -> set[str]:
        """URNs of every resource this one waits for, directly, through inputs or parents."""
        return operations.upstream(self.run.resources, resource)


def run_stack(config: dict[str, Any], **kwargs: Any) -> StackRun:
    """Run a stack config map (any cloud) against the simulated cloud, recording the options
    of every resource; kwargs go to run_program (stack, existing)."""
    run = run_program(config, **kwargs)
    options = {
        (r.type, r.name): Options(r.custom_timeouts, r.retain_on_delete, r.ignore_changes)
        for r in run.resources
    }
    return StackRun(run, options)


def refusal(config: dict[str, Any], key: str, words: str, **run: Any) -> str:
    """The error a bad stack file gets: it names `key` (a stack key without the project
    prefix) and says `words`, and nothing at all was registered before it (not the provider,
    not a component). Returns the message for further checks."""
    registered: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as failure:
        run_program(config, recorded=registered, **run)
    message = str(failure.value)
    assert KEY + key in message, message
    assert words in message, message
    assert registered == [], [r.name for r in registered]
    return message


class ManualClock:
    """A clock the test moves by hand (`clock.now += seconds`)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
