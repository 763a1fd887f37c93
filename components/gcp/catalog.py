"""GCP's rows in the node catalog (components/instances.py describes them): the machine
types that carry each accelerator with the GKE accelerator type they attach, what each is
made of, and how fast its disks write.

SDK-free: the package's PLATFORM declares CATALOG, and the node pools read the accelerator
types."""

from __future__ import annotations

import math
from collections.abc import Mapping

from components.instances import CPU_RESERVED_TIERS, GIB, Catalog, NodeType, Reservation, tiered

# GKE accelerator types per machine type (Compute Engine "GPU machine types", 2026-11). GCP
# offers no A10 (its smaller inference GPU is the L4, for which the chart has no label).
_A100_40 = "nvidia-tesla-a100"
_A100_80 = "nvidia-a100-80gb"
_H100 = {
    "a3-highgpu-8g": ("nvidia-h100-80gb", 8),
    "a3-megagpu-8g": ("nvidia-h100-mega-80gb", 8),
}
# GKE partitions GPUs into MIG slices itself (gpu_partition_size); A3 High is the H100 type
# its MIG documentation lists.
_H100_MIG = {"a3-highgpu-8g": _H100["a3-highgpu-8g"]}

# Accelerator key -> GCE machine types -> (GKE accelerator type, GPUs attached); the first is
# the default. Accelerator-optimized families (a2, a3) come with their GPUs; N1 types get T4s
# attached in this count.
MACHINE_TYPES: Mapping[str, Mapping[str, tuple[str, int]]] = {
    # The default is the smallest that holds a balloon pod (28Gi, 4 CPU): n1-standard-8 has
    # too little memory.
    "t4": {
        "n1-standard-16": ("nvidia-tesla-t4", 2),
        "n1-standard-8": ("nvidia-tesla-t4", 1),
        "n1-standard-4": ("nvidia-tesla-t4", 1),
        "n1-standard-32": ("nvidia-tesla-t4", 4),
    },
    "a100": {
        "a2-highgpu-1g": (_A100_40, 1),
        "a2-highgpu-2g": (_A100_40, 2),
        "a2-highgpu-4g": (_A100_40, 4),
        "a2-highgpu-8g": (_A100_40, 8),
        "a2-megagpu-16g": (_A100_40, 16),
    },
    "a100e": {
        "a2-ultragpu-1g": (_A100_80, 1),
        "a2-ultragpu-2g": (_A100_80, 2),
        "a2-ultragpu-4g": (_A100_80, 4),
        "a2-ultragpu-8g": (_A100_80, 8),
    },
    "h100": _H100,
    "h100-1g20gb": _H100_MIG,
    "h100-3g40gb": _H100_MIG,
}


def accelerator_type(accelerator: str, machine_type: str) -> str:
    """The GKE accelerator type (`nvidia-h100-80gb`) a machine type attaches for the
    accelerator key (KeyError when it attaches none of it)."""
    return MACHINE_TYPES[accelerator][machine_type][0]


# "GPU machine types" and "Accelerator-optimized machine family"
# (cloud.google.com/compute/docs/gpus, .../accelerator-optimized-machines): A2 Ultra and A3
# come with bundled Local SSD (375 GB disks); N1 with T4 and A2 High have none bundled.
# N1 bandwidth: 2 Gbps per vCPU up to 32 Gbps (.../network-bandwidth).
SOURCE = "cloud.google.com/compute/docs/accelerator-optimized-machines"
NODES: Mapping[str, NodeType] = {
    "n1-standard-4": NodeType(4, 15, 0, 8),
    "n1-standard-8": NodeType(8, 30, 0, 16),
    "n1-standard-16": NodeType(16, 60, 0, 32),
    "n1-standard-32": NodeType(32, 120, 0, 32),
    "a2-highgpu-1g": NodeType(12, 85, 0, 24),
    "a2-highgpu-2g": NodeType(24, 170, 0, 32),
    "a2-highgpu-4g": NodeType(48, 340, 0, 50),
    "a2-highgpu-8g": NodeType(96, 680, 0, 100),
    "a2-megagpu-16g": NodeType(96, 1360, 0, 100),
    "a2-ultragpu-1g": NodeType(12, 170, 375, 24),
    "a2-ultragpu-2g": NodeType(24, 340, 750, 32, disks=2),
    "a2-ultragpu-4g": NodeType(48, 680, 1500, 50, disks=4),
    "a2-ultragpu-8g": NodeType(96, 1360, 3000, 100, disks=8),
    "a3-highgpu-8g": NodeType(208, 1872, 6000, 1000, disks=16),
    "a3-megagpu-8g": NodeType(208, 1872, 6000, 1800, disks=16),
}

