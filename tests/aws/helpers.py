"""Running the AWS example stack against the simulated cloud, and reading what it made."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from plan import computed_aws, simulator
from plan.simulator import deferred, run_program
from tests.conftest import stack_file
from tests.helpers import StackRun

STACK = "customer-prod"
CHART = ("kubernetes:helm.sh/v3:Release", "model-engine-chart")
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


def prod_config() -> dict[str, Any]:
    """The AWS example stack, free to mutate."""
    return copy.deepcopy(stack_file(STACK))


@dataclass
class Options:
    """Resource options the recorded resources do not carry."""

    custom_timeouts: dict[str, str]
    retain_on_delete: bool
    ignore_changes: list[str]


@dataclass
class AwsRun(StackRun):
    options: dict[tuple[str, str], Options] = field(default_factory=dict)

    # -- lookups ---------------------------------------------------------------------
    def out(self, typ: str, name: str, attr: str) -> str:
        """The placeholder of a resource output (the resource must exist)."""
        self.one(typ, name)
        return deferred(typ, name, attr)

    def policy(self, role: str) -> dict[str, Any]:
        return json.loads(self.one("aws:iam/rolePolicy:RolePolicy", role).inputs["policy"])

    def trust(self, role: str) -> dict[str, Any]:
        return json.loads(self.one("aws:iam/role:Role", role).inputs["assumeRolePolicy"])


@contextlib.contextmanager
def _recording_options(into: dict[tuple[str, str], Options]) -> Iterator[None]:
    original = simulator.RecordingMonitor.RegisterResource

    def register(self: Any, request: Any) -> Any:
        timeouts = request.customTimeouts
        into[(request.type, request.name)] = Options(
            custom_timeouts={
                k: getattr(timeouts, k)
                for k in ("create", "update", "delete")
                if getattr(timeouts, k)
            },
            retain_on_delete=bool(request.retainOnDelete),
            ignore_changes=list(request.ignoreChanges),
        )
        return original(self, request)

    simulator.RecordingMonitor.RegisterResource = register  # type: ignore[method-assign]
    try:
        yield
    finally:
        simulator.RecordingMonitor.RegisterResource = original  # type: ignore[method-assign]


def run_aws(config: dict[str, Any], existing: computed_aws.Existing | None = None) -> AwsRun:
    options: dict[tuple[str, str], Options] = {}
    with _recording_options(options):
        run = run_program(config, existing=existing)
    return AwsRun(run, options)
