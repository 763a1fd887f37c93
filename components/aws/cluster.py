"""Cluster: a new EKS cluster (OIDC for IRSA, KMS envelope encryption of Secrets, control
plane logs, private endpoint) or an existing one looked up by name; and the Kubernetes
provider every Kubernetes resource of the program uses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.aws import settings as aws_settings
from components.aws import versions as eks_versions
from components.aws.common import (
    EKS_TIMEOUTS,
    child,
    irsa_role,
    lift,
    managed_policy_arn,
    service_trust,
)
from components.contract import is_deferred
from components.kubeconfig import exec_kubeconfig
from components.settings_base import PROJECT, SettingsError

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
# Read-only on every namespace's objects, Secrets excepted: what a `pulumi preview` reads.
CLUSTER_VIEW_POLICY = "AmazonEKSViewPolicy"
AUTHENTICATION_MODE = "API"
EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with `aws eks get-token` (no credential stored)."""
    return exec_kubeconfig(
        cluster_name,
        endpoint,
        ca_data,
        {
            "command": "aws",
            "args": [
                *("eks", "get-token", "--cluster-name", cluster_name),
                *("--region", region, "--output", "json"),
            ],
            "interactiveMode": "Never",
        },
    )


def verify_existing(
    name: str, vpc_id: str, version: str, stack_vpc_id: str | None, stack_version: str
) -> None:
    """An existing cluster must be where the stack says and run the version it says: node
    groups, RDS and Redis go into the stack's VPC, and the add-ons (the cluster autoscaler's
    image) follow the stack's version. Only the lookup knows, so this runs on its result."""
    problems: list[str] = []
    if stack_vpc_id and not is_deferred(vpc_id) and vpc_id != stack_vpc_id:
        problems.append(
            f"{PROJECT}:aws.vpc.vpcId: is {stack_vpc_id!r}, but EKS cluster {name!r} is in "
            f"{vpc_id!r}; set it (and aws.vpc.privateSubnetIds) to the cluster's VPC"
        )
    if not is_deferred(version) and version != stack_version:
        problems.append(
            f"{PROJECT}:aws.cluster.version: is {stack_version!r}, but EKS cluster {name!r} "
            f'runs Kubernetes {version!r}; set it to "{version}"'
        )
    if problems:
        raise SettingsError(problems)


def _issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
    oidcs = identities[0].oidcs or []
    if not oidcs or not oidcs[0].issuer:
        raise ValueError("the EKS cluster reports no OIDC issuer; IRSA needs one")
    return oidcs[0].issuer


@dataclass
class ClusterArgs:
    settings: aws_settings.Cluster
    # Physical cluster name (new) or the existing cluster's name.
    name: str
    region: str
    subnet_ids: Sequence[pulumi.Input[str]]
    partition: pulumi.Input[str]
    protect: bool
    # The VPC the stack says the cluster is in (aws.vpc.vpcId); an existing cluster must be.
    vpc_id: str | None = None


