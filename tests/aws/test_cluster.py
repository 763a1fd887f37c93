"""The cluster: a new EKS cluster (or an existing one), its managed add-ons and access
entries, and the Kubernetes provider every Kubernetes resource of the program uses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.aws import PLATFORM as AWS
from components.contract import is_deferred
from components.settings_base import SettingsError
from plan import computed_aws
from plan.simulator import RecordedResource, run_program
from tests.aws.cluster_configs import existing_cluster_config
from tests.aws.helpers import GROUPS, NODE_GROUP, ROLE, AwsRun, run_aws
from tests.helpers import set_path, settings_from

EKS = "aws:eks/cluster:Cluster"
K8S_PROVIDER = "pulumi:providers:kubernetes"
ADDON = "aws:eks/addon:Addon"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def test_new_cluster_is_private_encrypted_and_logged(prod: AwsRun) -> None:
    cluster = prod.one(EKS, "platform-cluster-eks").inputs
    assert cluster["name"] == "model-engine-customer-prod"
    assert cluster["version"] == "1.35"
    vpc = cluster["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert vpc["subnetIds"] == [
        prod.out("aws:ec2/subnet:Subnet", f"platform-network-private-{i}", "id") for i in range(3)
    ]
    # Secrets are envelope-encrypted with the cluster's own KMS key.
    [encryption] = [cluster["encryptionConfig"]]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"] == prod.out(
        "aws:kms/key:Key", "platform-cluster-secrets-key", "arn"
    )
    assert prod.one("aws:kms/key:Key", "platform-cluster-secrets-key").inputs["enableKeyRotation"]
    assert cluster["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    logs = prod.one("aws:cloudwatch/logGroup:LogGroup", "platform-cluster-logs").inputs
    assert logs["name"] == "/aws/eks/model-engine-customer-prod/cluster"
    assert logs["retentionInDays"] == 90
    # Access entries only: no aws-auth ConfigMap to edit by hand.
    assert cluster["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": True,
    }
    # A new cluster is upgraded, never billed for extended support, unless the stack says so.
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}


def test_no_public_endpoint_without_cidrs(config: dict[str, Any]) -> None:
    set_path(config, "aws.cluster.publicAccessCidrs", [])
    vpc = run_aws(config).one(EKS).inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc


def test_oidc_provider_trusts_the_clusters_issuer(prod: AwsRun) -> None:
    oidc = prod.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs
    assert oidc["url"] == prod.out(EKS, "platform-cluster-eks", "identities[0].oidcs[0].issuer")
    assert oidc["clientIdLists"] == ["sts.amazonaws.com"]


def _kubeconfig(run: AwsRun) -> dict[str, Any]:
    return json.loads(run.one(K8S_PROVIDER).inputs["kubeconfig"])


def test_kubernetes_provider_comes_from_the_cluster(prod: AwsRun) -> None:
    kubeconfig = _kubeconfig(prod)
    [cluster] = kubeconfig["clusters"]
    assert cluster["cluster"]["server"] == prod.out(EKS, "platform-cluster-eks", "endpoint")
    assert cluster["cluster"]["certificate-authority-data"] == prod.out(
        EKS, "platform-cluster-eks", "certificateAuthority.data"
    )
    [user] = kubeconfig["users"]
    exec_ = user["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"][:2] == ["eks", "get-token"]
    assert exec_["args"][exec_["args"].index("--cluster-name") + 1] == "model-engine-customer-prod"
    assert exec_["args"][exec_["args"].index("--region") + 1] == "us-west-2"
    # No token or key is stored: credentials come from `aws` at run time.
    assert "token" not in user["user"] and "client-key-data" not in user["user"]


def test_every_kubernetes_resource_uses_the_clusters_provider(prod: AwsRun) -> None:
    provider = prod.one(K8S_PROVIDER)
    k8s = [r for r in prod.run.resources if r.type.startswith("kubernetes:")]
    assert len(k8s) > 10
    for r in k8s:
        assert r.provider is not None and r.provider.startswith(provider.urn), r.name


def test_new_cluster_gets_a_default_encrypted_storage_class(prod: AwsRun) -> None:
    addon = prod.one("aws:eks/addon:Addon", "platform-block-storage-ebs-csi").inputs
    assert addon["addonName"] == "aws-ebs-csi-driver"
    # Pinned, like the other add-ons: an unpinned build would age out unnoticed.
    assert addon["addonVersion"].startswith("v1.") and "eksbuild" in addon["addonVersion"]
    assert addon["serviceAccountRoleArn"] == prod.out(
        "aws:iam/role:Role", "platform-block-storage-ebs-csi", "arn"
    )
    trust = prod.trust("platform-block-storage-ebs-csi")
    [statement] = trust["Statement"]
    subjects = next(
        v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")
    )
    assert subjects == ["system:serviceaccount:kube-system:ebs-csi-controller-sa"]
    sc = prod.one("kubernetes:storage.k8s.io/v1:StorageClass").inputs
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert sc["provisioner"] == "ebs.csi.aws.com"
    assert sc["parameters"] == {"type": "gp3", "encrypted": "true"}


EXISTING_VPC = "vpc-0a1b2c3d4e5f60000"


def account_holding(vpc_id: str, version: str) -> computed_aws.Existing:
    """A simulated account in which cluster shared-gpu exists, in this VPC and version."""
    return computed_aws.Existing(
        clusters={"shared-gpu": computed_aws.ExistingCluster(vpc_id=vpc_id, version=version)}
    )


def _stack_version(config: dict[str, Any]) -> str:
    return AWS.block(settings_from(config)).cluster.version


def test_existing_cluster_is_looked_up_not_created(config: dict[str, Any]) -> None:
    config = existing_cluster_config(config)
    existing = account_holding(EXISTING_VPC, _stack_version(config))
    found = existing.clusters["shared-gpu"]
    run = run_aws(config, existing)
    assert run.of_type(EKS) == []
    assert run.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert run.infra["k8s_cluster_name"] == "shared-gpu"
    # Its endpoint and CA (from getCluster) build the kubeconfig.
    [cluster] = _kubeconfig(run)["clusters"]
    assert cluster["cluster"]["server"].endswith(".eks.amazonaws.com")
    # IRSA trusts the cluster's existing OIDC provider (looked up by its issuer).
    issuer = computed_aws.oidc_issuer("us-west-2", found.oidc_id).removeprefix("https://")
    [statement] = run.trust("platform-identity-model-engine")["Statement"]
    assert statement["Principal"]["Federated"] == (
        f"arn:aws:iam::{computed_aws.account_id()}:oidc-provider/{issuer}"
    )
    assert f"{issuer}:sub" in statement["Condition"]["StringEquals"]
    # PostgreSQL and Redis admit the existing cluster's node security group.
    found4 = run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert found4
    for rule in found4:
        assert rule.inputs["referencedSecurityGroupId"] == found.security_group_id
    # Node groups join the existing cluster; no storage driver is forced on it.
    found3 = run.of_type("aws:eks/nodeGroup:NodeGroup")
    assert found3
    for ng in found3:
        assert ng.inputs["clusterName"] == "shared-gpu"
    assert run.of_type("aws:eks/addon:Addon") == []


@pytest.mark.parametrize(
    ("vpc_id", "version", "key", "words"),
    [
        ("vpc-0fedcba9876543210", None, "aws.vpc.vpcId", "is in 'vpc-0fedcba9876543210'"),
        (EXISTING_VPC, "1.30", "aws.cluster.version", "runs Kubernetes '1.30'"),
    ],
    ids=["other-vpc", "other-version"],
)
def test_existing_cluster_must_match_the_stack(
    config: dict[str, Any], vpc_id: str, version: str | None, key: str, words: str
) -> None:
    """The lookup, not the stack, knows the cluster's VPC and version; a stack that
    disagrees fails naming its key, and nothing is built for the cluster."""
    config = existing_cluster_config(config)
    existing = account_holding(vpc_id, version or _stack_version(config))
    recorded: list[RecordedResource] = []
    with pytest.raises(SettingsError) as failure:
        run_program(config, existing=existing, recorded=recorded)
    message = str(failure.value)
    assert f"model-engine-infra:{key}: " in message and words in message, message
    # Nothing that uses the cluster's name, endpoint, OIDC issuer or security group.
    built_on_the_cluster = {
        "aws:eks/nodeGroup:NodeGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "pulumi:providers:kubernetes",
        "kubernetes:helm.sh/v3:Release",
    }
    assert [r.name for r in recorded if r.type in built_on_the_cluster] == []
    irsa = [r.name for r in recorded if "AssumeRoleWithWebIdentity" in str(r.inputs)]
    assert irsa == []


def test_an_unseen_existing_cluster_is_not_invented(config: dict[str, Any]) -> None:
    """Offline, a cluster the simulated account does not hold is all placeholders: the
    plan shows where each value will come from instead of a made-up VPC or endpoint."""
    run = run_aws(existing_cluster_config(config))
    [cluster] = _kubeconfig(run)["clusters"]
    assert is_deferred(cluster["cluster"]["server"])
    found2 = run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert found2
    for rule in found2:
        assert is_deferred(rule.inputs["referencedSecurityGroupId"])


def _addon(run: AwsRun, name: str) -> dict[str, Any]:
    return run.one(ADDON, f"platform-eks-addons-{name}").inputs


def test_core_addons_are_pinned_to_the_clusters_version(prod: AwsRun) -> None:
    versions = {n: _addon(prod, n)["addonVersion"] for n in ("vpc-cni", "kube-proxy", "coredns")}
    # The builds for Kubernetes 1.35 as refreshed in 2026-12 (components/aws/versions.py
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
