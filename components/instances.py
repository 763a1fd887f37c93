"""The node catalog: what each GPU instance type, VM size or machine type is made of.

The accelerator catalog (components/accelerators.py) says which node types carry a GPU; this
one says what else such a node has: vCPUs, memory, local disk and network bandwidth (its GPU
count stays in the accelerator catalog, the one place that knows it). The fit
model (components/fit.py) and the cold-start estimate (plan/coldstart.py) read these rows and
nothing else, so each fact lives here once, with the page it comes from.

- `memory_gib`: the memory the type is sold with (GiB; Compute Engine's "GB" are GiB).
- `local_disk_gb`: the node-local disk the kubelet can put its data on when the platform
  turns that on (AWS instance store NVMe, AKS's temporary resource disk, GCE bundled Local
  SSD); 0 where the type has none the platform uses. Decimal GB as the pages state them.
- `network_gbps`: the documented bandwidth; for "up to" figures, the baseline where the page
  gives one, so the cold-start estimate is not built on a burst.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class NodeType:
    vcpus: int
    memory_gib: float
    local_disk_gb: int
    network_gbps: float
    # How many devices make up local_disk_gb (RAID0 on AWS, one volume per GCE Local SSD).
    disks: int = 1
    # AWS only: the VPC CNI's pod limit (ENIs x (IPv4 addresses per ENI - 1) + 2), which
    # nodeadm's kube-reserved memory grows with.
    max_pods: int | None = None


# AWS: "Amazon EC2 instance type specifications, accelerated computing"
# (docs.aws.amazon.com/ec2/latest/instancetypes/ac.html): vCPUs, memory, instance store,
# network; max pods from the amazon-eks-ami ENI table (templates/shared/runtime/eni-max-pods.txt,
# the same ENI formula nodeadm evaluates). g4dn/g5 "up to" bandwidths are taken at their
# baseline (the page's "baseline bandwidth" column).
AWS_SOURCE = "docs.aws.amazon.com/ec2/latest/instancetypes/ac.html"
AWS: Mapping[str, NodeType] = MappingProxyType(
    {
        "g4dn.xlarge": NodeType(4, 16, 125, 5, max_pods=29),
        "g4dn.2xlarge": NodeType(8, 32, 225, 10, max_pods=29),
        "g4dn.12xlarge": NodeType(48, 192, 900, 50, max_pods=234),
        "g4dn.metal": NodeType(96, 384, 1800, 100, disks=2, max_pods=737),
        "g5.xlarge": NodeType(4, 16, 250, 2.5, max_pods=58),
        "g5.2xlarge": NodeType(8, 32, 450, 5, max_pods=58),
        "g5.4xlarge": NodeType(16, 64, 600, 10, max_pods=234),
        "g5.8xlarge": NodeType(32, 128, 900, 25, max_pods=234),
        "g5.12xlarge": NodeType(48, 192, 3800, 40, max_pods=737),
        "g5.16xlarge": NodeType(64, 256, 1900, 25, max_pods=234),
        "g5.24xlarge": NodeType(96, 384, 3800, 50, max_pods=737),
        "g5.48xlarge": NodeType(192, 768, 7600, 100, disks=2, max_pods=345),
        "p4d.24xlarge": NodeType(96, 1152, 8000, 400, disks=8, max_pods=737),
        "p4de.24xlarge": NodeType(96, 1152, 8000, 400, disks=8, max_pods=737),
        "p5.48xlarge": NodeType(192, 2048, 30400, 3200, disks=8, max_pods=100),
    }
)

# Azure: the VM size pages under learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated
# (NCasT4_v3, NVadsA10_v5, ND_A100_v4, NC_A100_v4, NDm_A100_v4, ND_H100_v5, NCads_H100_v5).
# local_disk_gb is the temporary (resource) disk, which AKS's kubeletDiskType Temporary puts
# the kubelet on. The NVMe disks of NC A100 v4, NDm A100 v4 and the H100 sizes are raw devices
# AKS neither mounts nor gives the kubelet, so those rows carry only the small temp disk they
# have (or 0 where the page lists none) and their pools use a sized OS disk instead.
AZURE_SOURCE = "learn.microsoft.com/azure/virtual-machines/sizes/overview (GPU accelerated)"
AZURE: Mapping[str, NodeType] = MappingProxyType(
    {
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
)

# GCP: "GPU machine types" and "Accelerator-optimized machine family"
# (cloud.google.com/compute/docs/gpus, .../accelerator-optimized-machines): A2 Ultra and A3
# come with bundled Local SSD (375 GB disks); N1 with T4 and A2 High have none bundled.
# N1 bandwidth: 2 Gbps per vCPU up to 32 Gbps (.../network-bandwidth).
GCP_SOURCE = "cloud.google.com/compute/docs/accelerator-optimized-machines"
GCP: Mapping[str, NodeType] = MappingProxyType(
    {
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
)
CATALOG: Mapping[str, Mapping[str, NodeType]] = MappingProxyType(
    {"aws": AWS, "azure": AZURE, "gcp": GCP}
)
SOURCES: Mapping[str, str] = MappingProxyType(
    {"aws": AWS_SOURCE, "azure": AZURE_SOURCE, "gcp": GCP_SOURCE}
)


def node_type(cloud: str, name: str) -> NodeType | None:
    return CATALOG.get(cloud, {}).get(name)


# --- what a pod's downloads get of the bandwidth ----------------------------------------
# `network_gbps` is the instance's aggregate. On types with several network cards or NICs
# most of it belongs to the GPU fabric, which a pod's TCP traffic (the weights download from
# S3, Blob or GCS) never uses: it leaves through the node's primary card or host NIC alone.
# - p4d/p4de: 4 network cards, p5: 32, each 100 Gbps (the aggregate ÷ the cards; "Maximize
#   network bandwidth on Amazon EC2 instances with multiple network cards", docs.aws.amazon.com/
#   AWSEC2/latest/UserGuide/efa-acc-inst-types.html). An EKS node's pods use card 0's ENIs only
#   (the VPC CNI attaches its ENIs there); the other cards carry EFA.
# - A3 High (1000 Gbps) and A3 Mega (1800 Gbps): one 200 Gbps host gVNIC and 4 or 8 200 Gbps
#   NICs for GPUDirect (cloud.google.com/compute/docs/gpus/gpu-network-bandwidth); GKE pods
#   use the host NIC.
# - Azure's H100 and A100 ND sizes list their Ethernet bandwidth apart from InfiniBand, so
#   `network_gbps` is already what a pod gets.
# Within the region a multi-flow download may use all of that (single flows are capped at
# 5 Gbps outside a placement group; "Amazon EC2 instance network bandwidth"); the server's
# downloaders open many flows (s5cmd --numworkers 512, azcopy, gcloud storage's sliced
# downloads), so no per-connection limit binds.
PRIMARY_NIC_GBPS: Mapping[tuple[str, str], float] = MappingProxyType(
    {
        ("aws", "p4d.24xlarge"): 100,
        ("aws", "p4de.24xlarge"): 100,
        ("aws", "p5.48xlarge"): 100,
        ("gcp", "a3-highgpu-8g"): 200,
        ("gcp", "a3-megagpu-8g"): 200,
    }
)


def pod_network_gbps(cloud: str, name: str) -> float:
    """The bandwidth a pod's downloads on a node of this type can use."""
    node = node_type(cloud, name)
    if node is None:
        raise KeyError(f"{cloud} {name}")
    return PRIMARY_NIC_GBPS.get((cloud, name), node.network_gbps)