class Cluster(pulumi.ComponentResource):
    name: pulumi.Output[str]
    version: pulumi.Output[str] | None
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    # The security group EKS attaches to managed nodes (and the control plane).
    node_security_group_id: pulumi.Output[str]
    provider: k8s.Provider
    eks: aws.eks.Cluster | None = None

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:aws:Cluster", name, None, opts)
        if args.settings.is_new:
            self._new(name, args)
        else:
            self._existing(args)
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.all(
                self.name, self.endpoint, self.certificate_authority
            ).apply(lambda a: kubeconfig(a[0], a[1], a[2], args.region)),
            opts=child(self),
        )
        self.register_outputs(
            {
                "name": self.name,
                "endpoint": self.endpoint,
                "oidc_issuer_url": self.oidc_issuer_url,
                "oidc_provider_arn": self.oidc_provider_arn,
            }
        )

    def _new(self, name: str, args: ClusterArgs) -> None:
        cfg = args.settings
        key = aws.kms.Key(
            f"{name}-secrets-key",
            description=f"EKS {args.name}: envelope encryption of Kubernetes Secrets",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=child(self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{name}-secrets-key",
            name=f"alias/{args.name}-eks-secrets",
            target_key_id=key.key_id,
            opts=child(self),
        )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=service_trust("eks.amazonaws.com"),
            description=f"EKS control plane of {args.name}",
            opts=child(self),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-role-cluster-policy",
            role=role.name,
            policy_arn=lift(managed_policy_arn, args.partition, "AmazonEKSClusterPolicy"),
            opts=child(self),
        )
        # EKS writes to this group once logging is on; creating it first sets retention.
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/eks/{args.name}/cluster",
            retention_in_days=cfg.log_retention_days,
            opts=child(self),
        )
        cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=args.name,
            version=cfg.version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=bool(cfg.public_access_cidrs),
                public_access_cidrs=list(cfg.public_access_cidrs) or None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(cfg.log_types),
            # Access entries only (no aws-auth ConfigMap): admins are the deployer and the
            # named principals below; managed node groups get their entries from EKS.
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode=AUTHENTICATION_MODE,
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            # Explicit: EKS's default is EXTENDED, which bills a cluster left on an old version
            # at the extended-support price instead of upgrading it.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=cfg.support_type),
            opts=child(
                self,
                protect=args.protect,
                depends_on=[attachment, logs],
                custom_timeouts=EKS_TIMEOUTS,
            ),
        )
        issuer = cluster.identities.apply(_issuer)
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            opts=child(self),
        )
        for kind, principals, policy in (
            ("admin", cfg.admin_principal_arns, CLUSTER_ADMIN_POLICY),
            ("viewer", cfg.viewer_principal_arns, CLUSTER_VIEW_POLICY),
        ):
            for i, principal in enumerate(principals):
                self._access(f"{name}-{kind}-{i}", cluster.name, principal, policy, args)
        self.eks = cluster
        self.name = cluster.name
        self.version = cluster.version
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority.apply(lambda ca: ca.data or "")
        self.oidc_issuer_url = issuer
        self.oidc_provider_arn = oidc.arn
        self.node_security_group_id = cluster.vpc_config.apply(
            lambda v: v.cluster_security_group_id or ""
        )

    def _access(
        self,
        name: str,
        cluster_name: pulumi.Input[str],
        principal: str,
        policy: str,
        args: ClusterArgs,
    ) -> None:
        """An EKS access entry for one IAM principal, with one access policy cluster-wide."""
        entry = aws.eks.AccessEntry(
            name, cluster_name=cluster_name, principal_arn=principal, opts=child(self)
        )
        aws.eks.AccessPolicyAssociation(
            name,
            cluster_name=cluster_name,
            principal_arn=entry.principal_arn,
            policy_arn=lift(
                lambda p: f"arn:{p}:eks::aws:cluster-access-policy/{policy}", args.partition
            ),
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=child(self),
        )

    def _existing(self, args: ClusterArgs) -> None:
        invoke = pulumi.InvokeOutputOptions(parent=self)
        lookup = aws.eks.get_cluster_output(name=args.name, opts=invoke)
        stack_vpc, stack_version = args.vpc_id, args.settings.version

        def verified(found: aws.eks.GetClusterResult) -> aws.eks.GetClusterResult:
            verify_existing(
                found.name, found.vpc_config.vpc_id, found.version, stack_vpc, stack_version
            )
            return found

        # Every fact about the cluster comes from the verified result, so nothing (node
        # groups, IRSA trust, database ingress) is built for a cluster the stack misdescribes.
        found = lookup.apply(verified)
        self.name = found.apply(lambda c: c.name)
        self.version = None
        self.endpoint = found.apply(lambda c: c.endpoint)
        self.certificate_authority = found.apply(lambda c: c.certificate_authorities[0].data or "")
        self.oidc_issuer_url = found.apply(lambda c: c.identities[0].oidcs[0].issuer or "")
        # IRSA needs the cluster's OIDC provider in IAM; the lookup fails clearly without it.
        self.oidc_provider_arn = aws.iam.get_open_id_connect_provider_output(
            url=self.oidc_issuer_url, opts=invoke
        ).arn
        self.node_security_group_id = found.apply(
            lambda c: c.vpc_config.cluster_security_group_id or ""
        )


EBS_CSI_SERVICE_ACCOUNT = ("kube-system", "ebs-csi-controller-sa")
DEFAULT_STORAGE_CLASS = "gp3"


@dataclass
class BlockStorageArgs:
    cluster_name: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    partition: pulumi.Input[str]
    kubernetes_provider: k8s.Provider
    # The driver's controller needs nodes to become ACTIVE.
    nodes: Sequence[pulumi.Resource]
    # The add-on build pinned for the cluster's minor (eks_versions.CALENDAR): unpinned, EKS
    # installs its default build and never moves it, so it would age out unnoticed.
    addon_version: str


