"""The CI trust (bootstrap/ci_trust): who may assume each identity, from which event or branch,
and what each may do, read from what the program registers in the simulated cloud."""

from __future__ import annotations

import copy
import json
import re
from types import SimpleNamespace
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
    "gcp": {
        "project": "acme-ml",
        "identityProject": "acme-ci",
        "stateBucket": "acme-state",
        "environments": ["gcp-prod"],
    },
}
# Written out, not built from bootstrap/ci_trust/github.py: these are GitHub's formats.
PREVIEW = f"repo:{REPO}:environment:preview"
DRIFT = f"repo:{REPO}:environment:drift"
DEPLOY = f"repo:{REPO}:environment:prod-approved"
# What a job of any pushed branch gets without an environment: trusted by no identity.
UNPROTECTED = (
    f"repo:{REPO}:pull_request",
    f"repo:{REPO}:ref:refs/heads/main",
    f"repo:{REPO}:ref:refs/heads/feature",
    f"repo:{REPO}:environment:production",  # not this stack's deploy environment
)


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
    ("role", "subjects"), [("ci-trust-preview", [PREVIEW, DRIFT]), ("ci-trust-deploy", [DEPLOY])]
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


@pytest.mark.parametrize("role", ["ci-trust-preview", "ci-trust-deploy"])
def test_aws_no_job_outside_an_environment_may_assume_a_role(run: ProgramRun, role: str) -> None:
    subs = assume_policy(run, role)["Statement"][0]["Condition"]["StringEquals"]
    allowed = subs["token.actions.githubusercontent.com:sub"]
    assert not set(UNPROTECTED) & set(allowed)
    assert (DEPLOY in allowed) == (role == "ci-trust-deploy")


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
    ("identity", "subjects"),
    [("ci-trust-preview", [PREVIEW, DRIFT]), ("ci-trust-deploy", [DEPLOY])],
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


SCOPE = f"{SUBSCRIPTION}/resourceGroups/model-engine"
AKS_CLUSTER_USER = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"
AKS_RBAC_READER = "7f6c6a51-bcf8-42ba-9220-52d62157d7db"
AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"


def test_azure_preview_reads_the_scope_its_clusters_and_the_state(run: ProgramRun) -> None:
    assert role_ids(run, "ci-trust-preview") == {
        "acdd72a7-3385-48ef-bd42-f606fba81ae7": SCOPE,  # Reader
        AKS_CLUSTER_USER: SCOPE,  # the kubeconfig of any cluster in the scope
        AKS_RBAC_READER: SCOPE,  # its objects, Secrets excepted
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": STORAGE,  # Storage Blob Data Reader
    }


def test_azure_deploy_writes_the_scope_its_clusters_and_the_state(run: ProgramRun) -> None:
    assert role_ids(run, "ci-trust-deploy") == {
        "b24988ac-6180-42a0-ab88-20f7382dd24c": SCOPE,  # Contributor
        RBAC_ADMINISTRATOR: SCOPE,
        AKS_RBAC_CLUSTER_ADMIN: SCOPE,
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe": STORAGE,  # Storage Blob Data Contributor
    }


def assignment(run: ProgramRun, identity: str, role: str) -> dict[str, Any]:
    principal = named(run, "azure-native:managedidentity:UserAssignedIdentity", identity)
    return next(
        r.inputs
        for r in run.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["principalId"] == principal.state["principalId"]
        and r.inputs["roleDefinitionId"].endswith(role)
    )


def test_azure_deploy_assigns_only_the_programs_roles_to_service_principals(
    run: ProgramRun,
) -> None:
    rbac = assignment(run, "ci-trust-deploy", RBAC_ADMINISTRATOR)
    assert rbac["conditionVersion"] == "2.0"
    condition = rbac["condition"]
    write, delete = condition.split(") AND ((")
    assert "roleAssignments/write" in write and "roleAssignments/delete" in delete
    for clause in (write, delete):
        allowed = re.search(r"GuidEquals \{([^}]*)\}", clause)
        assert allowed, clause
        guids = {g.strip() for g in allowed.group(1).split(",")}
        # The program's grants (components/azure): AcrPull, Network Contributor, AKS admin.
        assert {
            "7f951dda-4ed3-4680-a7ca-43fe172d538d",
            "4d97b98b-1d4f-4787-a291-c67834d212e7",
            AKS_RBAC_CLUSTER_ADMIN,
        } <= guids
        # Never Owner, User Access Administrator, RBAC Administrator or Contributor.
        assert not guids & {
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
            "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
            RBAC_ADMINISTRATOR,
            "b24988ac-6180-42a0-ab88-20f7382dd24c",
        }
    assert "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]" in write
    assert "@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId]" in delete
    assert (
        "@Request[Microsoft.Authorization/roleAssignments:PrincipalType] "
        "ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}"
    ) in write
    # No other role of either identity carries a condition, nor needs one.
    others = [
        r.inputs
        for r in run.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs.get("condition")
    ]
    assert others == [rbac]


