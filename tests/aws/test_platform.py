"""The platform as a whole: the permissions boundary on every role it creates, and the CI
deploy role's reach."""

from __future__ import annotations

import json
from typing import Any

from tests.aws.helpers import ROLE, run_aws
from tests.helpers import set_path


def test_every_role_carries_the_permissions_boundary(config: dict[str, Any]) -> None:
    boundary = "arn:aws:iam::123456789012:policy/model-engine-ci-boundary"
    set_path(config, "aws.permissionsBoundaryArn", boundary)
    roles = run_aws(config).of_type(ROLE)
    assert len(roles) > 5
    assert {r.name: r.inputs.get("permissionsBoundary") for r in roles} == {
        r.name: boundary for r in roles
    }


def test_ci_deploy_role_reaches_every_role_the_program_creates(config: dict[str, Any]) -> None:
    # Roles are auto-named "<logical name>-<7 hex>": the deploy role's IAM statements
    # (bootstrap/ci_trust) must match each, or CI could not create it.
    from fnmatch import fnmatchcase

    from bootstrap.ci_trust.aws import PROGRAM_ROLES

    roles = run_aws(config).of_type(ROLE)
    assert roles
    for role in roles:
        assert not role.inputs.get("name"), role.name  # auto-named from the logical name
        arn = f"arn:aws:iam::123456789012:role/{role.name}-1a2b3c4"
        assert fnmatchcase(arn, PROGRAM_ROLES), role.name


def test_the_ci_boundary_allows_what_the_programs_roles_do(config: dict[str, Any]) -> None:
    # A role inside bootstrap/ci_trust's boundary can do only what both allow: every action
    # of the program's own role policies must be inside it, or that workload breaks under CI.
    from bootstrap.ci_trust.aws import boundary_policy
    from bootstrap.ci_trust.settings import AwsTrust
    from tests.ci_trust.test_escalation import allowed

    region = config["model-engine-infra:aws"]["region"]
    boundary = boundary_policy(AwsTrust(region=region, state_bucket="state"))
    actions = {
        action
        for policy in run_aws(config).of_type("aws:iam/rolePolicy:RolePolicy")
        for statement in json.loads(policy.inputs["policy"])["Statement"]
        if statement["Effect"] == "Allow"
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }
    assert len(actions) > 10
    outside = sorted(
        a for a in actions if not allowed(boundary, a, **{"aws:RequestedRegion": region})
    )
    assert not outside


def test_no_boundary_unless_the_stack_names_one(config: dict[str, Any]) -> None:
    roles = run_aws(config).of_type(ROLE)
    assert roles and not [r.name for r in roles if r.inputs.get("permissionsBoundary")]
