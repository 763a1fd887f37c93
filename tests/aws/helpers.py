"""Running the AWS example stack against the simulated cloud, and reading what it made."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from plan import computed_aws
from plan.simulator import deferred
from tests.helpers import StackRun, example_config, run_stack

STACK = "customer-prod"
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ROLE = "aws:iam/role:Role"
# The node groups of the example stack.
GROUPS = ("system", "cpu", "gpu-a10", "gpu-h100")


def prod_config() -> dict[str, Any]:
    """The AWS example stack, free to mutate."""
    return example_config(STACK)


@dataclass
class AwsRun(StackRun):
    # -- lookups ---------------------------------------------------------------------
    def out(self, typ: str, name: str, attr: str) -> str:
        """The placeholder of a resource output (the resource must exist)."""
        self.one(typ, name)
        return deferred(typ, name, attr)

    def policy(self, role: str) -> dict[str, Any]:
        return json.loads(self.one("aws:iam/rolePolicy:RolePolicy", role).inputs["policy"])

    def trust(self, role: str) -> dict[str, Any]:
        return json.loads(self.one("aws:iam/role:Role", role).inputs["assumeRolePolicy"])


def run_aws(config: dict[str, Any], existing: computed_aws.Existing | None = None) -> AwsRun:
    return AwsRun(**vars(run_stack(config, existing=existing)))
