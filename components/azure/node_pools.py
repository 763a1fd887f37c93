"""AKS user pools: one CPU pool and one pool per GPU pool of the stack.

GPU pools carry the accelerator label the chart selects on (on every cloud
`k8s.amazonaws.com/accelerator`), `node-lifecycle: normal`, the MIG layout label where the
catalog cuts GPUs, and the `nvidia.com/gpu` taint. AKS's own cluster autoscaler scales
every pool, from zero for GPU pools, so no cluster-autoscaler add-on runs on Azure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import containerservice

from components import accelerators
from components.azure import settings as az
from components.azure.common import LONG_TIMEOUTS, child
from components.contract import GpuNodePool

CPU_POOL = "cpu"


def pool_name(name: str) -> str:
    """AKS Linux pool names: 1-12 lower-case letters and digits, starting with a letter."""
    return re.sub(r"[^a-z0-9]", "", name.lower())[:12]


def taint_strings(pool: GpuNodePool) -> list[str]:
    return [
        f"{t.key}={t.value}:{t.effect}" if t.value else f"{t.key}:{t.effect}" for t in pool.taints
    ]


@dataclass(frozen=True)
class GpuPoolSpec:
    pool: GpuNodePool
    vm_size: str
    initial_count: int
    os_disk_size_gb: int


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


class NodePools(pulumi.ComponentResource):
    cpu: containerservice.AgentPool
    gpu: dict[str, containerservice.AgentPool]

    def __init__(self, name: str, args: NodePoolsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:azure:NodePools", name, None, opts)
        # Counts move with the autoscaler; Pulumi must not reset them.
        pool_opts = child(self, custom_timeouts=LONG_TIMEOUTS, ignore_changes=["count"])
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
            opts=pool_opts,
        )
        self.gpu = {}
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
                vm_size=spec.vm_size,
                os_disk_size_gb=spec.os_disk_size_gb,
                enable_auto_scaling=True,
                count=spec.initial_count,
                min_count=pool.min_size,
                max_count=pool.max_size,
                vnet_subnet_id=args.node_subnet_id,
                node_labels=pool.node_labels,
                node_taints=taint_strings(pool),
                gpu_profile=containerservice.GPUProfileArgs(
                    driver="Install" if args.aks_installs_gpu_driver else "None"
                ),
                tags=dict(args.tags),
                opts=pool_opts,
            )
        self.register_outputs({"gpu_pools": sorted(self.gpu)})
