"""Azure's rows in the node catalog (components/instances.py describes them): the VM sizes
(AKS node pools) that carry each accelerator, what each is made of, and how fast its disks
write.

SDK-free: the package's PLATFORM declares CATALOG."""

from __future__ import annotations

from collections.abc import Mapping

from components.instances import GIB, Catalog, NodeType, Reservation

# Accelerator key -> VM sizes with their physical GPUs; the first is the default.
ACCELERATORS: Mapping[str, Mapping[str, int]] = {
    # The default is the smallest that holds a balloon pod (28Gi, 4 CPU): NC4as has too
    # little memory.
    "t4": {
        "Standard_NC8as_T4_v3": 1,
        "Standard_NC4as_T4_v3": 1,
        "Standard_NC16as_T4_v3": 1,
        "Standard_NC64as_T4_v3": 4,
    },
    # Whole-GPU sizes only: the smaller NVadsA10 v5 sizes are GPU partitions.
    "a10": {"Standard_NV36ads_A10_v5": 1, "Standard_NV72ads_A10_v5": 2},
    # ND A100 v4: eight A100 40GB.
    "a100": {"Standard_ND96asr_v4": 8},
    # NC A100 v4 (A100 80GB PCIe) and NDm A100 v4 (A100 80GB SXM).
    "a100e": {
        "Standard_NC24ads_A100_v4": 1,
        "Standard_NC48ads_A100_v4": 2,
        "Standard_NC96ads_A100_v4": 4,
        "Standard_ND96amsr_A100_v4": 8,
    },
    # ND H100 v5 (H100 80GB SXM); NC H100 v5 carries H100 NVL (94GB, PCIe). One label for
    # both on purpose: the server's GpuType enum (domain/entities/gpu_type.py) has
    # nvidia-hopper-h100 and no NVL member, so a separate label could never be requested; the
    # accelerator's memory stays 80 (the smaller), so a tier that fits here fits both. A
    # stack that must not mix them puts them in different pools.
    "h100": {
        "Standard_ND96isr_H100_v5": 8,
        "Standard_NC40ads_H100_v5": 1,
        "Standard_NC80adis_H100_v5": 2,
    },
    # 1g.20gb exists on the 80GB H100 only (not on H100 NVL).
    "h100-1g20gb": {"Standard_ND96isr_H100_v5": 8},
    "h100-3g40gb": {"Standard_ND96isr_H100_v5": 8},
}

# The VM size pages under learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated
# (NCasT4_v3, NVadsA10_v5, ND_A100_v4, NC_A100_v4, NDm_A100_v4, ND_H100_v5, NCads_H100_v5).
# local_disk_gb is the temporary (resource) disk, which AKS's kubeletDiskType Temporary puts
# the kubelet on. The NVMe disks of NC A100 v4, NDm A100 v4 and the H100 sizes are raw devices
# AKS neither mounts nor gives the kubelet, so those rows carry only the small temp disk they
# have (or 0 where the page lists none) and their pools use a sized OS disk instead. The H100
# and A100 ND sizes list their Ethernet bandwidth apart from InfiniBand, so `network_gbps` is
# already what a pod gets (no primary-NIC rows).
SOURCE = "learn.microsoft.com/azure/virtual-machines/sizes/overview (GPU accelerated)"
NODES: Mapping[str, NodeType] = {
    "Standard_NC4as_T4_v3": NodeType(4, 28, 180, 8),
    "Standard_NC8as_T4_v3": NodeType(8, 56, 360, 8),
    "Standard_NC16as_T4_v3": NodeType(16, 110, 360, 8),
    "Standard_NC64as_T4_v3": NodeType(64, 440, 2880, 32),
    "Standard_NV36ads_A10_v5": NodeType(36, 440, 0, 40),
    "Standard_NV72ads_A10_v5": NodeType(72, 880, 0, 80),
    "Standard_ND96asr_v4": NodeType(96, 900, 0, 24),
    "Standard_NC24ads_A100_v4": NodeType(24, 220, 64, 20),
    "Standard_NC48ads_A100_v4": NodeType(48, 440, 128, 40),
    "Standard_NC96ads_A100_v4": NodeType(96, 880, 256, 80),
    "Standard_ND96amsr_A100_v4": NodeType(96, 1900, 0, 24),
    "Standard_ND96isr_H100_v5": NodeType(96, 1900, 0, 80),
    "Standard_NC40ads_H100_v5": NodeType(40, 320, 0, 40),
    "Standard_NC80adis_H100_v5": NodeType(80, 640, 0, 80),
}

