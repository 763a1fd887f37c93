"""The AWS deploy role cannot make itself, or a role it creates, more than it is: its IAM
writes are read through a small evaluator of IAM's rules (an explicit Deny wins; an Allow
needs its action, resource and every condition to match) over the policies the bootstrap
registers, request by request."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

import pytest

from plan.simulator import ProgramRun
from tests.ci_trust.test_trust import named, trust

BOUNDARY_TYPE = "aws:iam/policy:Policy"
OTHER_ROLE = "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole"
# As the program names its roles (after the platform component, snapshots/*/resources.yaml).
PROGRAM_ROLE = "arn:aws:iam::111122223333:role/platform-cluster-role-1a2b3c4"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_holds(condition: dict[str, Any], context: dict[str, Any]) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            if key not in context:
                return False
            actual = _list(context[key])
            wanted = [str(v) for v in _list(expected)]
            if operator == "StringEquals" and not all(str(a) in wanted for a in actual):
                return False
            if operator == "ForAnyValue:StringEquals" and not any(str(a) in wanted for a in actual):
                return False
            if operator not in ("StringEquals", "ForAnyValue:StringEquals"):
                raise AssertionError(f"the evaluator does not know {operator}")
    return True


def _matches(
    statement: dict[str, Any], action: str, resource: str, context: dict[str, Any]
) -> bool:
    if not any(fnmatchcase(action, a) for a in _list(statement["Action"])):
        return False
    if "NotResource" in statement:
        if any(fnmatchcase(resource, r) for r in _list(statement["NotResource"])):
            return False
    elif not any(fnmatchcase(resource, r) for r in _list(statement["Resource"])):
        return False
    return _condition_holds(statement.get("Condition", {}), context)


def allowed(policy: dict[str, Any], action: str, resource: str = "*", **context: Any) -> bool:
    statements = policy["Statement"]
    if any(s["Effect"] == "Deny" and _matches(s, action, resource, context) for s in statements):
        return False
    return any(
        s["Effect"] == "Allow" and _matches(s, action, resource, context) for s in statements
    )


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return trust()


@pytest.fixture(scope="module")
def boundary_arn(run: ProgramRun) -> str:
    return named(run, BOUNDARY_TYPE, "ci-trust-boundary").state["arn"]


@pytest.fixture(scope="module")
def deploy(run: ProgramRun) -> dict[str, Any]:
    return json.loads(
        named(run, "aws:iam/rolePolicy:RolePolicy", "ci-trust-deploy-up").inputs["policy"]
    )


@pytest.fixture(scope="module")
def deploy_arn(run: ProgramRun) -> str:
    return named(run, "aws:iam/role:Role", "ci-trust-deploy").state["arn"]


@pytest.mark.parametrize(
    "action",
    [
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:PutRolePermissionsBoundary",
    ],
)
def test_roles_are_created_and_given_policies_only_within_the_boundary(
    deploy: dict[str, Any], boundary_arn: str, action: str
) -> None:
    assert allowed(deploy, action, PROGRAM_ROLE, **{"iam:PermissionsBoundary": boundary_arn})
    assert not allowed(deploy, action, OTHER_ROLE, **{"iam:PermissionsBoundary": boundary_arn})
    assert not allowed(deploy, action, PROGRAM_ROLE)  # no boundary
    other = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert not allowed(deploy, action, PROGRAM_ROLE, **{"iam:PermissionsBoundary": other})


def test_the_boundary_never_comes_off(deploy: dict[str, Any]) -> None:
    # An explicit Deny: it holds even if someone later attaches a broad IAM policy too.
    broad = {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}
    broader = {"Statement": [*deploy["Statement"], broad]}
    assert not allowed(broader, "iam:DeleteRolePermissionsBoundary", PROGRAM_ROLE)
    assert allowed(broader, "iam:DeleteRole", PROGRAM_ROLE)


@pytest.mark.parametrize(
    "action",
    ["iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:TagRole", "iam:UntagRole"],
)
def test_other_role_writes_only_on_the_programs_roles(deploy: dict[str, Any], action: str) -> None:
    assert allowed(deploy, action, PROGRAM_ROLE)
    # An admin role of the account: its trust policy is out of reach (no way to assume it).
    assert not allowed(deploy, action, OTHER_ROLE)


@pytest.mark.parametrize(
    "action",
    [
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:TagRole",
    ],
)
def test_the_deploy_role_cannot_edit_itself_or_the_boundary(
    deploy: dict[str, Any], boundary_arn: str, deploy_arn: str, action: str
) -> None:
    # Explicit Denies: they hold even beside a broad IAM policy someone attaches later.
    broad = {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}
    broader = {"Statement": [*deploy["Statement"], broad]}
    context = {"iam:PermissionsBoundary": boundary_arn}
    assert not allowed(broader, action, deploy_arn, **context)
    assert not allowed(broader, "iam:CreatePolicyVersion", boundary_arn)
    assert allowed(broader, action, OTHER_ROLE, **context)


def test_roles_are_passed_only_to_eks_and_ec2_and_only_the_programs(deploy: dict[str, Any]) -> None:
    for service in ("eks.amazonaws.com", "ec2.amazonaws.com"):
        assert allowed(deploy, "iam:PassRole", PROGRAM_ROLE, **{"iam:PassedToService": service})
    lambda_ = {"iam:PassedToService": "lambda.amazonaws.com"}
    assert not allowed(deploy, "iam:PassRole", PROGRAM_ROLE, **lambda_)
    ec2 = {"iam:PassedToService": "ec2.amazonaws.com"}
    assert not allowed(deploy, "iam:PassRole", OTHER_ROLE, **ec2)


def test_no_unconditioned_iam_write(deploy: dict[str, Any]) -> None:
    for statement in deploy["Statement"]:
        actions = _list(statement["Action"])
        assert "iam:*" not in actions and "*" not in actions
    for action in (
        "iam:CreateUser",
        "iam:CreateAccessKey",
        "iam:CreatePolicy",
        "iam:AttachUserPolicy",
    ):
        assert not allowed(deploy, action, "*", **{"iam:PermissionsBoundary": "x"})


def test_a_role_within_the_boundary_has_no_iam_and_stays_in_the_region(run: ProgramRun) -> None:
    boundary = json.loads(named(run, BOUNDARY_TYPE, "ci-trust-boundary").inputs["policy"])
    region = {"aws:RequestedRegion": "us-west-2"}
    assert allowed(boundary, "sqs:ReceiveMessage", **region)
    assert allowed(boundary, "ecr:BatchGetImage", **region)
    assert not allowed(boundary, "sqs:ReceiveMessage", **{"aws:RequestedRegion": "eu-west-1"})
    for action in (
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:PassRole",
        "sts:AssumeRole",
        "organizations:LeaveOrganization",
    ):
        assert not allowed(boundary, action, **region), action
    assert allowed(boundary, "iam:CreateServiceLinkedRole")
