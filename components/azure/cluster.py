"""AKS: OIDC issuer and workload identity on, Entra ID with Azure RBAC, no local accounts,
Azure CNI overlay, a system pool that runs the control plane (`node-lifecycle: normal`).

The Kubernetes provider authenticates with the deployer's Entra identity (kubeconfig in
`exec` format: kubelogin must be on the PATH); the deployer gets the AKS RBAC Cluster Admin
role on this cluster only.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import containerservice

from components import accelerators
from components.azure import settings as az
from components.azure.common import LONG_TIMEOUTS, child, grant, stateful, trim_name

SYSTEM_POOL = "system"
AUTOSCALER_PROFILE = containerservice.ManagedClusterPropertiesAutoScalerProfileArgs(
    # GPU nodes are expensive: give them back soon after endpoints scale to zero.
    scale_down_unneeded_time="10m",
    expander="least-waste",
    balance_similar_node_groups="true",
)


def decode_kubeconfig(value: str) -> str:
    return base64.b64decode(value).decode()


DNS_PREFIX_LIMIT = 54


@dataclass
class ClusterArgs:
    settings: az.Cluster
    system_pool: az.NodePool
    name: str
    location: str
    resource_group_name: pulumi.Input[str]
    node_subnet_id: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    # The deployer's object id and kind (User, ServicePrincipal): cluster admin for Pulumi.
    deployer_object_id: pulumi.Input[str]
    zones: Sequence[str]
    protect: bool
    tags: Mapping[str, str]


class Cluster(pulumi.ComponentResource):
    cluster: containerservice.ManagedCluster
    name: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    kubelet_object_id: pulumi.Output[str]
    provider: k8s.Provider

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:azure:Cluster", name, None, opts)
        cfg = args.settings
        system = args.system_pool
        self.cluster = containerservice.ManagedCluster(
            f"{name}-aks",
            resource_name_=args.name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            # The API server's DNS label: 1-54 characters, where the cluster name may have 63.
            dns_prefix=trim_name(args.name, DNS_PREFIX_LIMIT),
            kubernetes_version=cfg.version,
            sku=containerservice.ManagedClusterSKUArgs(name="Base", tier=cfg.tier),
            identity=containerservice.ManagedClusterIdentityArgs(
                type=containerservice.ResourceIdentityType.SYSTEM_ASSIGNED
            ),
            aad_profile=containerservice.ManagedClusterAADProfileArgs(
                managed=True,
                enable_azure_rbac=True,
                tenant_id=args.tenant_id,
                admin_group_object_ids=list(cfg.admin_group_object_ids),
            ),
            disable_local_accounts=True,
            enable_rbac=True,
            oidc_issuer_profile=containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=containerservice.ManagedClusterSecurityProfileArgs(
                workload_identity=containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(
                    enabled=True
                ),
            ),
            network_profile=containerservice.ContainerServiceNetworkProfileArgs(
                network_plugin="azure",
                network_plugin_mode="overlay",
                network_dataplane="cilium",
                network_policy="cilium",
                load_balancer_sku="standard",
            ),
            api_server_access_profile=containerservice.ManagedClusterAPIServerAccessProfileArgs(
                enable_private_cluster=cfg.private,
                authorized_ip_ranges=list(cfg.authorized_ip_ranges) or None,
            ),
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel="patch", node_os_upgrade_channel="NodeImage"
            ),
            auto_scaler_profile=AUTOSCALER_PROFILE,
            agent_pool_profiles=[
                containerservice.ManagedClusterAgentPoolProfileArgs(
                    name=SYSTEM_POOL,
                    mode="System",
                    type="VirtualMachineScaleSets",
                    os_type="Linux",
                    os_sku="AzureLinux",
                    vm_size=system.vm_size,
                    os_disk_size_gb=system.os_disk_size_gb,
                    enable_auto_scaling=True,
                    count=system.min_count,
                    min_count=system.min_count,
                    max_count=system.max_count,
                    availability_zones=list(args.zones) or None,
                    vnet_subnet_id=args.node_subnet_id,
                    node_labels={accelerators.LIFECYCLE_LABEL: accelerators.LIFECYCLE_NORMAL},
                )
            ],
            tags=dict(args.tags),
            # The pool count moves with the autoscaler.
            opts=stateful(
                self,
                args.protect,
                custom_timeouts=LONG_TIMEOUTS,
                ignore_changes=["agentPoolProfiles[0].count"],
            ),
        )
        self.name = self.cluster.name
        self.oidc_issuer_url = self.cluster.oidc_issuer_profile.apply(
            lambda p: (p.issuer_url if p else None) or ""
        )
        self.kubelet_object_id = self.cluster.identity_profile.apply(
            lambda ids: (ids or {})["kubeletidentity"].object_id or ""
        )
        admin = grant(
            self,
            f"{name}-deployer-admin",
            role="Azure Kubernetes Service RBAC Cluster Admin",
            scope=self.cluster.id,
            principal_id=args.deployer_object_id,
            subscription_id=args.subscription_id,
            principal_type=args.settings.deployer_principal_type,
        )
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=args.resource_group_name,
            resource_name=self.cluster.name,
            format="exec",
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        kubeconfig = pulumi.Output.secret(
            credentials.kubeconfigs.apply(lambda kcs: decode_kubeconfig(kcs[0].value))
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig,
            enable_server_side_apply=True,
            opts=child(self, depends_on=[admin]),
        )
        self.register_outputs({"name": self.name, "oidc_issuer_url": self.oidc_issuer_url})
