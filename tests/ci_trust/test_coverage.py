"""The deploy identities can create what `pulumi up` of each example stack creates: every
resource type of the simulated plan maps to a service (AWS) or a role (GCP) the bootstrap
grants, so a resource type added to the program without its permission fails here, not in
the first deploy from CI."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
import yaml

from plan.simulator import ProgramRun, run_program
from tests.ci_trust.test_escalation import PROGRAM_ROLE, allowed
from tests.ci_trust.test_trust import named, trust
from tests.conftest import ROOT, stack_file

REGION = {"aws:RequestedRegion": "us-west-2"}  # the trust stack's region (test_trust.CONFIG)


def stacks_on(cloud: str) -> list[str]:
    out = []
    for path in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        config = yaml.safe_load(path.read_text())["config"]
        if config.get("model-engine-infra:cloud") == cloud:
            out.append(path.name[len("Pulumi.") : -len(".yaml")])
    return out


@cache
def planned_types(stack: str, prefix: str) -> frozenset[str]:
    run = run_program(stack_file(stack), stack=stack)
    return frozenset(r.type for r in run.resources if r.type.startswith(prefix))


@pytest.fixture(scope="module")
def trust_run() -> ProgramRun:
    return trust()


# --- AWS ---------------------------------------------------------------------------------

# The Pulumi module of an `aws:` type -> the IAM service prefix of its API calls (AWS's
# "Actions, resources, and condition keys" pages). cloudwatch is three APIs: by resource.
AWS_MODULE_SERVICE = {
    "autoscaling": "autoscaling",
    "ec2": "ec2",
    "vpc": "ec2",
    "ecr": "ecr",
    "eks": "eks",
    "elasticache": "elasticache",
    "kms": "kms",
    "rds": "rds",
    "s3": "s3",
    "secretsmanager": "secretsmanager",
    "sns": "sns",
    "sqs": "sqs",
}
AWS_CLOUDWATCH_SERVICE = {
    "logGroup": "logs",
    "logStream": "logs",
    "metricAlarm": "cloudwatch",
    "compositeAlarm": "cloudwatch",
    "dashboard": "cloudwatch",
    "eventRule": "events",
    "eventTarget": "events",
    "eventBus": "events",
}


def aws_service(typ: str) -> str:
    """aws:cloudwatch/metricAlarm:MetricAlarm -> cloudwatch."""
    module, resource = typ.split(":")[1].split("/")
    service = (
        AWS_CLOUDWATCH_SERVICE.get(resource)
        if module == "cloudwatch"
        else AWS_MODULE_SERVICE.get(module)
    )
    assert service, f"{typ}: which IAM service creates it? add it to this test's tables"
    return service


@pytest.fixture(scope="module")
def aws_deploy(trust_run: ProgramRun) -> dict[str, Any]:
    return json.loads(
        named(trust_run, "aws:iam/rolePolicy:RolePolicy", "ci-trust-deploy-up").inputs["policy"]
    )


@pytest.fixture(scope="module")
def aws_boundary(trust_run: ProgramRun) -> str:
    return named(trust_run, "aws:iam/policy:Policy", "ci-trust-boundary").state["arn"]


def test_there_is_an_aws_example_stack() -> None:
    assert "customer-prod" in stacks_on("aws")


@pytest.mark.parametrize("stack", stacks_on("aws"))
def test_the_aws_deploy_role_reaches_every_resource_type_of_the_plan(
    stack: str, aws_deploy: dict[str, Any], aws_boundary: str
) -> None:
    types = planned_types(stack, "aws:")
    assert "aws:sns/topic:Topic" in types  # the plan is the whole program
    missing = []
    for typ in sorted(types):
        if typ.startswith("aws:iam/"):
            # Global: roles within the boundary, and the cluster's OIDC provider.
            ok = allowed(
                aws_deploy,
                "iam:CreateRole",
                PROGRAM_ROLE,
                **{"iam:PermissionsBoundary": aws_boundary},
            ) and allowed(aws_deploy, "iam:CreateOpenIDConnectProvider")
        else:
            # Any write of the service, in the stack's region (a wildcard of the service).
            ok = allowed(aws_deploy, f"{aws_service(typ)}:Create", "*", **REGION)
        if not ok:
            missing.append(
                f"{typ} ({aws_service(typ) if not typ.startswith('aws:iam/') else 'iam'})"
            )
    assert not missing, f"the deploy role cannot create: {missing}"


@pytest.mark.parametrize(
    "typ", ["aws:cloudwatch/eventRule:EventRule", "aws:rds/eventSubscription:EventSubscription"]
)
def test_the_aws_deploy_role_reaches_the_types_being_added(
    typ: str, aws_deploy: dict[str, Any]
) -> None:
    assert allowed(aws_deploy, f"{aws_service(typ)}:Put", "*", **REGION)
    assert not allowed(
        aws_deploy, f"{aws_service(typ)}:Put", "*", **{"aws:RequestedRegion": "eu-west-1"}
    )


# --- GCP ---------------------------------------------------------------------------------

# The `gcp:` module (or module/resource) -> the predefined role whose permissions create it
# (Google's "IAM basic and predefined roles reference").
GCP_TYPE_ROLE = {
    "artifactregistry": "roles/artifactregistry.admin",
    "compute/firewall": "roles/compute.securityAdmin",
    "compute": "roles/compute.networkAdmin",
    "container": "roles/container.admin",
    "kms": "roles/cloudkms.admin",
    "logging/metric": "roles/logging.configWriter",
    "monitoring/alertPolicy": "roles/monitoring.alertPolicyEditor",
    "monitoring/notificationChannel": "roles/monitoring.notificationChannelEditor",
    # Created by a project owner's first `up` (README); CI's runs read it.
    "projects/iAMCustomRole": "roles/iam.roleViewer",
    "projects/iAMMember": "roles/resourcemanager.projectIamAdmin",
    "projects/service": "roles/serviceusage.serviceUsageAdmin",
    "redis": "roles/redis.admin",
    "serviceaccount": "roles/iam.serviceAccountAdmin",
    "servicenetworking": "roles/servicenetworking.networksAdmin",
    "sql": "roles/cloudsql.admin",
    "storage": "roles/storage.admin",
}
# A node pool runs as the program's node service account: creating it needs actAs on it.
GCP_ACT_AS = {"gcp:container/nodePool:NodePool", "gcp:container/cluster:Cluster"}


def gcp_role(typ: str) -> str:
    """gcp:compute/firewall:Firewall -> roles/compute.securityAdmin."""
    module, resource = typ.split(":")[1].split("/")
    role = GCP_TYPE_ROLE.get(f"{module}/{resource}") or GCP_TYPE_ROLE.get(module)
    assert role, f"{typ}: which predefined role creates it? add it to this test's table"
    return role


def test_there_is_a_gcp_example_stack() -> None:
    assert "gcp-prod" in stacks_on("gcp")


@pytest.mark.parametrize("stack", stacks_on("gcp"))
def test_the_gcp_deploy_account_holds_a_role_for_every_resource_type_of_the_plan(
    stack: str, trust_run: ProgramRun
) -> None:
    member = named(trust_run, "gcp:serviceaccount/account:Account", "ci-trust-deploy")
    granted = {
        r.inputs["role"]
        for r in trust_run.of_type("gcp:projects/iAMMember:IAMMember")
        if r.inputs["member"] == member.state["member"]
    }
    types = planned_types(stack, "gcp:")
    assert "gcp:redis/instance:Instance" in types  # the plan is the whole program
    needed = {typ: {gcp_role(typ)} for typ in types}
    for typ in GCP_ACT_AS & types:
        needed[typ].add("roles/iam.serviceAccountUser")
    missing = {typ: sorted(roles - granted) for typ, roles in needed.items() if roles - granted}
    assert not missing, f"the deploy account cannot create: {missing}"
