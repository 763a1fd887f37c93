"""How the guard tests break the example values one thing at a time, and check that THE
guard written for that pitfall reports it.

Each topic's test module (test_<topic>.py, named like the guards module it covers) holds
`CASES`: guard name -> the changes that guard must reject, with the path of its finding and
words of its message. test_registry.py checks that every guard has cases in the module of
its topic, so removing, renaming or adding a guard without cases fails a test.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from components.contract import GpuNodePool
from components.model_engine import guards
from components.settings import StackSettings

Values = dict[str, Any]
Change = Callable[[Values], None]

INFRA = "config.values.infra"
LAUNCH = "config.values.launch"


@dataclass(frozen=True)
class Case:
    id: str
    change: Change
    path: str
    words: str
    level: str = "error"


def by_guard(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> dict[str, list[guards.Finding]]:
    """Every finding, under the name of the guard that raised it: each guard runs on its
    own, so no guard's finding can hide another's (two findings on one path both stay)."""
    ctx = guards.Context(values, settings, pools)
    return {g.__name__: list(g(ctx)) for g in guards.GUARDS}


def errors(values: Values, settings: StackSettings, pools: list[GpuNodePool]) -> list[str]:
    return [
        f"{name}: {f}"
        for name, found in by_guard(values, settings, pools).items()
        for f in found
        if f.level == "error"
    ]


def broken(values: Values, change: Change) -> Values:
    out = copy.deepcopy(values)
    change(out)
    return out


def put(path: str, value: Any) -> Change:
    def change(v: Values) -> None:
        node = v
        parts = path.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value

    return change


def drop(path: str) -> Change:
    def change(v: Values) -> None:
        node = v
        parts = path.split(".")
        for p in parts[:-1]:
            node = node[p]
        del node[parts[-1]]

    return change


def both(*changes: Change) -> Change:
    def change(v: Values) -> None:
        for c in changes:
            c(v)

    return change


def on_aws(v: Values) -> None:
    """The existing-infra values, moved to cloud_provider aws (SQS broker)."""
    put(f"{INFRA}.cloud_provider", "aws")(v)
    put("celeryBrokerType", "sqs")(v)
    drop("celery_broker_type_redis")(v)
    put(
        f"{LAUNCH}.sqs_queue_policy_template",
        '{"Resource": "arn:aws:sqs:us-west-2:111122223333:${queue_name}"}',
    )(v)
    put(f"{LAUNCH}.sqs_queue_tag_template", '{"id": "${endpoint_id}"}')(v)
    put(
        "aws.configMap",
        {
            "create": True,
            "name": "default-config",
            "namespaces": ["model-engine"],
            "mountPath": "/opt/.aws/config",
        },
    )(v)
    put("aws.profileName", "default")(v)
    put(f"{INFRA}.profile_ml_inference_worker", "ml-inference")(v)


def params(cases: dict[str, list[Case]]) -> list[Any]:
    """(guard name, case) pairs for pytest.mark.parametrize, with readable ids."""
    return [
        pytest.param(guard, case, id=f"{guard}-{case.id}")
        for guard, guard_cases in cases.items()
        for case in guard_cases
    ]


def assert_rejects(
    values: Values, settings: StackSettings, pools: list[GpuNodePool], guard: str, case: Case
) -> None:
    """THAT guard (by name) reports the broken value, whatever the other guards say, and
    does not already report it on the unbroken values."""
    found = by_guard(broken(values, case.change), settings, pools)[guard]
    matching = [f for f in found if f.path == case.path and case.words in f.message]
    assert matching, found
    assert {f.level for f in matching} == {case.level}
    unbroken = by_guard(values, settings, pools)[guard]
    assert not [f for f in unbroken if f.path == case.path and f.level == case.level], (
        "the unbroken example values already trip this guard"
    )
