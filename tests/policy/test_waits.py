"""The stack rule on waits (policy/waits.py), on the options the simulator records."""

from __future__ import annotations

import copy
import re
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)

from plan.simulator import ProgramRun, RecordedResource
from policy import waits
from tests.policy.engine import engine_args, to_wire


def seconds(duration: str | None) -> float:
    """A Go duration as Pulumi's engine hands it to the pack (`1h15m`, `75m`, `90s`)."""
    unit = {"h": 3600, "m": 60, "s": 1}
    return float(sum(int(n) * unit[u] for n, u in re.findall(r"(\d+)([hms])", duration or "")))


def _jobs(stack_runs: dict[str, ProgramRun]) -> list[RecordedResource]:
    return [r for run in stack_runs.values() for r in run.of_type(waits.JOB)]


def _policy_resource(r: RecordedResource, create: str | None) -> PolicyResource:
    timeouts = PolicyCustomTimeouts(seconds(create), seconds(r.custom_timeouts.get("update")), 0)
    opts = PolicyResourceOptions(r.protect, r.ignore_changes, None, [], timeouts, [], None)
    props = engine_args(r.type, to_wire(r.inputs)).props
    return PolicyResource(r.type, props, r.urn, r.name, opts, None, None, [], {})


def _judge(resources: list[PolicyResource]) -> list[str]:
    found: list[str] = []
    waits.jobs_outlast_their_deadline(
        StackValidationArgs(resources),  # type: ignore[arg-type]
        lambda message, _urn: found.append(message),
    )
    return found


def test_the_examples_warm_up_jobs_pass(stack_runs: dict[str, ProgramRun]) -> None:
    jobs = _jobs(stack_runs)
    # customer-prod and azure-prod warm their pull-through caches.
    assert {j.name for j in jobs} >= {"platform-registry-warm-up"}, [j.name for j in jobs]
    assert _judge([_policy_resource(j, j.custom_timeouts.get("create")) for j in jobs]) == []


def test_a_job_on_the_providers_default_timeout_is_flagged(
    stack_runs: dict[str, ProgramRun],
) -> None:
    job = _jobs(stack_runs)[0]
    [violation] = _judge([_policy_resource(job, None)])
    assert "not longer than its activeDeadlineSeconds" in violation


def test_a_timeout_shorter_than_the_deadline_is_flagged(
    stack_runs: dict[str, ProgramRun],
) -> None:
    job = _jobs(stack_runs)[0]
    deadline = int(job.inputs["spec"]["activeDeadlineSeconds"])
    [violation] = _judge([_policy_resource(job, f"{deadline}s")])
    assert f"create timeout of {deadline:g} s" in violation
    assert _judge([_policy_resource(job, f"{deadline + 1}s")]) == []


def test_a_job_without_a_deadline_is_flagged(stack_runs: dict[str, ProgramRun]) -> None:
    job = copy.deepcopy(_jobs(stack_runs)[0])
    inputs: dict[str, Any] = job.inputs
    del inputs["spec"]["activeDeadlineSeconds"]
    [violation] = _judge([_policy_resource(job, job.custom_timeouts.get("create"))])
    assert "has no spec.activeDeadlineSeconds" in violation
