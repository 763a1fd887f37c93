"""The program run as a deploy would leave it: every output the cloud computes is concrete.

The simulated cloud answers `<after-deploy TYPE NAME.attr>` for what only a deploy knows (a
generated password, an RDS address). A server cannot start on placeholders, so this cloud
fills in what the provider would return (fresh random passwords, host names of the provider's
shape, moto's default account); everything else is the program's own derivation, unchanged.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.contract import DEFERRED_MARKER
from plan.cli import stack_config
from plan.render import Rendered, render_chart
from plan.simulator import ProgramRun, SimulatedCloud, run_program

# moto answers sts:GetCallerIdentity with this account unless told otherwise.
MOTO_ACCOUNT = "123456789012"
_PLACEHOLDER = re.compile(re.escape(DEFERRED_MARKER) + r"(\S+) ([^>]+)\.(\w+)>")


def _concrete(typ: str, name: str, attr: str) -> str | None:
    """What the provider returns for this output after a deploy; None keeps the placeholder
    (an id nobody reads at run time)."""
    if typ.endswith(":RandomPassword") and attr == "result":
        return secrets.token_hex(16)  # alphanumeric: valid as an ElastiCache AUTH token too
    if typ.endswith(":RandomId") and attr == "hex":
        return secrets.token_hex(4)
    if typ.endswith("getCallerIdentity") and attr == "accountId":
        return MOTO_ACCOUNT
    if typ.endswith("iam/role:Role") and attr == "arn":
        return f"arn:aws:iam::{MOTO_ACCOUNT}:role/{name}"
    if typ.endswith("rds/instance:Instance") and attr == "address":
        return f"{name}.c9e2e0example.us-east-1.rds.amazonaws.com"
    if typ.endswith("ReplicationGroup") and attr == "primaryEndpointAddress":
        return f"master.{name}.e2e0ex.use1.cache.amazonaws.com"
    if typ.endswith("s3/bucket:Bucket") and attr == "bucket":
        return name
    return None


class DeployedCloud(SimulatedCloud):
    """The simulated cloud with each computed output made concrete (the same value every time
    it is read: a password is generated once)."""

    def __init__(self) -> None:
        super().__init__()
        self.filled: dict[str, str] = {}

    def _fill(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._fill(v) for v in value]
        if isinstance(value, str) and DEFERRED_MARKER in value:
            return _PLACEHOLDER.sub(self._one, value)
        return value

    def _one(self, match: re.Match[str]) -> str:
        key = match.group(0)
        if key not in self.filled:
            self.filled[key] = _concrete(*match.groups()) or key
        return self.filled[key]

    def new_resource(self, args: Any) -> tuple[str | None, dict]:
        resource_id, state = super().new_resource(args)
        return resource_id, self._fill(state)

    def call(self, args: Any) -> tuple[dict, list[tuple[str, str]] | None]:
        answer, failures = super().call(args)
        return self._fill(answer), failures


@dataclass
class Deployed:
    """One example stack as deployed: the run, Helm's values and the rendered chart."""

    stack: str
    run: ProgramRun
    values: dict[str, Any]
    rendered: Rendered

    def secret_data(self, namespace: str, name: str) -> dict[str, str]:
        """A Kubernetes Secret the program creates (not the chart), as the pod reads it."""
        for r in self.run.of_type("kubernetes:core/v1:Secret"):
            meta = r.inputs.get("metadata") or {}
            if meta.get("namespace") == namespace and meta.get("name") == name:
                return dict(r.inputs.get("stringData") or {})
        raise LookupError(f"the program creates no Secret {namespace}/{name}")

    def broken(self, chart: Path, edit: Callable[[ProgramRun, dict[str, Any]], None]) -> Deployed:
        """This deploy with a derived value broken on purpose: `edit` changes a copy of the
        program's resources and Helm values, the chart is rendered again. Everything else
        (the generated passwords, the host names) stays as deployed, so the broken workload
        runs against the same backing services and fails only on what was broken."""
        run, values = copy.deepcopy(self.run), copy.deepcopy(self.values)
        edit(run, values)
        rendered = render_chart(
            chart,
            values,
            release_name=self.rendered.release_name,
            namespace=self.rendered.namespace,
        )
        return Deployed(self.stack, run, values, rendered)

    @property
    def launch(self) -> dict[str, Any]:
        return self.values["config"]["values"]["launch"]

    @property
    def infra(self) -> dict[str, Any]:
        return self.values["config"]["values"]["infra"]


def deploy(stack: str, chart: Path, config: dict[str, Any] | None = None) -> Deployed:
    """Run the program on `stack` (or an edited copy of its config) and render the chart with
    the values the Release gets, secrets included (the pods read them)."""
    run = run_program(config or stack_config(stack), stack=stack, cloud=DeployedCloud())
    values = run.values
    release = run.release.inputs
    rendered = render_chart(
        chart, values, release_name=release["name"], namespace=release["namespace"]
    )
    return Deployed(stack, run, values, rendered)
