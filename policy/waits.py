"""The stack rule on waits: every Kubernetes Job the deployment waits for has a custom create
timeout, longer than the Job's own activeDeadlineSeconds.

pulumi-kubernetes fails a Job that is not complete after its default 10 minutes, and the
registry warm-up pulls many GB through a cold cache (components/waits.py). With a timeout
longer than the Job's deadline, a Job that cannot finish fails by its deadline, with the
Job's own reason, rather than `up` timing out half-way. A stack rule because the resource
options (customTimeouts) travel beside the props, not in them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policy.common import get

JOB = "kubernetes:batch/v1:Job"


def _deadline(props: Mapping[str, Any]) -> float | None:
    try:
        value = get(props, "spec.activeDeadlineSeconds")
    except UnknownValueError:
        return None
    return float(value) if isinstance(value, (int, float)) else None


def short_waits(resources: Iterable[tuple[str, str, Mapping[str, Any], float]]) -> Iterator[str]:
    """(type, name, props, custom create timeout in seconds, 0 when unset) -> violations."""
    for typ, name, props, create_s in resources:
        if typ != JOB:
            continue
        deadline = _deadline(props)
        if deadline is None:
            yield (
                f"Job {name} has no spec.activeDeadlineSeconds: a pull that never succeeds "
                "(a wrong tag) keeps it waiting until `up` times out; give it a deadline"
            )
        elif create_s <= deadline:
            yield (
                f"Job {name} has a create timeout of {create_s:g} s (0: the provider's 10 "
                f"minutes), not longer than its activeDeadlineSeconds {deadline:g}: `up` "
                "would time out before the Job succeeds or fails; set customTimeouts "
                "(components/waits.py)"
            )


def jobs_outlast_their_deadline(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = (
        (r.resource_type, r.name, r.props, r.opts.custom_timeouts.create_seconds)
        for r in args.resources
    )
    for message in short_waits(resources):
        report(message, None)


STACK_RULES = {
    "jobs-outlast-their-deadline": (
        "Every Job the deployment waits for has a create timeout longer than its deadline.",
        jobs_outlast_their_deadline,
        EnforcementLevel.MANDATORY,
    ),
}