class BlockStorage(pulumi.ComponentResource):
    """The EBS CSI driver (an EKS add-on with its own IRSA role) and an encrypted gp3 default
    StorageClass: a new EKS cluster has neither, so PersistentVolumeClaims (Prometheus')
    would stay Pending."""

    addon: aws.eks.Addon
    storage_class: k8s.storage.v1.StorageClass

    def __init__(
        self, name: str, args: BlockStorageArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:aws:BlockStorage", name, None, opts)
        role, attachment = irsa_role(
            self,
            f"{name}-ebs-csi",
            description="EBS CSI driver controller (IRSA)",
            service_account=EBS_CSI_SERVICE_ACCOUNT,
            policy=EBS_CSI_POLICY,
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_issuer_url=args.oidc_issuer_url,
            partition=args.partition,
        )
        self.addon = aws.eks.Addon(
            f"{name}-ebs-csi",
            cluster_name=args.cluster_name,
            addon_name="aws-ebs-csi-driver",
            addon_version=args.addon_version,
            service_account_role_arn=role.arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            opts=child(self, depends_on=[attachment, *args.nodes]),
        )
        self.storage_class = k8s.storage.v1.StorageClass(
            f"{name}-{DEFAULT_STORAGE_CLASS}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=DEFAULT_STORAGE_CLASS,
                annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true"},
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=child(self, provider=args.kubernetes_provider, depends_on=[self.addon]),
        )
        self.register_outputs({"storage_class": DEFAULT_STORAGE_CLASS})


VPC_CNI_SERVICE_ACCOUNT = ("kube-system", "aws-node")
CNI_POLICY = "AmazonEKS_CNI_Policy"
# The VPC CNI's network policy agent (in aws-node since v1.14; every pinned version is newer)
# enforces NetworkPolicy only when switched on: the endpoint namespace's default deny
# (components/isolation) depends on it. The add-on's schema takes the value as a string.
# Standard mode, stated so a changed default cannot move it: a new pod's traffic is allowed
# until its policies are programmed (the window the README's User code isolation names).
# Strict mode would deny it, but cluster-wide: every pod in every namespace (CoreDNS, the
# add-ons, the control plane) would then need a policy for each destination, which the
# program does not write for namespaces it does not own.
VPC_CNI_CONFIGURATION = {
    "enableNetworkPolicy": "true",
    "env": {"NETWORK_POLICY_ENFORCING_MODE": "standard"},
}


@dataclass
class ManagedAddonsArgs:
    cluster_name: pulumi.Input[str]
    # The cluster's minor version: selects the add-on builds (eks_versions.CALENDAR).
    kubernetes_version: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    partition: pulumi.Input[str]


class ManagedAddons(pulumi.ComponentResource):
    """The EKS add-ons every node needs, as managed add-ons pinned to the builds that match
    the cluster's version: the VPC CNI (with AmazonEKS_CNI_Policy on its own IRSA role, not
    on the node role) and kube-proxy, both created before any node starts; CoreDNS, which
    needs nodes to run on, comes after them (`dns`)."""

    vpc_cni: aws.eks.Addon
    kube_proxy: aws.eks.Addon
    cni_role: aws.iam.Role

    def __init__(
        self, name: str, args: ManagedAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:aws:ManagedAddons", name, None, opts)
        self._name = name
        self._args = args
        self._versions = eks_versions.addon_versions(args.kubernetes_version)
        self.cni_role, attachment = irsa_role(
            self,
            f"{name}-vpc-cni",
            description="Amazon VPC CNI (aws-node, IRSA)",
            service_account=VPC_CNI_SERVICE_ACCOUNT,
            policy=CNI_POLICY,
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_issuer_url=args.oidc_issuer_url,
            partition=args.partition,
        )
        self.vpc_cni = self._addon(
            "vpc-cni",
            service_account_role_arn=self.cni_role.arn,
            depends_on=[attachment],
            configuration_values=json.dumps(VPC_CNI_CONFIGURATION, separators=(",", ":")),
        )
        self.kube_proxy = self._addon("kube-proxy")
        self.register_outputs({"versions": dict(self._versions)})

    @property
    def before_nodes(self) -> list[pulumi.Resource]:
        return [self.vpc_cni, self.kube_proxy]

    def dns(self, nodes: Sequence[pulumi.Resource]) -> aws.eks.Addon:
        """CoreDNS, once nodes exist: EKS reports it ACTIVE only when its pods run."""
        return self._addon("coredns", depends_on=list(nodes))

    def _addon(
        self,
        addon: str,
        *,
        service_account_role_arn: pulumi.Input[str] | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
        configuration_values: str | None = None,
    ) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{self._name}-{addon}",
            cluster_name=self._args.cluster_name,
            addon_name=addon,
            addon_version=self._versions[addon],
            service_account_role_arn=service_account_role_arn,
            configuration_values=configuration_values,
            # EKS installed self-managed copies with the cluster: the managed add-on takes
            # them over.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            opts=child(self, depends_on=list(depends_on)),
        )
