"""AKS user pools: one CPU pool and one pool per GPU pool of the stack.

GPU pools carry the accelerator label the chart selects on (on every cloud
`k8s.amazonaws.com/accelerator`), `node-lifecycle: normal`, the MIG layout label where the
catalog cuts GPUs, and the `nvidia.com/gpu` taint. AKS's own cluster autoscaler scales
every pool, from zero for GPU pools, so no cluster-autoscaler add-on runs on Azure.

A GPU pool puts the kubelet, emptyDir volumes and the container runtime's data on the VM's
temporary disk (kubeletDiskType Temporary) when that disk holds the largest hardware tier
(components/fit.py); otherwise on a managed Premium SSD OS disk sized for it. GPU pools
upgrade in place, one node at a time and without a surge node (maxSurge 0, maxUnavailable
1), so an upgrade needs no spare GPU quota; they run on regular VMs, Spot VMs or a capacity
reservation group as the pool says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from components import accelerators
from components.azure import settings as az
from components.azure.alerts import AlertTarget, activity_alerts, node_pool_rules
from components.azure.common import LONG_TIMEOUTS, child
from components.contract import GpuNodePool, GpuPoolSpec
from components.sdk import lazy
from components.settings import PoolCapacity

if TYPE_CHECKING:
    from pulumi_azure_native import containerservice
else:
    containerservice = lazy("pulumi_azure_native.containerservice")

CPU_POOL = "cpu"


def gpu_upgrade() -> containerservice.AgentPoolUpgradeSettingsArgs:
    """Replace one node at a time without a surge VM: no spare GPU quota needed."""
    return containerservice.AgentPoolUpgradeSettingsArgs(max_surge="0", max_unavailable="1")


def capacity_args(capacity: PoolCapacity) -> dict[str, Any]:
    if capacity.type == "spot":
        # Delete: evicted VMs go away, so the autoscaler can ask for new ones.
        return {
            "scale_set_priority": "Spot",
            "scale_set_eviction_policy": "Delete",
            "spot_max_price": -1,
        }
    if capacity.type == "reservation":
        return {"capacity_reservation_group_id": capacity.reservation}
    return {}


def pool_name(name: str) -> str:
    """AKS Linux pool names: 1-12 lower-case letters and digits, starting with a letter."""
    return re.sub(r"[^a-z0-9]", "", name.lower())[:12]


def taint_strings(pool: GpuNodePool) -> list[str]:
    return [
        f"{t.key}={t.value}:{t.effect}" if t.value else f"{t.key}:{t.effect}" for t in pool.taints
    ]


@dataclass
class NodePoolsArgs:
    cluster_name: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    node_subnet_id: pulumi.Input[str]
    kubernetes_version: str
    cpu: az.NodePool
    zones: Sequence[str]
    gpu_pools: Sequence[GpuPoolSpec]
    # The GPU operator installs drivers itself: AKS must not (addons.nvidia.installDriver).
    aks_installs_gpu_driver: bool
    tags: Mapping[str, str]
    # Writes on the same cluster that must finish before the first pool (AKS takes one at a
    # time): the maintenance schedules.
    after: Sequence[pulumi.Resource] = ()
    # Alerts on pools that cannot grow: failed agent-pool writes under the cluster's resource
    # group, failed scale-set writes under the node resource group (ARM ids).
    alerts: AlertTarget | None = None
    cluster_group_id: pulumi.Input[str] = ""
    node_group_id: pulumi.Input[str] = ""


class NodePools(pulumi.ComponentResource):
    cpu: containerservice.AgentPool
    gpu: dict[str, containerservice.AgentPool]

    def __init__(self, name: str, args: NodePoolsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:azure:NodePools", name, None, opts)

        # AKS accepts one agent-pool write per cluster at a time (a second gets 409
        # "Another agentpool operation ... is in progress"; Azure's own Terraform module
        # serialises them for that reason, Azure/terraform-azurerm-avm-res-containerservice-
        # managedcluster#160), so each pool waits for the one before it. Counts move with the
        # autoscaler; Pulumi must not reset them.
        def pool_opts(after: Sequence[pulumi.Resource]) -> pulumi.ResourceOptions:
            return child(
                self, custom_timeouts=LONG_TIMEOUTS, ignore_changes=["count"], depends_on=after
            )

        self.cpu = containerservice.AgentPool(
            f"{name}-{CPU_POOL}",
            agent_pool_name=CPU_POOL,
            resource_name_=args.cluster_name,
            resource_group_name=args.resource_group_name,
            mode="User",
            type="VirtualMachineScaleSets",
            os_type="Linux",
            os_sku="AzureLinux",
            orchestrator_version=args.kubernetes_version,
            vm_size=args.cpu.vm_size,
            os_disk_size_gb=args.cpu.os_disk_size_gb,
            enable_auto_scaling=True,
            count=args.cpu.min_count,
            min_count=args.cpu.min_count,
            max_count=args.cpu.max_count,
            availability_zones=list(args.zones) or None,
            vnet_subnet_id=args.node_subnet_id,
            node_labels={
                accelerators.LIFECYCLE_LABEL: accelerators.LIFECYCLE_NORMAL,
                accelerators.CPU_ONLY_LABEL: "true",
            },
            tags=dict(args.tags),
            opts=pool_opts(list(args.after)),
        )
        self.gpu = {}
        previous: containerservice.AgentPool = self.cpu
        for spec in args.gpu_pools:
            pool = spec.pool
            self.gpu[pool.name] = containerservice.AgentPool(
                f"{name}-gpu-{pool.name}",
                agent_pool_name=pool_name(pool.name),
                resource_name_=args.cluster_name,
                resource_group_name=args.resource_group_name,
                mode="User",
                type="VirtualMachineScaleSets",
                os_type="Linux",
                # Ubuntu: AKS's GPU driver images and the GPU operator support it.
                os_sku="Ubuntu",
                orchestrator_version=args.kubernetes_version,
                vm_size=spec.node_type,
                os_disk_size_gb=spec.shape.root_disk_gb,
                # Managed: an ephemeral OS disk would have to fit the VM's cache or temp disk.
                os_disk_type="Managed",
                kubelet_disk_type="Temporary" if spec.shape.local_disk else "OS",
                upgrade_settings=gpu_upgrade(),
                enable_auto_scaling=True,
                count=spec.initial_count,
                min_count=pool.min_size,
                max_count=pool.max_size,
                availability_zones=list(spec.zones) or None,
                vnet_subnet_id=args.node_subnet_id,
                node_labels=pool.node_labels,
                node_taints=taint_strings(pool),
                gpu_profile=containerservice.GPUProfileArgs(
                    driver="Install" if args.aks_installs_gpu_driver else "None"
                ),
                tags=dict(args.tags),
                opts=pool_opts([previous]),
                **capacity_args(spec.capacity),
            )
            previous = self.gpu[pool.name]
        if args.alerts is not None:
            activity_alerts(
                self,
                name,
                node_pool_rules(args.cluster_group_id, args.node_group_id),
                args.alerts,
            )
        self.register_outputs({"gpu_pools": sorted(self.gpu)})
