"""The cluster: a new EKS cluster (or an existing one), and the Kubernetes provider every
Kubernetes resource of the program uses."""

from __future__ import annotations

import json
from typing import Any

from plan import computed_aws
from tests.aws.cluster_configs import existing_cluster_config
from tests.aws.helpers import AwsRun, run_aws
from tests.helpers import set_path

EKS = "aws:eks/cluster:Cluster"
K8S_PROVIDER = "pulumi:providers:kubernetes"


def test_new_cluster_is_private_encrypted_and_logged(prod: AwsRun) -> None:
    cluster = prod.one(EKS, "platform-cluster-eks").inputs
    assert cluster["name"] == "model-engine-customer-prod"
    assert cluster["version"] == "1.35"
    vpc = cluster["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert vpc["subnetIds"] == [f"platform-network-private-{i}-id" for i in range(3)]
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


def test_existing_cluster_is_looked_up_not_created(config: dict[str, Any]) -> None:
    run = run_aws(existing_cluster_config(config))
    assert run.of_type(EKS) == []
    assert run.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert run.infra["k8s_cluster_name"] == "shared-gpu"
    # Its endpoint and CA (from getCluster) build the kubeconfig.
    [cluster] = _kubeconfig(run)["clusters"]
    assert cluster["cluster"]["server"].endswith(".eks.amazonaws.com")
    # IRSA trusts the cluster's existing OIDC provider (looked up by its issuer).
    issuer = computed_aws.oidc_issuer("us-west-2").removeprefix("https://")
    [statement] = run.trust("platform-identity-model-engine")["Statement"]
    assert statement["Principal"]["Federated"] == (
        f"arn:aws:iam::{computed_aws.ACCOUNT_ID}:oidc-provider/{issuer}"
    )
    assert f"{issuer}:sub" in statement["Condition"]["StringEquals"]
    # PostgreSQL and Redis admit the existing cluster's node security group.
    for rule in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        assert rule.inputs["referencedSecurityGroupId"] == (
            computed_aws.EXISTING_CLUSTER_SECURITY_GROUP
        )
    # Node groups join the existing cluster; no storage driver is forced on it.
    for ng in run.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert ng.inputs["clusterName"] == "shared-gpu"
    assert run.of_type("aws:eks/addon:Addon") == []