def test_azure_deploy_can_assign_no_role_to_ci_identities(run: ProgramRun) -> None:
    rbac = assignment(run, "ci-trust-deploy", RBAC_ADMINISTRATOR)
    write = rbac["condition"].split(") AND ((")[0]
    ci = sorted(
        named(run, "azure-native:managedidentity:UserAssignedIdentity", i).state["principalId"]
        for i in ("ci-trust-preview", "ci-trust-deploy")
    )
    assert len(set(ci)) == 2
    excluded = re.search(
        r"@Request\[Microsoft\.Authorization/roleAssignments:PrincipalId\] "
        r"ForAnyOfAllValues:GuidNotEquals \{([^}]*)\}",
        write,
    )
    # Neither itself nor the preview identity (a pull request's): "equals none of them".
    assert excluded and sorted(g.strip() for g in excluded.group(1).split(",")) == ci


def test_azure_deploy_reaches_nothing_in_the_ci_identities_group(run: ProgramRun) -> None:
    """Contributor there would let it add a federated credential (any subject) to itself."""
    uai = named(run, "azure-native:managedidentity:UserAssignedIdentity", "ci-trust-deploy")
    group = f"{SUBSCRIPTION}/resourceGroups/{uai.inputs['resourceGroupName']}/".lower()
    for scope in role_ids(run, "ci-trust-deploy").values():
        assert not group.startswith(scope.lower().rstrip("/") + "/"), scope
    for cred in credentials(run, "ci-trust-deploy"):
        assert cred.inputs["resourceGroupName"] == uai.inputs["resourceGroupName"]


# --- GCP ---------------------------------------------------------------------------------


def cel(expression: str, **claims: str) -> bool:
    """The provider's attribute condition, evaluated: the few CEL forms it uses read as Python."""
    python = expression.replace("&&", " and ").replace("||", " or ")
    return bool(eval(python, {"__builtins__": {}}, {"assertion": SimpleNamespace(**claims)}))