# --- disk write throughput: how fast a node can land images and weights -----------------
# One table for the node pools (which provision it) and the cold-start estimate (which reads
# it). MB/s, decimal.
MIB = 1.048576  # MB per MiB
# gp3: 125 MiB/s and 3000 IOPS included; provisionable to 1000 MiB/s at up to 0.25 MiB/s per
# IOPS (docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html). GPU nodes whose
# kubelet lives on the root volume get the full 1000 MiB/s (4000 IOPS): at the baseline a
# 140 GB model takes about 19 minutes to write.
GP3_BASELINE_MIBPS = 125
GP3_GPU_THROUGHPUT_MIBPS = 1000
GP3_GPU_IOPS = 4000
# AWS publishes IOPS, not throughput, for instance-store NVMe; 1 GB/s per device is a
# conservative sequential-write figure for these SSDs (an assumption, not a quote).
AWS_NVME_DEVICE_MBPS = 1000
# Premium SSD throughput by provisioned size (learn.microsoft.com/azure/virtual-machines/
# disks-types, "Premium SSD size"): P10 128 GiB 100 MB/s ... P40 2 TiB 250 MB/s.
AZURE_PREMIUM_SSD_MBPS = ((128, 100), (256, 125), (512, 150), (1024, 200), (2048, 250))
# The temporary (resource) disk: Microsoft lists no throughput for these sizes; assumed at
# the P40 figure.
AZURE_TEMP_DISK_MBPS = 250
# pd-balanced: 0.28 MB/s per GB, up to 1200 MB/s per VM
# (cloud.google.com/compute/docs/disks/performance).
PD_BALANCED_MBPS_PER_GB = 0.28
PD_BALANCED_MAX_MBPS = 1200
# Local SSD (NVMe): 16 disks write 3,120 MB/s (same page, "Local SSD performance").
GCP_LOCAL_SSD_MBPS = 3120 / 16


def root_disk_mbps(cloud: str, size_gb: int, provisioned: bool) -> float:
    """Write throughput of a GPU node's root disk as the node pools create it."""
    if cloud == "aws":
        return (GP3_GPU_THROUGHPUT_MIBPS if provisioned else GP3_BASELINE_MIBPS) * MIB
    if cloud == "azure":
        size_gib = size_gb * 1e9 / 2**30
        return next(
            (mbps for cap, mbps in AZURE_PREMIUM_SSD_MBPS if size_gib <= cap),
            AZURE_PREMIUM_SSD_MBPS[-1][1],
        )
    if cloud == "gcp":
        return min(PD_BALANCED_MBPS_PER_GB * size_gb, PD_BALANCED_MAX_MBPS)
    raise KeyError(cloud)


def local_disk_mbps(cloud: str, node: NodeType) -> float:
    if cloud == "aws":
        return AWS_NVME_DEVICE_MBPS * node.disks
    if cloud == "azure":
        return AZURE_TEMP_DISK_MBPS
    if cloud == "gcp":
        return GCP_LOCAL_SSD_MBPS * node.disks
    raise KeyError(cloud)
