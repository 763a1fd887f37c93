"""Running the AWS example stack against the simulated cloud, and reading what it made."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from plan import computed_aws, simulator
from plan.simulator import ProgramRun, RecordedResource, deferred, helm_values, run_program
from tests.conftest import stack_file

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
class AwsRun:
    run: ProgramRun
    options: dict[tuple[str, str], Options] = field(default_factory=dict)

    # -- lookups ---------------------------------------------------------------------
    def one(self, typ: str, name: str | None = None) -> RecordedResource:
        return self.run.one(typ, name)

    def of_type(self, typ: str) -> list[RecordedResource]:
        return self.run.of_type(typ)

    def out(self, typ: str, name: str, attr: str) -> str:
        """The placeholder of a resource output (the resource must exist)."""
        self.one(typ, name)
        return deferred(typ, name, attr)

    @property
    def values(self) -> dict[str, Any]:
        return helm_values(self.one(*CHART).inputs)

    @property
    def infra(self) -> dict[str, Any]:
        return self.values["config"]["values"]["infra"]

    @property
    def launch(self) -> dict[str, Any]:
        return self.values["config"]["values"]["launch"]

    def policy(self, role: str) -> dict[str, Any]:
        return json.loads(self.one("aws:iam/rolePolicy:RolePolicy", role).inputs["policy"])

    def trust(self, role: str) -> dict[str, Any]:
        return json.loads(self.one("aws:iam/role:Role", role).inputs["assumeRolePolicy"])

    def upstream(self, resource: RecordedResource) -> set[str]:
        """URNs of every resource this one waits for, directly or through others."""
        by_urn = {r.urn: r for r in self.run.resources}
        seen: set[str] = set()
        todo = list(resource.dependencies)
        while todo:
            urn = todo.pop()
            if urn in seen or urn not in by_urn:
                continue
            seen.add(urn)
            todo.extend(by_urn[urn].dependencies)
        return seen


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
