"""Running the Azure example stack against the simulated cloud, and reading what it made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plan import computed_azure
from tests.helpers import StackRun, example_config, run_stack

STACK = "azure-prod"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
ROLE = "azure-native:authorization:RoleAssignment"
CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"


def azure_config() -> dict[str, Any]:
    """The Azure example stack, free to mutate."""
    return example_config(STACK)


@dataclass
class AzureRun(StackRun):
    def state(self, typ: str, name: str) -> dict[str, Any]:
        """What the (simulated) cloud answered for the resource: inputs and computed outputs."""
        return self.one(typ, name).state

    def arm_id(self, typ: str, name: str, provider: str) -> str:
        """The ARM id the (simulated) cloud gave the resource."""
        state = self.state(typ, name)
        return computed_azure.arm_id(state["resourceGroupName"], provider, state["name"])


def run_azure(config: dict[str, Any]) -> AzureRun:
    return AzureRun(**vars(run_stack(config, stack=STACK)))


def upstream_types(prod: AzureRun, typ: str, name: str) -> set[str]:
    """The types of every resource the named one waits for, directly or not."""
    by_urn = {r.urn: r for r in prod.run.resources}
    return {by_urn[u].type for u in prod.upstream(prod.one(typ, name)) if u in by_urn}
