"""AWS's rows in the node catalog (components/instances.py describes them): the EC2 instance
types that carry each accelerator, what each is made of, and how fast its disks write.

SDK-free: the package's PLATFORM declares CATALOG, and the node pools read the gp3 figures."""

from __future__ import annotations

from collections.abc import Mapping

from components.instances import (
    CPU_RESERVED_TIERS,
    GIB,
    MIB,
    Catalog,
    NodeType,
    Reservation,
    tiered,
)

# Accelerator key -> instance types with the number of physical GPUs each carries; the first
# is the default.
ACCELERATORS: Mapping[str, Mapping[str, int]] = {
    # The default is the smallest that holds a balloon pod (28Gi, 4 CPU): g4dn.xlarge has
    # too little memory.
    "t4": {"g4dn.2xlarge": 1, "g4dn.xlarge": 1, "g4dn.12xlarge": 4, "g4dn.metal": 8},
    "a10": {
        "g5.12xlarge": 4,
        "g5.xlarge": 1,
        "g5.2xlarge": 1,
        "g5.4xlarge": 1,
        "g5.8xlarge": 1,
        "g5.16xlarge": 1,
        "g5.24xlarge": 4,
        "g5.48xlarge": 8,
    },
    "a100": {"p4d.24xlarge": 8},
    "a100e": {"p4de.24xlarge": 8},
    "h100": {"p5.48xlarge": 8},
    "h100-1g20gb": {"p5.48xlarge": 8},
    "h100-3g40gb": {"p5.48xlarge": 8},
}

# "Amazon EC2 instance type specifications, accelerated computing"
# (docs.aws.amazon.com/ec2/latest/instancetypes/ac.html): vCPUs, memory, instance store,
# network; max pods from the amazon-eks-ami ENI table (templates/shared/runtime/eni-max-pods.txt,
# the same ENI formula nodeadm evaluates). g4dn/g5 "up to" bandwidths are taken at their
# baseline (the page's "baseline bandwidth" column).
SOURCE = "docs.aws.amazon.com/ec2/latest/instancetypes/ac.html"
NODES: Mapping[str, NodeType] = {
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

# p4d/p4de: 4 network cards, p5: 32, each 100 Gbps (the aggregate ÷ the cards; "Maximize
# network bandwidth on Amazon EC2 instances with multiple network cards", docs.aws.amazon.com/
# AWSEC2/latest/UserGuide/efa-acc-inst-types.html). An EKS node's pods use card 0's ENIs only
# (the VPC CNI attaches its ENIs there); the other cards carry EFA.
PRIMARY_NIC_GBPS: Mapping[str, float] = {
    "p4d.24xlarge": 100,
    "p4de.24xlarge": 100,
    "p5.48xlarge": 100,
}

# gp3: 125 MiB/s and 3000 IOPS included; provisionable to 1000 MiB/s at up to 0.25 MiB/s per
# IOPS (docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html). GPU nodes whose
# kubelet lives on the root volume get the full 1000 MiB/s (4000 IOPS): at the baseline a
# 140 GB model takes about 19 minutes to write.
GP3_BASELINE_MIBPS = 125
# gp3 volumes go up to 16 TiB.
MAX_ROOT_GB = 16384
GP3_GPU_THROUGHPUT_MIBPS = 1000
GP3_GPU_IOPS = 4000
# AWS publishes IOPS, not throughput, for instance-store NVMe; 1 GB/s per device is a
# conservative sequential-write figure for these SSDs (an assumption, not a quote).
NVME_DEVICE_MBPS = 1000


def root_disk_mbps(size_gb: int, provisioned: bool) -> float:
    """The gp3 root volume: its throughput does not grow with its size."""
    return (GP3_GPU_THROUGHPUT_MIBPS if provisioned else GP3_BASELINE_MIBPS) * MIB


def local_disk_mbps(node: NodeType) -> float:
    """Instance-store NVMe in RAID0: the devices add up."""
    return NVME_DEVICE_MBPS * node.disks


def reserved(node: NodeType, disk_gib: float, on_local_disk: bool) -> Reservation:
    """nodeadm's kubeReserved: cpu by the shared table, memory 11 MiB per pod (the VPC CNI's
    limit, 110 where the row gives none) + 255 MiB, ephemeral-storage 1Gi; its evictionHard
    (memory.available 100Mi, nodefs.available 10%) is the kubelet's default."""
    return Reservation(
        cpu_m=tiered(node.vcpus, CPU_RESERVED_TIERS) * 1000,
        memory_mi=11 * (node.max_pods or 110) + 255,
        storage_mi=GIB,
    )


# The DaemonSets on every GPU node: EKS add-ons' defaults: aws-node 25m; kube-proxy 100m;
# ebs-csi-node three containers of 10m/40Mi each (aws-ebs-csi-driver chart `node.resources`,
# sidecars alike).
DAEMONSETS = (("aws-node", 25, 0), ("kube-proxy", 100, 0), ("ebs-csi-node", 30, 120))

CATALOG = Catalog(
    source=SOURCE,
    accelerators=ACCELERATORS,
    nodes=NODES,
    primary_nic_gbps=PRIMARY_NIC_GBPS,
    root_disk="gp3 root",
    local_disk="instance-store NVMe (RAID0)",
    max_root_disk_gb=MAX_ROOT_GB,
    root_disk_mbps=root_disk_mbps,
    local_disk_mbps=local_disk_mbps,
    reserved=reserved,
    daemonsets=DAEMONSETS,
    held_capacity={
        "reservation": "an On-Demand Capacity Reservation",
        "capacity-block": "AWS's Capacity Blocks for ML",
    },
    node_noun="instance type",
    absent=(
        "has no AWS instance type in the aws node catalog ({catalog}); add one there or pick "
        "another accelerator"
    ),
    foreign="does not carry {accelerator}",
)
