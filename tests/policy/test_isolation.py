"""The stack rule (policy/isolation.py): the endpoint namespace has a default deny."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy import StackValidationArgs

from plan.simulator import ProgramRun
from policy import isolation
from tests.policy.engine import engine_args, to_wire

RELEASE = "model-engine-chart"


JUDGED = (isolation.RELEASE, isolation.NETWORK_POLICY, isolation.ISOLATION)


def _props(typ: str, inputs: dict[str, Any]) -> Any:
    """Props as the policy engine hands them (its read-only proxies); a Release's values
    files are assets, which the wire carries as such and the rule does not read."""
    inputs = {k: v for k, v in inputs.items() if k != "valueYamlFiles"}
    return engine_args(typ, to_wire(inputs)).props


def _resources(run: ProgramRun) -> list[tuple[str, Any]]:
    return [(r.type, _props(r.type, r.inputs)) for r in run.resources if r.type in JUDGED]


def _engine_stacks(stack_runs: dict[str, ProgramRun]) -> dict[str, ProgramRun]:
    return {n: r for n, r in stack_runs.items() if any(x.name == RELEASE for x in r.resources)}


def test_every_example_stack_passes(stack_runs: dict[str, ProgramRun]) -> None:
    runs = _engine_stacks(stack_runs)
    assert runs
    for name, run in runs.items():
        assert list(isolation.missing_default_deny(_resources(run))) == [], name


def _without(run: ProgramRun, change: Any) -> list[str]:
    resources = []
    for r in run.resources:
        props = copy.deepcopy(r.inputs)
        deny = r.type == isolation.NETWORK_POLICY and props["metadata"]["name"] == "default-deny"
        if deny and change(props) is False:
            continue
        if r.type in JUDGED:
            resources.append((r.type, _props(r.type, props)))
    return list(isolation.missing_default_deny(resources))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p: False, id="removed"),
        pytest.param(lambda p: p["spec"].update(policyTypes=["Ingress"]), id="ingress-only"),
        pytest.param(lambda p: p["spec"].update(egress=[{}]), id="allows-all-egress"),
        pytest.param(
            lambda p: p["spec"].update(podSelector={"matchLabels": {"a": "b"}}), id="selects-some"
        ),
        pytest.param(lambda p: p["metadata"].update(namespace="default"), id="other-namespace"),
    ],
)
def test_a_missing_or_weakened_default_deny_is_flagged(
    stack_runs: dict[str, ProgramRun], change: Any
) -> None:
    run = next(iter(_engine_stacks(stack_runs).values()))
    [violation] = _without(run, change)
    assert "has no default-deny NetworkPolicy" in violation


def test_the_pack_calls_it_as_a_stack_policy(stack_runs: dict[str, ProgramRun]) -> None:
    run = next(iter(_engine_stacks(stack_runs).values()))

    class _Resource:
        def __init__(self, typ: str, props: Any) -> None:
            self.resource_type, self.props = typ, props

    kept = [(t, p) for t, p in _resources(run) if t != isolation.NETWORK_POLICY]
    reported: list[str] = []
    args = StackValidationArgs([_Resource(t, p) for t, p in kept])  # type: ignore[list-item]
    isolation.endpoint_namespace_default_deny(args, lambda m, _urn: reported.append(m))
    assert len(reported) == 1


REASON = "Calico GlobalNetworkPolicy tenant-fence"


@pytest.fixture(scope="module")
def turned_off() -> ProgramRun:
    from plan.cli import stack_config
    from plan.simulator import run_program

    config = dict(stack_config("existing-infra"))
    config["model-engine-infra:isolation"] = {"enabled": False, "disabledBecause": REASON}
    return run_program(config)


def test_isolation_turned_off_on_purpose_only_advises(turned_off: ProgramRun) -> None:
    resources = _resources(turned_off)
    assert not any(t == isolation.NETWORK_POLICY for t, _ in resources)
    assert list(isolation.missing_default_deny(resources)) == []
    [advice] = isolation.isolation_off_messages(resources)
    assert REASON in advice and "isolation.enabled: false" in advice
    level = isolation.STACK_RULES["endpoint-namespace-isolation-off"][2]
    assert level.value == "advisory"


def test_without_the_reason_the_mandatory_rule_still_fails(turned_off: ProgramRun) -> None:
    for reason in (None, "  "):
        resources = []
        for r in turned_off.resources:
            inputs = copy.deepcopy(r.inputs)
            if r.type == isolation.ISOLATION:
                inputs["disabledBecause"] = reason
            if r.type in JUDGED:
                resources.append((r.type, _props(r.type, inputs)))
        [violation] = isolation.missing_default_deny(resources)
        assert "has no default-deny NetworkPolicy" in violation
        assert list(isolation.isolation_off_messages(resources)) == []


def test_an_enabled_stack_gets_no_advice(stack_runs: dict[str, ProgramRun]) -> None:
    for name, run in _engine_stacks(stack_runs).items():
        assert list(isolation.isolation_off_messages(_resources(run))) == [], name