def test_gcp_pool_accepts_only_the_trusted_subjects_of_this_repository(run: ProgramRun) -> None:
    provider = run.one("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")
    assert provider.inputs["oidc"]["issuerUri"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["attributeMapping"]["google.subject"] == "assertion.sub"
    condition = provider.inputs["attributeCondition"]
    main = {"repository": REPO, "ref": "refs/heads/main"}

    def accepts(sub: str, event: str = "push", **claims: str) -> bool:
        return cel(condition, **{**main, "sub": sub, "event_name": event, **claims})

    assert accepts(DEPLOY) and accepts(PREVIEW, "pull_request", ref="refs/pull/7/merge")
    assert not accepts(DEPLOY, repository="acme/other")
    # Any other subject of this repository: no grant to it can ever be used.
    for subject in UNPROTECTED:
        assert not accepts(subject)
    # The drift environment: only the nightly run or a manual one, on main.
    assert accepts(DRIFT, "schedule") and accepts(DRIFT, "workflow_dispatch")
    assert not accepts(DRIFT, "pull_request")
    assert not accepts(DRIFT, "workflow_dispatch", ref="refs/heads/feature")


def test_gcp_identity_project_apis_are_on_before_the_pool_and_accounts(run: ProgramRun) -> None:
    # The logins call STS (token exchange), IAM Credentials (impersonation), IAM, Resource
    # Manager and Service Usage in the identity project; a new project has some off.
    services = run.of_type("gcp:projects/service:Service")
    on = {r.inputs["service"] for r in services if r.inputs["project"] == "acme-ci"}
    assert {
        "iam.googleapis.com",
        "sts.googleapis.com",
        "iamcredentials.googleapis.com",
        "cloudresourcemanager.googleapis.com",
        "serviceusage.googleapis.com",
    } <= on
    # Never turned off with the trust: other workloads of the project may use them.
    assert all(r.inputs["disableOnDestroy"] is False for r in services)
    urns = {r.urn for r in services}
    for typ in (
        "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
        "gcp:serviceaccount/account:Account",
    ):
        for r in run.of_type(typ):
            assert urns <= set(r.dependencies), r.name


def test_gcp_ci_identities_live_where_the_deploy_identity_has_no_role(run: ProgramRun) -> None:
    """In the deploy project its service-account admin role would let it add any principal
    to its own account."""
    for typ in (
        "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
        "gcp:serviceaccount/account:Account",
    ):
        assert {r.inputs["project"] for r in run.of_type(typ)} == {"acme-ci"}, typ
    member = named(run, "gcp:serviceaccount/account:Account", "ci-trust-deploy").state["member"]
    projects_granted = {
        r.inputs["project"]
        for r in run.of_type("gcp:projects/iAMMember:IAMMember")
        if r.inputs["member"] == member
    }
    assert projects_granted == {"acme-ml"}


def test_no_identity_trusts_a_job_outside_an_environment(run: ProgramRun) -> None:
    trusted = [
        *(
            s
            for role in ("ci-trust-preview", "ci-trust-deploy")
            for s in assume_policy(run, role)["Statement"][0]["Condition"]["StringEquals"][
                "token.actions.githubusercontent.com:sub"
            ]
        ),
        *(
            c.inputs["subject"]
            for c in run.of_type("azure-native:managedidentity:FederatedIdentityCredential")
        ),
        *(
            m.inputs["member"].rsplit("/subject/", 1)[-1]
            for m in run.of_type("gcp:serviceaccount/iAMMember:IAMMember")
        ),
    ]
    assert len(trusted) == 9
    assert all(":environment:" in subject for subject in trusted), trusted
    assert not set(UNPROTECTED) & set(trusted)


@pytest.mark.parametrize(
    ("account", "subjects"), [("ci-trust-preview", [PREVIEW, DRIFT]), ("ci-trust-deploy", [DEPLOY])]
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


# Roles that would let the deploy identity act as, or mint credentials for, any service
# account of the project, or change any role or any principal's grants.
ESCALATING = {
    "roles/owner",
    "roles/editor",
    "roles/iam.serviceAccountKeyAdmin",
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.securityAdmin",
    "roles/iam.roleAdmin",
    "roles/iam.workloadIdentityPoolAdmin",
    "roles/iam.workloadIdentityUser",
    "roles/resourcemanager.organizationAdmin",
}


def test_gcp_preview_views_and_deploy_administers_only_narrow_roles(run: ProgramRun) -> None:
    assert project_roles(run, "ci-trust-preview") == {"roles/viewer", "roles/container.viewer"}
    deploy = project_roles(run, "ci-trust-deploy")
    assert {"roles/container.admin", "roles/compute.networkAdmin"} <= deploy
    assert not deploy & ESCALATING, deploy & ESCALATING
    state = {
        r.inputs["member"]: r.inputs["role"]
        for r in run.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
    }
    preview = named(run, "gcp:serviceaccount/account:Account", "ci-trust-preview").state
    assert state[preview["member"]] == "roles/storage.objectViewer"


def test_gcp_deploy_grants_only_the_programs_roles(run: ProgramRun) -> None:
    member = named(run, "gcp:serviceaccount/account:Account", "ci-trust-deploy").state["member"]
    roles = {
        r.inputs["role"]: r.inputs.get("condition")
        for r in run.of_type("gcp:projects/iAMMember:IAMMember")
        if r.inputs["member"] == member
    }
    iam_admin = {
        "roles/resourcemanager.projectIamAdmin",
        "roles/iam.serviceAccountAdmin",
        "roles/storage.admin",
        "roles/cloudkms.admin",
        "roles/artifactregistry.admin",
    }
    assert iam_admin <= set(roles)
    expected = (
        "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(["
        "'projects/acme-ml/roles/modelEngineQueueCleanup_gcp_prod', "
        "'roles/artifactregistry.reader', 'roles/cloudkms.cryptoKeyEncrypterDecrypter', "
        "'roles/container.defaultNodeServiceAccount', 'roles/iam.workloadIdentityUser', "
        "'roles/storage.objectAdmin', 'roles/storage.objectViewer'])"
    )
    # Every role, not only those known to set IAM policies: one that does (or comes to) is
    # limited too, and the others' permissions pass the condition.
    for role, condition in roles.items():
        assert condition and condition["expression"] == expected, role


# --- Every cloud -------------------------------------------------------------------------


def test_every_resource_is_a_child_of_its_cloud_component(run: ProgramRun) -> None:
    components = {r.urn for r in run.resources if r.type.startswith("model-engine-ci-trust:")}
    assert len(components) == 3
    found = run.resources
    assert found
    for r in found:
        if r.custom and not r.type.startswith("pulumi:providers:"):
            assert r.parent in components, r.name


def test_exports_name_what_the_workflows_and_the_main_stacks_need(run: ProgramRun) -> None:
    assert set(run.exports) == {
        "awsPreviewRoleArn",
        "awsDeployRoleArn",
        "awsPermissionsBoundaryArn",  # aws.permissionsBoundaryArn
        "azurePreviewClientId",
        "azureDeployClientId",
        "azureDeployPrincipalId",  # azure.cluster.deployerObjectId
        "gcpWorkloadIdentityProvider",
        "gcpPreviewServiceAccount",
        "gcpDeployServiceAccount",
    }
    assert run.exports["gcpWorkloadIdentityProvider"].endswith("/providers/github")


def test_only_the_named_clouds_are_trusted() -> None:
    run = trust({"github": CONFIG["github"], "gcp": CONFIG["gcp"]})
    assert not [r for r in run.resources if r.type.startswith(("aws:", "azure-native:"))]
