"""The Azure main stack, deployed by CI's deploy identity: every role assignment the program
creates must pass the ABAC condition the bootstrap puts on that identity's RBAC Administrator
role, or the first `up` from CI ends in 403."""

from __future__ import annotations

import re
from typing import Any

import pytest

from plan.simulator import ProgramRun
from tests.azure.helpers import ROLE, AzureRun, azure_config, run_azure
from tests.ci_trust.test_trust import named, trust

IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
# One rule of the write clause: `@Request[...roleAssignments:<attribute>] <operator> {<values>}`.
RULE = re.compile(r"@Request\[Microsoft\.Authorization/roleAssignments:(\w+)\] (\S+) \{([^}]*)\}")


def _values(listed: str) -> set[str]:
    return {v.strip().strip("'").lower() for v in listed.split(",")}


def _rule_holds(operator: str, allowed: set[str], value: str) -> bool:
    """The operators the bootstrap's condition uses, on one request value ("Azure role
    assignment condition format and syntax": single values, so AnyOfAny is membership)."""
    value = value.lower()
    if operator in ("ForAnyOfAnyValues:GuidEquals", "ForAnyOfAnyValues:StringEqualsIgnoreCase"):
        return value in allowed
    if operator == "ForAnyOfAllValues:GuidNotEquals":
        return value not in allowed
    raise AssertionError(f"operator the test cannot evaluate: {operator}")


def write_allowed(condition: str, assignment: dict[str, Any]) -> list[str]:
    """The rules of the condition's write clause the assignment breaks (none: Azure allows it)."""
    write = condition.split(") AND ((")[0]
    rules = RULE.findall(write)
    assert {attribute for attribute, _, _ in rules} == {
        "RoleDefinitionId",
        "PrincipalType",
        "PrincipalId",
    }, write
    request = {
        "RoleDefinitionId": assignment["roleDefinitionId"].rsplit("/", 1)[-1],
        "PrincipalType": assignment.get("principalType", ""),
        "PrincipalId": assignment["principalId"],
    }
    return [
        f"{attribute} {request[attribute]} fails {operator}"
        for attribute, operator, listed in rules
        if not _rule_holds(operator, _values(listed), request[attribute])
    ]


@pytest.fixture(scope="module")
def bootstrap() -> ProgramRun:
    return trust()


def _condition(run: ProgramRun) -> str:
    deploy = named(run, IDENTITY, "ci-trust-deploy").state["principalId"]
    return next(
        r.inputs["condition"]
        for r in run.of_type(ROLE)
        if r.inputs["principalId"] == deploy
        and r.inputs["roleDefinitionId"].endswith(RBAC_ADMINISTRATOR)
    )


def _ci_stack(run: ProgramRun, **extra: Any) -> AzureRun:
    """azure-prod with the CI keys of README step 6, from the bootstrap's outputs."""
    deploy = named(run, IDENTITY, "ci-trust-deploy").state
    config = azure_config()
    cluster = config["model-engine-infra:azure"]["cluster"]
    cluster.update(
        deployerObjectId=deploy["principalId"],
        deployerPrincipalType="ServicePrincipal",
        deployerLogin="workloadidentity",
        **extra,
    )
    return run_azure(config)


def test_every_assignment_of_a_ci_up_passes_the_deploy_identitys_condition(
    bootstrap: ProgramRun,
) -> None:
    condition = _condition(bootstrap)
    stack = _ci_stack(bootstrap, deployerHoldsAdmin=True)
    assignments = stack.of_type(ROLE)
    assert len(assignments) >= 3  # the network grant, AcrPull, the workload identities'
    broken = {r.name: write_allowed(condition, r.inputs) for r in assignments}
    assert not {name: rules for name, rules in broken.items() if rules}


def test_without_deployer_holds_admin_the_program_would_assign_a_ci_identity(
    bootstrap: ProgramRun,
) -> None:
    # What the setting prevents: the deployer-admin grant names the deploy identity itself.
    condition = _condition(bootstrap)
    stack = _ci_stack(bootstrap)
    admin = stack.one(ROLE, "platform-cluster-deployer-admin")
    assert any("PrincipalId" in rule for rule in write_allowed(condition, admin.inputs))


def test_a_deployer_holding_admin_is_not_assigned_it_and_the_cluster_waits_for_the_rest(
    bootstrap: ProgramRun,
) -> None:
    stack = _ci_stack(bootstrap, deployerHoldsAdmin=True)
    assert not [r for r in stack.of_type(ROLE) if r.name.endswith("-deployer-admin")]
    provider = stack.one("pulumi:providers:kubernetes", "platform-cluster-k8s")
    network = stack.one(ROLE, "platform-cluster-subnet-network-contributor")
    assert network.urn in provider.property_dependencies["kubeconfig"]
