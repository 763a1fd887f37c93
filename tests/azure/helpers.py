"""Running the Azure example stack against the simulated cloud, and reading what it made."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from plan import computed_azure
from plan.simulator import ProgramRun, RecordedResource, helm_values, run_program
from tests.conftest import stack_file

STACK = "azure-prod"
CHART = ("kubernetes:helm.sh/v3:Release", "model-engine-chart")
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
ROLE = "azure-native:authorization:RoleAssignment"
CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"


def azure_config() -> dict[str, Any]:
    """The Azure example stack, free to mutate."""
    return copy.deepcopy(stack_file(STACK))


@dataclass
class AzureRun:
    run: ProgramRun

    def one(self, typ: str, name: str | None = None) -> RecordedResource:
        return self.run.one(typ, name)

    def of_type(self, typ: str) -> list[RecordedResource]:
        return self.run.of_type(typ)

    def state(self, typ: str, name: str) -> dict[str, Any]:
        """What the (simulated) cloud answered for the resource: inputs and computed outputs."""
        return self.one(typ, name).state

    def arm_id(self, typ: str, name: str, provider: str) -> str:
        """The ARM id the (simulated) cloud gave the resource."""
        state = self.state(typ, name)
        return computed_azure.arm_id(state["resourceGroupName"], provider, state["name"])

    @property
    def values(self) -> dict[str, Any]:
        return helm_values(self.one(*CHART).inputs)

    @property
    def infra(self) -> dict[str, Any]:
        return self.values["config"]["values"]["infra"]

    @property
    def launch(self) -> dict[str, Any]:
        return self.values["config"]["values"]["launch"]

    def upstream(self, resource: RecordedResource) -> set[str]:
        """URNs of every resource this one waits for, directly, through inputs or parents."""
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


def run_azure(config: dict[str, Any]) -> AzureRun:
    return AzureRun(run_program(config, stack=STACK))
