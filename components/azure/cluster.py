"""AKS: OIDC issuer and workload identity on, Entra ID with Azure RBAC, no local accounts,
Azure CNI overlay, a system pool kept for AKS's own pods (CriticalAddonsOnly taint).

The Kubernetes provider authenticates with the deployer's Entra identity: the kubeconfig
AKS returns (format exec) runs kubelogin in device-code mode, which would wait on a prompt
nobody sees (and Conditional Access refuses); kubeconfig.py converts it to the stack's
login mode, and kubelogin must be on the PATH. The deployer gets the AKS RBAC Cluster Admin
role on this cluster only, and the provider waits until Azure RBAC applies it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi

from components.azure import settings as az
from components.azure.common import (
    LONG_TIMEOUTS,
    PlacedArgs,
    child,
    grant,
    stateful,
    trim_name,
)
from components.azure.kubeconfig import after_rbac_applies, decode_kubeconfig, with_login
from components.azure.maintenance import aks_maintenance
from components.operations import Maintenance
from components.sdk import lazy

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
    from pulumi_azure_native import containerservice
else:
    k8s = lazy("pulumi_kubernetes")
    containerservice = lazy("pulumi_azure_native.containerservice")

SYSTEM_POOL = "system"
# AKS's own add-ons (CoreDNS, metrics-server, konnectivity, the workload-identity webhook,
# CSI drivers, ...) tolerate this taint; nothing the program or the chart installs does, so
# endpoints and the add-ons land on the CPU pool and cannot starve kube-system ("Manage
# system node pools in AKS": CriticalAddonsOnly=true:NoSchedule).
SYSTEM_POOL_TAINT = "CriticalAddonsOnly=true:NoSchedule"


def autoscaler_profile() -> containerservice.ManagedClusterPropertiesAutoScalerProfileArgs:
    return containerservice.ManagedClusterPropertiesAutoScalerProfileArgs(
        # GPU nodes are expensive: give them back soon after endpoints scale to zero.
        scale_down_unneeded_time="10m",
        expander="least-waste",
        balance_similar_node_groups="true",
        # A GPU node takes longer than the 15-minute default to join: a large VM is allocated,
        # then the GPU driver and device plugin install before it is Ready. At 15m the
        # autoscaler would give up on it, delete it and back off the pool. The profile is
        # cluster-wide in AKS (no per-pool value), so a CPU scale-up failure is noticed later too.
        max_node_provision_time="30m",
    )


# AKS: dnsPrefix is 1-54 letters, digits and hyphens, starting and ending alphanumeric.
DNS_PREFIX_LIMIT = 54


def dns_prefix(cluster_name: str) -> str:
    """The API server FQDN prefix for a cluster name (which may be 63 long and hold `_`)."""
    cleaned = re.sub(r"[^A-Za-z0-9-]", "-", cluster_name).strip("-")
    return trim_name(cleaned, DNS_PREFIX_LIMIT).strip("-") or "aks"


@dataclass
class ClusterArgs(PlacedArgs):
    settings: az.Cluster
    system_pool: az.NodePool
    name: str
    node_subnet_id: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    # The deployer's object id and kind (User, ServicePrincipal): cluster admin for Pulumi.
    deployer_object_id: pulumi.Input[str]
    # The deployer's application (client) id: kubelogin's spn mode names it.
    deployer_client_id: pulumi.Input[str]
    zones: Sequence[str]
    # Auto-upgrade channel and the two AKS planned-maintenance schedules.
    maintenance: Maintenance = field(default_factory=Maintenance)


class Cluster(pulumi.ComponentResource):
    cluster: containerservice.ManagedCluster
    name: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    kubelet_object_id: pulumi.Output[str]
    provider: k8s.Provider
    # Role assignments the Kubernetes side needs before its first call.
    network_grant: pulumi.Resource

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
            dns_prefix=dns_prefix(args.name),
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
                upgrade_channel=args.maintenance.cluster_auto_upgrade,
                node_os_upgrade_channel="NodeImage",
            ),
            auto_scaler_profile=autoscaler_profile(),
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
                    node_taints=[SYSTEM_POOL_TAINT],
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
        # The cluster's identity joins the nodes' subnet for the internal load balancer
        # (the gateway's Service): `az aks create` grants Network Contributor on a custom
        # subnet, ARM does not ("Use a managed identity in AKS", "Add role assignment").
        self.network_grant = grant(
            self,
            f"{name}-subnet-network-contributor",
            role="Network Contributor",
            scope=args.node_subnet_id,
            principal_id=self.cluster.identity.apply(
                lambda i: (i.principal_id if i else None) or ""
            ),
            subscription_id=args.subscription_id,
        )
        grants = [self.network_grant]
        # CI's deploy identity holds the role on its scope already (bootstrap/ci_trust), and
        # may not assign a role to itself.
        if not cfg.deployer_holds_admin:
            grants.append(
                grant(
                    self,
                    f"{name}-deployer-admin",
                    role="Azure Kubernetes Service RBAC Cluster Admin",
                    scope=self.cluster.id,
                    principal_id=args.deployer_object_id,
                    subscription_id=args.subscription_id,
                    principal_type=cfg.deployer_type,
                )
            )
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=args.resource_group_name,
            resource_name=self.cluster.name,
            format="exec",
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        login = cfg.deployer_login
        issued = credentials.kubeconfigs.apply(lambda kcs: decode_kubeconfig(kcs[0].value))
        kubeconfig = pulumi.Output.all(issued, args.deployer_client_id).apply(
            lambda a: with_login(a[0], login, a[1])
        )
        # The grants must be in force before the first Kubernetes call (the add-ons'
        # gateway Service needs the subnet role; the namespace creates need the admin role).
        kubeconfig = after_rbac_applies(kubeconfig, grants)
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.secret(kubeconfig),
            enable_server_side_apply=True,
            opts=child(self, depends_on=grants),
        )
        self.maintenance = aks_maintenance(self, name, args, self.cluster.name)
        self.register_outputs({"name": self.name, "oidc_issuer_url": self.oidc_issuer_url})