# Premium SSD throughput by provisioned size (learn.microsoft.com/azure/virtual-machines/
# disks-types, "Premium SSD size"): P10 128 GiB 100 MB/s ... P40 2 TiB 250 MB/s.
PREMIUM_SSD_MBPS = ((128, 100), (256, 125), (512, 150), (1024, 200), (2048, 250))
# AKS OS disks go up to 2048 GiB.
MAX_ROOT_GB = 2048
# The temporary (resource) disk: Microsoft lists no throughput for these sizes; assumed at
# the P40 figure.
TEMP_DISK_MBPS = 250


def root_disk_mbps(size_gb: int, provisioned: bool) -> float:
    """The Premium SSD OS disk: the tier its size falls in (nothing to provision beyond)."""
    size_gib = size_gb * 1e9 / 2**30
    return next(
        (mbps for cap, mbps in PREMIUM_SSD_MBPS if size_gib <= cap), PREMIUM_SSD_MBPS[-1][1]
    )


def local_disk_mbps(node: NodeType) -> float:
    """The temporary disk, one per VM."""
    return TEMP_DISK_MBPS


# AKS with Azure CNI overlay: 250 pods per node (learn.microsoft.com/azure/aks/azure-cni-overlay).
AKS_MAX_PODS = 250


def aks_cpu_reserved_m(vcpus: int) -> float:
    """AKS's kube-reserved CPU table (learn.microsoft.com/azure/aks/node-resource-reservations):
    60m for 1 core, 100m for 2, 140m for 4, then 10m per core (180m at 8 ... 740m at 64)."""
    if vcpus <= 1:
        return 60
    if vcpus <= 2:
        return 60 + 40 * (vcpus - 1)
    if vcpus <= 4:
        return 100 + 20 * (vcpus - 2)
    return 140 + 10 * (vcpus - 4)


def reserved(node: NodeType, disk_gib: float, on_local_disk: bool) -> Reservation:
    """AKS's kube-reserved as of Kubernetes 1.29 (same page): the CPU table above, memory the
    lesser of 20 MB per pod + 50 MB and 25% of memory; no storage beyond eviction."""
    memory = min((20 * AKS_MAX_PODS + 50) * 1e6 / 2**20, 0.25 * node.memory_gib * GIB)
    return Reservation(cpu_m=aks_cpu_reserved_m(node.vcpus), memory_mi=memory, storage_mi=0.0)


# The DaemonSets on every GPU node: AKS publishes no table of them (Azure CNI overlay's
# azure-cns, kube-proxy, ip-masq-agent, cloud-node-manager, the Azure Disk and File CSI
# nodes); this is a budget rounded up from their manifests' requests, not a measurement.
DAEMONSETS = (("aks-node-daemonsets (budget)", 400, 512),)

CATALOG = Catalog(
    source=SOURCE,
    accelerators=ACCELERATORS,
    nodes=NODES,
    root_disk="Premium SSD OS disk",
    local_disk="temporary disk",
    max_root_disk_gb=MAX_ROOT_GB,
    root_disk_mbps=root_disk_mbps,
    local_disk_mbps=local_disk_mbps,
    reserved=reserved,
    daemonsets=DAEMONSETS,
    held_capacity={"reservation": "a capacity reservation group"},
    node_noun="VM size",
    absent=(
        "has no Azure VM size in the azure node catalog ({catalog}); add one there or pick "
        "another accelerator"
    ),
    foreign="is not an Azure VM size with {accelerator} GPUs",
)
