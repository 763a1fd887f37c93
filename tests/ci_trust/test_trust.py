"""The CI trust (bootstrap/ci_trust): who may assume each identity, from which event or branch,
and what each may do, read from what the program registers in the simulated cloud."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bootstrap.ci_trust.program import main
from bootstrap.ci_trust.settings import PROJECT
from plan.simulator import ProgramRun, RecordedResource, run_program

REPO = "acme/model-engine-infra"
SUBSCRIPTION = "/subscriptions/11111111-2222-3333-4444-555555555555"
STORAGE = (
    f"{SUBSCRIPTION}/resourceGroups/state/providers/Microsoft.Storage/storageAccounts/acmestate"
)
KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/0f0f0f0f-1111-2222-3333-444444444444"
CONFIG: dict[str, Any] = {
    "github": {"repository": REPO, "deployEnvironment": "prod-approved"},
    "aws": {"region": "us-west-2", "stateBucket": "acme-state", "secretsKeyArn": KEY_ARN},
    "azure": {
        "location": "westus3",
        "resourceGroup": "ci-identities",
        "scope": f"{SUBSCRIPTION}/resourceGroups/model-engine",
        "stateStorageAccountId": STORAGE,
    },
    "gcp": {"project": "acme-ml", "stateBucket": "acme-state"},
}
# Written out, not built from bootstrap/ci_trust/github.py: these are GitHub's formats.
PR = f"repo:{REPO}:pull_request"
MAIN = f"repo:{REPO}:ref:refs/heads/main"
DEPLOY = f"repo:{REPO}:environment:prod-approved"


def trust(config: dict[str, Any] | None = None) -> ProgramRun:
    blocks = CONFIG if config is None else config
    return run_program({f"{PROJECT}:{k}": v for k, v in blocks.items()}, program=main)


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return trust()


def named(run: ProgramRun, typ: str, name: str) -> RecordedResource:
    return next(r for r in run.resources if r.type == typ and r.name == name)


# --- AWS ---------------------------------------------------------------------------------


def assume_policy(run: ProgramRun, role: str) -> dict[str, Any]:
    return json.loads(named(run, "aws:iam/role:Role", role).inputs["assumeRolePolicy"])


@pytest.mark.parametrize(
    ("role", "subjects"), [("ci-trust-preview", [PR, MAIN]), ("ci-trust-deploy", [DEPLOY])]
)
def test_aws_roles_trust_exactly_their_github_subjects(
    run: ProgramRun, role: str, subjects: list[str]
) -> None:
    provider = named(run, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "ci-trust-github")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    (statement,) = assume_policy(run, role)["Statement"]
    assert statement["Principal"] == {"Federated": provider.state["arn"]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    # Exact match only: a StringLike here would let a pattern widen who may assume it.
    assert set(statement["Condition"]) == {"StringEquals"}
    cond = statement["Condition"]["StringEquals"]
    assert cond["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert sorted(cond["token.actions.githubusercontent.com:sub"]) == sorted(subjects)


def test_aws_no_pull_request_or_branch_may_assume_the_deploy_role(run: ProgramRun) -> None:
    subs = assume_policy(run, "ci-trust-deploy")["Statement"][0]["Condition"]["StringEquals"]
    allowed = subs["token.actions.githubusercontent.com:sub"]
    assert PR not in allowed and MAIN not in allowed


def test_aws_preview_reads_but_never_writes_or_reads_data(run: ProgramRun) -> None:
    attached = [
        r.inputs["policyArn"]
        for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("ci-trust-preview")
    ]
    assert attached == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    policy = json.loads(
        named(run, "aws:iam/rolePolicy:RolePolicy", "ci-trust-preview-state").inputs["policy"]
    )
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    actions = {
        a for s in allows for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {"s3:ListBucket", "s3:GetObject", "kms:Decrypt"}
    (deny,) = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert "secretsmanager:GetSecretValue" in deny["Action"]
    assert "s3:GetObject*" in deny["Action"]
    # Denied everywhere but the state objects and the stack secrets' key.
    assert sorted(deny["NotResource"]) == sorted(["arn:aws:s3:::acme-state/*", KEY_ARN])


def test_aws_deploy_is_limited_to_the_program_services_and_region(run: ProgramRun) -> None:
    policy = json.loads(
        named(run, "aws:iam/rolePolicy:RolePolicy", "ci-trust-deploy-up").inputs["policy"]
    )
    regional = next(s for s in policy["Statement"] if "ec2:*" in s["Action"])
    assert regional["Condition"] == {"StringEquals": {"aws:RequestedRegion": "us-west-2"}}
    assert "*:*" not in regional["Action"] and "sts:*" not in regional["Action"]
    state = [s for s in policy["Statement"] if "arn:aws:s3:::acme-state" in str(s["Resource"])]
    assert {"s3:PutObject", "s3:DeleteObject"} <= {
        a for s in state for a in s["Action"] if isinstance(s["Action"], list)
    }


def test_aws_reuses_an_existing_oidc_provider() -> None:
    config = copy.deepcopy(CONFIG)
    arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    config["aws"]["oidcProviderArn"] = arn
    run = trust(config)
    assert not run.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    principal = assume_policy(run, "ci-trust-preview")["Statement"][0]["Principal"]
    assert principal == {"Federated": arn}


# --- Azure -------------------------------------------------------------------------------


def credentials(run: ProgramRun, identity: str) -> list[RecordedResource]:
    return [
        r
        for r in run.of_type("azure-native:managedidentity:FederatedIdentityCredential")
        if r.name.startswith(f"{identity}-github-")
    ]


@pytest.mark.parametrize(
    ("identity", "subjects"), [("ci-trust-preview", [PR, MAIN]), ("ci-trust-deploy", [DEPLOY])]
)
def test_azure_identities_federate_exactly_their_github_subjects(
    run: ProgramRun, identity: str, subjects: list[str]
) -> None:
    uai = named(run, "azure-native:managedidentity:UserAssignedIdentity", identity)
    creds = credentials(run, identity)
    assert sorted(c.inputs["subject"] for c in creds) == sorted(subjects)
    for c in creds:
        assert c.inputs["issuer"] == "https://token.actions.githubusercontent.com"
        assert c.inputs["audiences"] == ["api://AzureADTokenExchange"]
        assert c.inputs["resourceName"] == uai.state["name"]


def role_ids(run: ProgramRun, identity: str) -> dict[str, str]:
    """Role definition GUID -> scope, for the assignments of one identity."""
    principal = named(run, "azure-native:managedidentity:UserAssignedIdentity", identity)
    return {
        r.inputs["roleDefinitionId"].rsplit("/", 1)[-1]: r.inputs["scope"]
        for r in run.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["principalId"] == principal.state["principalId"]
    }


def test_azure_preview_reads_the_scope_and_the_state_only(run: ProgramRun) -> None:
    assert role_ids(run, "ci-trust-preview") == {
        "acdd72a7-3385-48ef-bd42-f606fba81ae7": f"{SUBSCRIPTION}/resourceGroups/model-engine",
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": STORAGE,  # Storage Blob Data Reader
    }


def test_azure_deploy_writes_the_scope_and_the_state(run: ProgramRun) -> None:
    scope = f"{SUBSCRIPTION}/resourceGroups/model-engine"
    assert role_ids(run, "ci-trust-deploy") == {
        "b24988ac-6180-42a0-ab88-20f7382dd24c": scope,  # Contributor
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168": scope,  # Role Based Access Control Admin
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe": STORAGE,  # Storage Blob Data Contributor
    }


# --- GCP ---------------------------------------------------------------------------------


def test_gcp_pool_accepts_only_this_repository(run: ProgramRun) -> None:
    provider = run.one("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")
    assert provider.inputs["oidc"]["issuerUri"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["attributeCondition"] == f"assertion.repository == '{REPO}'"
    assert provider.inputs["attributeMapping"]["google.subject"] == "assertion.sub"


@pytest.mark.parametrize(
    ("account", "subjects"), [("ci-trust-preview", [PR, MAIN]), ("ci-trust-deploy", [DEPLOY])]
)
def test_gcp_service_accounts_are_impersonated_by_exactly_their_subjects(
    run: ProgramRun, account: str, subjects: list[str]
) -> None:
    pool = run.one("gcp:iam/workloadIdentityPool:WorkloadIdentityPool").state["name"]
    sa = named(run, "gcp:serviceaccount/account:Account", account)
    members = [
        r.inputs
        for r in run.of_type("gcp:serviceaccount/iAMMember:IAMMember")
        if r.inputs["serviceAccountId"] == sa.state["name"]
    ]
    assert {m["role"] for m in members} == {"roles/iam.workloadIdentityUser"}
    assert sorted(m["member"] for m in members) == sorted(
        f"principal://iam.googleapis.com/{pool}/subject/{s}" for s in subjects
    )


def project_roles(run: ProgramRun, account: str) -> set[str]:
    member = named(run, "gcp:serviceaccount/account:Account", account).state["member"]
    return {
        r.inputs["role"]
        for r in run.of_type("gcp:projects/iAMMember:IAMMember")
        if r.inputs["member"] == member
    }


def test_gcp_preview_views_and_deploy_edits(run: ProgramRun) -> None:
    assert project_roles(run, "ci-trust-preview") == {"roles/viewer"}
    assert "roles/editor" in project_roles(run, "ci-trust-deploy")
    state = {
        r.inputs["member"]: r.inputs["role"]
        for r in run.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
    }
    preview = named(run, "gcp:serviceaccount/account:Account", "ci-trust-preview").state
    assert state[preview["member"]] == "roles/storage.objectViewer"


# --- Every cloud -------------------------------------------------------------------------


def test_every_resource_is_a_child_of_its_cloud_component(run: ProgramRun) -> None:
    components = {r.urn for r in run.resources if r.type.startswith("model-engine-ci-trust:")}
    assert len(components) == 3
    found = run.resources
    assert found
    for r in found:
        if r.custom and not r.type.startswith("pulumi:providers:"):
            assert r.parent in components, r.name


def test_exports_name_what_the_workflows_need(run: ProgramRun) -> None:
    assert set(run.exports) == {
        "awsPreviewRoleArn",
        "awsDeployRoleArn",
        "azurePreviewClientId",
        "azureDeployClientId",
        "gcpWorkloadIdentityProvider",
        "gcpPreviewServiceAccount",
        "gcpDeployServiceAccount",
    }
    assert run.exports["gcpWorkloadIdentityProvider"].endswith("/providers/github")


def test_only_the_named_clouds_are_trusted() -> None:
    run = trust({"github": CONFIG["github"], "gcp": CONFIG["gcp"]})
    assert not [r for r in run.resources if r.type.startswith(("aws:", "azure-native:"))]
