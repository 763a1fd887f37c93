"""GKE node pools: system (`node-lifecycle: normal`), CPU (`cpu-only: "true"`) and one per GPU
pool, each scaled by GKE's own cluster autoscaler (GPU pools from zero).

GPU pools carry the label the chart selects on (`k8s.amazonaws.com/accelerator`, on every
cloud), `node-lifecycle: normal`, the `nvidia.com/gpu` taint GKE itself puts on GPU nodes,
and GKE's driver installation; GKE also runs the device plugin, and cuts MIG slices itself
(`gpu_partition_size`), so the add-ons install neither.

A GPU pool whose machine type comes with Local SSD (A2 Ultra, A3) puts the kubelet and the
container runtime on it (ephemeral_storage_local_ssd_config); others get a pd-balanced boot
disk sized for the largest hardware tier, whose throughput grows with its size. GPU pools
upgrade in place, one node at a time without a surge node (max_surge 0, max_unavailable 1),
and run on on-demand VMs, Spot VMs, a specific reservation or DWS flex-start as the pool
says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp.container import (
    NodePool,
    NodePoolAutoscalingArgs,
    NodePoolManagementArgs,
    NodePoolNodeConfigArgs,
    NodePoolNodeConfigEphemeralStorageLocalSsdConfigArgs,
    NodePoolNodeConfigGuestAcceleratorArgs,
    NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs,
    NodePoolNodeConfigReservationAffinityArgs,
    NodePoolNodeConfigShieldedInstanceConfigArgs,
    NodePoolNodeConfigTaintArgs,
    NodePoolNodeConfigWorkloadMetadataConfigArgs,
    NodePoolUpgradeSettingsArgs,
)

from components import accelerators
from components.contract import GpuNodePool, GpuPoolSpec, Taint
from components.gcp import catalog
from components.gcp import settings as gcp_settings
from components.gcp.cluster import OAUTH_SCOPES, WORKLOAD_METADATA
from components.gcp.common import NODE_POOL_TIMEOUTS, PART_OF_LABEL, child, trim_name
from components.settings import PoolCapacity

# GKE's installer: the newest driver the node version supports.
GPU_DRIVER_VERSION = "LATEST"
_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}
_EFFECTS["NoExecute"] = "NO_EXECUTE"
# GKE node pool names: at most 40 characters.
POOL_NAME_LIMIT = 40


def pool_name(pool: str) -> str:
    """The GKE name of a pool (`system`, `cpu`, `gpu-<stack pool name>`)."""
    return trim_name(pool, POOL_NAME_LIMIT)


SYSTEM_LABELS = {accelerators.LIFECYCLE_LABEL: accelerators.LIFECYCLE_NORMAL}
CPU_LABELS = {
    accelerators.LIFECYCLE_LABEL: accelerators.LIFECYCLE_NORMAL,
    accelerators.CPU_ONLY_LABEL: "true",
}


# Replace one node at a time without a surge VM: no spare GPU quota needed.
GPU_UPGRADE = NodePoolUpgradeSettingsArgs(strategy="SURGE", max_surge=0, max_unavailable=1)
RESERVATION_KEY = "compute.googleapis.com/reservation-name"


def reservation_affinity(
    capacity: PoolCapacity,
) -> NodePoolNodeConfigReservationAffinityArgs | None:
    """Consume the named reservation; flex-start nodes come from none."""
    if capacity.type == "reservation":
        return NodePoolNodeConfigReservationAffinityArgs(
            consume_reservation_type="SPECIFIC_RESERVATION",
            key=RESERVATION_KEY,
            values=[capacity.reservation or ""],
        )
    if capacity.type == "flex-start":
        return NodePoolNodeConfigReservationAffinityArgs(consume_reservation_type="NO_RESERVATION")
    return None


def gpu_labels(pool: GpuNodePool) -> dict[str, str]:
    """The pool's node labels without the GPU operator's MIG label: GKE partitions itself."""
    return {k: v for k, v in pool.node_labels.items() if k != accelerators.MIG_CONFIG_LABEL}


def initial_nodes_per_zone(start: int, zones: int) -> int:
    """GKE's initial_node_count counts nodes in each of the pool's zones, and a pool created
    below its minimum is not promised to reach it before anything waits. So the pool starts with
    enough nodes per zone that all of them together hold `start` (minSize or desiredSize):
    the nodes its balloons need exist when the chart's Release waits for them
    (components/fit.py, balloon_start_problems)."""
    return -(-start // max(zones, 1))


@dataclass
class NodePoolsArgs:
    cluster: pulumi.Input[str]
    # The control plane's version: the pools follow it, and only once it has moved. A minor
    # bump otherwise leaves the nodes behind, since the cluster's NO_MINOR_UPGRADES exclusion
    # holds node auto-upgrades to the old minor too (auto-upgrade still brings the patches).
    version: pulumi.Input[str]
    project: str
    location: str
    settings: gcp_settings.NodePools
    service_account: pulumi.Input[str]
    gpu_pools: Sequence[GpuPoolSpec]
    gpu_zones: Sequence[str]
    labels: dict[str, str]


@dataclass(frozen=True)
class GpuNodeConfig:
    local_ssds: int
    capacity: PoolCapacity


class NodePools(pulumi.ComponentResource):
    system: NodePool
    cpu: NodePool
    gpu: dict[str, NodePool]

    def __init__(self, name: str, args: NodePoolsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:gcp:NodePools", name, None, opts)
        cfg = args.settings
        self.system = self._pool(
            name,
            "system",
            args,
            cfg.system.machine_type,
            cfg.system.disk_size_gb,
            cfg.system.min_nodes,
            cfg.system.max_nodes,
            SYSTEM_LABELS,
            initial=1 if cfg.system.min_nodes else 0,
        )
        self.cpu = self._pool(
            name,
            "cpu",
            args,
            cfg.cpu.machine_type,
            cfg.cpu.disk_size_gb,
            cfg.cpu.min_nodes,
            cfg.cpu.max_nodes,
            CPU_LABELS,
            initial=1 if cfg.cpu.min_nodes else 0,
        )
        self.gpu = {}
        for group in args.gpu_pools:
            pool = group.pool
            spec = pool.spec
            accelerator = NodePoolNodeConfigGuestAcceleratorArgs(
                type=catalog.accelerator_type(spec.key, group.node_type),
                count=spec.instance_types("gcp")[group.node_type],
                gpu_driver_installation_config=(
                    NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                        gpu_driver_version=GPU_DRIVER_VERSION
                    )
                ),
                gpu_partition_size=spec.mig_profile,
            )
            node = catalog.NODES.get(group.node_type)
            local_ssds = node.disks if node and group.shape.local_disk else 0
            zones = group.zones or args.gpu_zones
            self.gpu[pool.name] = self._pool(
                name,
                f"gpu-{pool.name}",
                args,
                group.node_type,
                group.shape.root_disk_gb,
                pool.min_size,
                pool.max_size,
                gpu_labels(pool),
                initial=initial_nodes_per_zone(group.initial_count, len(zones) or 1),
                taints=pool.taints,
                accelerator=accelerator,
                zones=zones,
                # GPUs are scarce: take whichever zone has capacity.
                location_policy="ANY",
                gpu=GpuNodeConfig(local_ssds, group.capacity),
            )
        self.register_outputs({"gpu_pools": sorted(self.gpu)})

    def _pool(
        self,
        name: str,
        pool: str,
        args: NodePoolsArgs,
        machine_type: str,
        disk_size_gb: int,
        min_nodes: int,
        max_nodes: int,
        labels: dict[str, str],
        *,
        initial: int,
        taints: Sequence[Taint] = (),
        accelerator: NodePoolNodeConfigGuestAcceleratorArgs | None = None,
        zones: Sequence[str] = (),
        location_policy: str = "BALANCED",
        gpu: GpuNodeConfig | None = None,
    ) -> NodePool:
        capacity = gpu.capacity if gpu is not None else PoolCapacity()
        local_ssd = (
            NodePoolNodeConfigEphemeralStorageLocalSsdConfigArgs(local_ssd_count=gpu.local_ssds)
            if gpu is not None and gpu.local_ssds
            else None
        )
        # Flex-start nodes live at most seven days and are not repaired in place.
        repair = capacity.type != "flex-start"
        return NodePool(
            f"{name}-{pool}",
            name=pool_name(pool),
            cluster=args.cluster,
            version=args.version,
            project=args.project,
            location=args.location,
            node_locations=list(zones) or None,
            # Per zone, at creation only; the autoscaler owns the count afterwards.
            initial_node_count=initial,
            autoscaling=NodePoolAutoscalingArgs(
                total_min_node_count=min_nodes,
                total_max_node_count=max_nodes,
                location_policy=location_policy,
            ),
            management=NodePoolManagementArgs(auto_repair=repair, auto_upgrade=True),
            upgrade_settings=GPU_UPGRADE if gpu is not None else None,
            node_config=NodePoolNodeConfigArgs(
                machine_type=machine_type,
                disk_size_gb=disk_size_gb,
                disk_type="pd-balanced",
                image_type="COS_CONTAINERD",
                service_account=args.service_account,
                oauth_scopes=OAUTH_SCOPES,
                labels=labels,
                resource_labels={**PART_OF_LABEL, **args.labels},
                taints=[
                    NodePoolNodeConfigTaintArgs(
                        key=t.key, value=t.value or "", effect=_EFFECTS[t.effect]
                    )
                    for t in taints
                ],
                guest_accelerators=[accelerator] if accelerator else None,
                workload_metadata_config=NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode=WORKLOAD_METADATA
                ),
                shielded_instance_config=NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                spot=True if capacity.type == "spot" else None,
                flex_start=True if capacity.type == "flex-start" else None,
                reservation_affinity=reservation_affinity(capacity),
                ephemeral_storage_local_ssd_config=local_ssd,
            ),
            opts=child(
                self,
                custom_timeouts=NODE_POOL_TIMEOUTS,
                ignore_changes=["initialNodeCount"],
            ),
        )