# A3 High (1000 Gbps) and A3 Mega (1800 Gbps): one 200 Gbps host gVNIC and 4 or 8 200 Gbps
# NICs for GPUDirect (cloud.google.com/compute/docs/gpus/gpu-network-bandwidth); GKE pods use
# the host NIC.
PRIMARY_NIC_GBPS: Mapping[str, float] = {"a3-highgpu-8g": 200, "a3-megagpu-8g": 200}

# pd-balanced: 0.28 MB/s per GB, up to 1200 MB/s per VM
# (cloud.google.com/compute/docs/disks/performance).
PD_BALANCED_MBPS_PER_GB = 0.28
PD_BALANCED_MAX_MBPS = 1200
# GKE boot disks go up to 65536 GB.
MAX_ROOT_GB = 65536
# Local SSD (NVMe): 16 disks write 3,120 MB/s (same page, "Local SSD performance").
LOCAL_SSD_MBPS = 3120 / 16


def root_disk_mbps(size_gb: int, provisioned: bool) -> float:
    """The pd-balanced boot disk: throughput grows with its size (nothing to provision)."""
    return min(PD_BALANCED_MBPS_PER_GB * size_gb, PD_BALANCED_MAX_MBPS)


def local_disk_mbps(node: NodeType) -> float:
    """Bundled Local SSD: one volume per disk, the disks add up."""
    return LOCAL_SSD_MBPS * node.disks


# GKE memory reservation: 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of
# the next 112, 2% above 128 GiB (cloud.google.com/kubernetes-engine/docs/concepts/
# plan-node-sizes); its CPU reservation is the table instances.CPU_RESERVED_TIERS.
MEMORY_RESERVED_TIERS = ((4, 0.25), (8, 0.20), (16, 0.10), (128, 0.06), (math.inf, 0.02))


def storage_reserved_gib(disk_gib: float, local_ssds: int) -> float:
    """GKE's ephemeral-storage reservation besides eviction (plan-node-sizes, "Local
    ephemeral storage reservation"): on a boot disk the least of 50%, 6 GiB + 35% and
    100 GiB; on Local SSD 50, 75 or 100 GiB for 1, 2 or more disks."""
    if local_ssds:
        return {1: 50.0, 2: 75.0}.get(local_ssds, 100.0)
    return min(0.5 * disk_gib, 6 + 0.35 * disk_gib, 100.0)


def reserved(node: NodeType, disk_gib: float, on_local_disk: bool) -> Reservation:
    """GKE's kube-reserved (same page); on Local SSD the reservation counts its disks."""
    memory_gib = node.memory_gib
    memory = 255.0 if memory_gib < 1 else tiered(memory_gib, MEMORY_RESERVED_TIERS) * GIB
    local_ssds = node.disks if on_local_disk else 0
    return Reservation(
        cpu_m=tiered(node.vcpus, CPU_RESERVED_TIERS) * 1000,
        memory_mi=memory,
        storage_mi=storage_reserved_gib(disk_gib, local_ssds) * GIB,
    )


# The DaemonSets on every GPU node: GKE publishes no table of them (kube-proxy,
# fluentbit-gke, gke-metrics-agent, pdcsi-node, the GPU device plugin GKE runs itself);
# this is a budget rounded up from their manifests' requests, not a measurement.
DAEMONSETS = (("gke-node-daemonsets (budget)", 400, 512),)

CATALOG = Catalog(
    source=SOURCE,
    accelerators={
        key: {machine: gpus for machine, (_, gpus) in types.items()}
        for key, types in MACHINE_TYPES.items()
    },
    nodes=NODES,
    primary_nic_gbps=PRIMARY_NIC_GBPS,
    root_disk="pd-balanced boot",
    local_disk="local SSD",
    max_root_disk_gb=MAX_ROOT_GB,
    root_disk_mbps=root_disk_mbps,
    local_disk_mbps=local_disk_mbps,
    reserved=reserved,
    daemonsets=DAEMONSETS,
    held_capacity={
        "reservation": "a specific Compute Engine reservation",
        "flex-start": "GKE's Dynamic Workload Scheduler",
    },
    node_noun="machine type",
    absent=(
        "is not offered on GCP (GKE has no machine type with it); use one of {offered}, or "
        "run this pool on another cloud"
    ),
    foreign="is not a GCP machine type with {accelerator}",
)
