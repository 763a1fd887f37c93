"""EKS: a version EKS creates at the price the stack chose, managed add-ons that match it,
and nodes whose disks are encrypted and whose pods cannot read the node role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import fit
from components.aws import eks_versions
from plan import computed_aws
from plan.simulator import deferred
from tests.aws.cluster_configs import existing_cluster_config
from tests.aws.helpers import AwsRun, run_aws
from tests.helpers import set_path, settings_from

ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
GROUPS = ("system", "cpu", "gpu-a10", "gpu-h100")
DATA_KEY = ("aws:kms/key:Key", "platform-data-key", "arn")


# -- the calendar ------------------------------------------------------------------------


def test_default_version_is_in_standard_support_today(config: dict[str, Any]) -> None:
    del config["model-engine-infra:aws"]["cluster"]["version"]
    run = run_aws(config)
    cluster = run.one("aws:eks/cluster:Cluster").inputs
    assert cluster["version"] == "1.35"
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}


def test_extended_support_is_an_explicit_choice(config: dict[str, Any]) -> None:
    set_path(config, "aws.cluster", {"version": "1.33", "supportType": "EXTENDED"})
    cluster = run_aws(config).one("aws:eks/cluster:Cluster").inputs
    assert cluster["version"] == "1.33"
    assert cluster["upgradePolicy"] == {"supportType": "EXTENDED"}


@pytest.mark.parametrize(
    ("day", "standard"),
    [("2026-12-01", True), ("2026-12-02", False)],
)
def test_standard_support_ends_on_the_calendar_date(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, day: str, standard: bool
) -> None:
    # EKS calendar: 1.34 leaves standard support on December 2, 2026.
    monkeypatch.setenv(eks_versions.TODAY_ENV, day)
    set_path(config, "aws.cluster.version", "1.34")
    if standard:
        assert settings_from(config).aws is not None
    else:
        with pytest.raises(ValueError, match="left EKS standard support on 2026-12-02"):
            settings_from(config)


def test_a_version_past_extended_support_is_not_created(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # EKS calendar: 1.32 leaves extended support on March 23, 2027.
    set_path(config, "aws.cluster", {"version": "1.32", "supportType": "EXTENDED"})
    monkeypatch.setenv(eks_versions.TODAY_ENV, "2027-03-22")
    assert settings_from(config).aws is not None
    monkeypatch.setenv(eks_versions.TODAY_ENV, "2027-03-23")
    with pytest.raises(ValueError, match="EKS stopped creating clusters on it"):
        settings_from(config)


def test_existing_clusters_are_not_judged_by_the_calendar(config: dict[str, Any]) -> None:
    existing_cluster_config(config)
    set_path(config, "aws.cluster.version", "1.33")
    assert settings_from(config).aws is not None


# -- managed add-ons ---------------------------------------------------------------------


def _addon(run: AwsRun, name: str) -> dict[str, Any]:
    return run.one(ADDON, f"platform-eks-addons-{name}").inputs


def test_core_addons_are_pinned_to_the_clusters_version(prod: AwsRun) -> None:
    versions = {n: _addon(prod, n)["addonVersion"] for n in ("vpc-cni", "kube-proxy", "coredns")}
    # The builds for Kubernetes 1.35 as refreshed in 2026-12 (components/aws/eks_versions.py
    # says where each was read).
    assert versions == {
        "vpc-cni": "v1.21.1-eksbuild.3",
        "kube-proxy": "v1.35.3-eksbuild.2",
        "coredns": "v1.13.2-eksbuild.4",
    }
    for name in versions:
        assert _addon(prod, name)["clusterName"] == "model-engine-customer-prod"


def test_addon_builds_follow_the_version(config: dict[str, Any]) -> None:
    set_path(config, "aws.cluster", {"version": "1.33", "supportType": "EXTENDED"})
    run = run_aws(config)
    assert _addon(run, "kube-proxy")["addonVersion"].startswith("v1.33.")


def test_the_cni_has_its_own_role_not_the_nodes(prod: AwsRun) -> None:
    cni = _addon(prod, "vpc-cni")
    assert cni["serviceAccountRoleArn"] == prod.out(ROLE, "platform-eks-addons-vpc-cni", "arn")
    [statement] = prod.trust("platform-eks-addons-vpc-cni")["Statement"]
    subjects = next(
        v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")
    )
    assert subjects == ["system:serviceaccount:kube-system:aws-node"]
    cni_policy = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
    attached = {
        r.inputs["policyArn"]: r.inputs["role"]
        for r in prod.of_type(ATTACHMENT)
        if r.inputs["policyArn"] == cni_policy
    }
    assert attached == {cni_policy: prod.out(ROLE, "platform-eks-addons-vpc-cni", "name")}


def test_the_cni_enforces_network_policy(prod: AwsRun) -> None:
    """The network policy agent runs only when the add-on's configuration asks for it, as a
    string (the add-on's configuration schema), in standard mode as aws-node's environment
    states it (strict mode would deny every pod of the cluster at start, CoreDNS's too, until
    a policy allows it); the others keep their defaults."""
    cni = _addon(prod, "vpc-cni")
    assert json.loads(cni["configurationValues"]) == {
        "enableNetworkPolicy": "true",
        "env": {"NETWORK_POLICY_ENFORCING_MODE": "standard"},
    }
    assert "configurationValues" not in _addon(prod, "kube-proxy")


def test_nodes_start_after_the_cni_and_dns_after_the_nodes(prod: AwsRun) -> None:
    cni = prod.one(ADDON, "platform-eks-addons-vpc-cni").urn
    proxy = prod.one(ADDON, "platform-eks-addons-kube-proxy").urn
    for group in GROUPS:
        upstream = prod.upstream(prod.one(NODE_GROUP, f"platform-nodes-{group}"))
        assert {cni, proxy} <= upstream, group
    dns = prod.one(ADDON, "platform-eks-addons-coredns")
    assert prod.one(NODE_GROUP, "platform-nodes-system").urn in dns.dependencies
    # The chart waits for cluster DNS.
    chart = prod.one("kubernetes:helm.sh/v3:Release", "model-engine-chart")
    assert dns.urn in chart.dependencies


def test_existing_cluster_keeps_its_addons_and_nodes_keep_the_cni_policy(
    config: dict[str, Any],
) -> None:
    run = run_aws(existing_cluster_config(config))
    assert run.of_type(ADDON) == []
    node_policies = {
        r.inputs["policyArn"]
        for r in run.of_type(ATTACHMENT)
        if r.name.startswith("platform-nodes-role-")
    }
    assert "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy" in node_policies


# -- nodes -------------------------------------------------------------------------------


def _template_of(run: AwsRun, group: str) -> dict[str, Any]:
    ref = run.one(NODE_GROUP, f"platform-nodes-{group}").inputs["launchTemplate"]
    template = run.one(TEMPLATE, f"platform-nodes-{group}-lt")
    assert ref["id"] == deferred(TEMPLATE, template.name, "id")
    assert ref["version"] == run.out(TEMPLATE, template.name, "latestVersion")
    return template.inputs


@pytest.mark.parametrize(
    ("group", "disk"), [("system", 100), ("cpu", 200), ("gpu-h100", fit.OS_ONLY_ROOT_GB)]
)
def test_root_volumes_are_encrypted_gp3_with_the_platform_key(
    prod: AwsRun, group: str, disk: int
) -> None:
    [root] = _template_of(prod, group)["blockDeviceMappings"]
    assert root["deviceName"] == "/dev/xvda"
    assert root["ebs"] == {
        "volumeSize": disk,
        "volumeType": "gp3",
        "encrypted": "true",
        "kmsKeyId": prod.out(*DATA_KEY),
        "deleteOnTermination": "true",
    }


def test_pods_cannot_reach_instance_metadata(prod: AwsRun) -> None:
    for group in GROUPS:
        assert _template_of(prod, group)["metadataOptions"] == {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
        }, group


def test_auto_scaling_may_use_the_key_for_node_volumes(prod: AwsRun) -> None:
    policy = json.loads(prod.one("aws:kms/key:Key", "platform-data-key").inputs["policy"])
    account = computed_aws.account_id()  # getCallerIdentity
    asg = (
        f"arn:aws:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling"
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["AccountAdministersAndUsesThroughIam"]["Principal"] == {
        "AWS": f"arn:aws:iam::{account}:root"
    }
    use = by_sid["AutoScalingUsesForNodeVolumes"]
    assert use["Condition"]["StringEquals"]["aws:PrincipalArn"] == asg
    assert {"kms:Decrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"} <= set(use["Action"])
    grant = by_sid["AutoScalingGrantsForNodeVolumes"]
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"]["StringEquals"]["aws:PrincipalArn"] == asg
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_named_admins_get_access_entries(config: dict[str, Any]) -> None:
    admin = "arn:aws:iam::123456789012:role/platform-admins"
    set_path(config, "aws.cluster.adminPrincipalArns", [admin])
    run = run_aws(config)
    [entry] = run.of_type("aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["principalArn"] == admin
    [association] = run.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert association.inputs["policyArn"] == (
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )
    assert association.inputs["accessScope"] == {"type": "cluster"}


def test_ci_preview_role_reads_the_cluster(config: dict[str, Any]) -> None:
    admin = "arn:aws:iam::123456789012:role/ci-deploy"
    viewer = "arn:aws:iam::123456789012:role/ci-preview"
    set_path(config, "aws.cluster.adminPrincipalArns", [admin])
    set_path(config, "aws.cluster.viewerPrincipalArns", [viewer])
    run = run_aws(config)
    policies = {
        a.inputs["principalArn"]: a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in run.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    }
    assert policies == {admin: "AmazonEKSClusterAdminPolicy", viewer: "AmazonEKSViewPolicy"}
    entries = {e.inputs["principalArn"] for e in run.of_type("aws:eks/accessEntry:AccessEntry")}
    assert entries == {admin, viewer}


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
