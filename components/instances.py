"""The node catalog: what each GPU instance type, VM size or machine type is made of, and
the lookups the rest of the program reads it through.

Each platform's rows live in its own package, `components/<cloud>/catalog.py`, as one
`Catalog` its `PLATFORM` declares (components/platform.py): which node types carry each
accelerator and how many GPUs, what else such a node has (vCPUs, memory, local disk, network
bandwidth), how fast its disks write, what its kubelet reserves and which DaemonSets run on
every GPU node, each row with the page it comes from. This module holds what is the same on
every platform: the shape of a row (`NodeType`), the shape of a catalog, and the lookups by
cloud name. The fit model (components/fit.py) and the cold-start
estimate (plan/coldstart.py) read the rows through these lookups and nothing else.

- `memory_gib`: the memory the type is sold with (GiB; Compute Engine's "GB" are GiB).
- `local_disk_gb`: the node-local disk the kubelet can put its data on when the platform
  turns that on (AWS instance store NVMe, AKS's temporary resource disk, GCE bundled Local
  SSD); 0 where the type has none the platform uses. Decimal GB as the pages state them.
- `network_gbps`: the documented bandwidth; for "up to" figures, the baseline where the page
  gives one, so the cold-start estimate is not built on a burst.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field


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


GIB = 1024.0  # MiB per GiB


@dataclass(frozen=True)
class Reservation:
    """What a platform's kubelet configuration keeps from pods on one node (kube-reserved plus
    system-reserved), before the kubelet's hard eviction thresholds, which the fit model
    (components/fit.py) adds on every platform."""

    cpu_m: float
    memory_mi: float
    storage_mi: float


def tiered(total: float, steps: Iterable[tuple[float, float]]) -> float:
    """Sum of `rate` over each band [start, end) of `total` (steps: (band end, rate))."""
    reserved, start = 0.0, 0.0
    for end, rate in steps:
        if total > start:
            reserved += (min(total, end) - start) * rate
        start = end
    return reserved


# 6% of the first core, 1% of the next, 0.5% of the next 2, 0.25% above 4: GKE's CPU table
# (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes), which nodeadm copies
# (amazon-eks-ami nodeadm/internal/kubelet/config.go, getCPUMillicoresToReserve); the
# catalogs whose kubelet reserves by it read it here (with `tiered`, in cores).
CPU_RESERVED_TIERS = ((1, 0.06), (2, 0.01), (4, 0.005), (math.inf, 0.0025))


@dataclass(frozen=True)
class Catalog:
    """One platform's rows. A platform that creates no nodes (`existing`) has none."""

    # The vendor's size pages the node rows come from (the plan's fit table cites it).
    source: str = ""
    # Accelerator key (components/accelerators.py) -> the node types that carry it, with the
    # physical GPUs each has; the first is the default.
    accelerators: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # Node type -> what it is made of; a row for every type `accelerators` names.
    nodes: Mapping[str, NodeType] = field(default_factory=dict)
    # Node type -> the bandwidth a pod's downloads can use, where most of `network_gbps`
    # belongs to a GPU fabric pod traffic never uses (see pod_network_gbps).
    primary_nic_gbps: Mapping[str, float] = field(default_factory=dict)
    # What a GPU node's root disk and local disk are (the plan's fit table names them), and
    # the largest root disk (GB) the platform's node pools can create.
    root_disk: str = ""
    local_disk: str = ""
    max_root_disk_gb: int = 0
    # Write throughput (MB/s, decimal) of a GPU node's root disk of size_gb as the node pools
    # create it; `provisioned`: with the throughput the pools buy beyond the baseline.
    root_disk_mbps: Callable[[int, bool], float] | None = None
    # Write throughput (MB/s) of a node type's local disk as the kubelet uses it.
    local_disk_mbps: Callable[[NodeType], float] | None = None
    # What the platform's kubelet reserves on a node of this type whose kubelet data lives on
    # a disk of disk_gib (GiB); `on_local_disk`: that disk is the type's local disk.
    reserved: Callable[[NodeType, float, bool], Reservation] | None = None
    # The DaemonSets the platform runs on every GPU node, besides the program's add-ons:
    # (name, CPU millicores, memory MiB) requested.
    daemonsets: tuple[tuple[str, int, int], ...] = ()
    # The capacity types (components/settings.py, CapacityType) beyond on-demand and spot that
    # hold GPU capacity for the platform's node pools, each with what it is there ("an
    # On-Demand Capacity Reservation"). A pool's capacity.type outside on-demand, spot and
    # these is refused (Platform.pool_problems); the capacity warning names them.
    held_capacity: Mapping[str, str] = field(default_factory=dict)
    # The words a refused GPU pool is told in (Platform.pool_problems). `node_noun`: the
    # platform's name for a node type ("instance type", "VM size", "machine type"). `absent`
    # follows "<key>.accelerator: 'a10' " when no node type carries the accelerator, `foreign`
    # follows "<key>.instanceType: 'x' " when the type named does not; both may name
    # {accelerator}, {noun}, {cloud}, {catalog} (the package's catalog.py) and {offered} (the
    # accelerators it has node types for).
    node_noun: str = "node type"
    absent: str = (
        "has no {noun} in the {cloud} node catalog ({catalog}); add one there or pick "
        "another accelerator ({offered})"
    )
    foreign: str = "is not a {cloud} {noun} with {accelerator}"

    def __post_init__(self) -> None:
        # The words are filled in for every pool the platform checks, valid or not: a
        # misspelt placeholder would break every GPU stack on it, so it fails at import.
        for name in ("absent", "foreign"):
            fields = {f for _, f, _, _ in string.Formatter().parse(getattr(self, name)) if f}
            unknown = fields - set(MESSAGE_WORDS)
            if unknown:
                raise ValueError(
                    f"Catalog.{name} names {', '.join(sorted(unknown))}: use only "
                    f"{', '.join(MESSAGE_WORDS)}"
                )


# The placeholders a catalog's `absent` and `foreign` words may name.
MESSAGE_WORDS = ("accelerator", "noun", "cloud", "catalog", "offered")


def catalog(cloud: str) -> Catalog:
    """The rows of the platform named `cloud`. The catalogs and the fit model know the
    program's platforms (components/platforms.py), which a platform's GPU pools need it in."""
    # Imported here: every platform package imports this module for its catalog.
    from components.platforms import PLATFORMS

    platform = PLATFORMS.get(cloud)
    if platform is None:
        raise KeyError(
            f"platform {cloud!r} is not in components/platforms.py (PLATFORMS): add it there "
            "for its catalog to be read"
        )
    return platform.catalog


def node_type(cloud: str, name: str) -> NodeType | None:
    return catalog(cloud).nodes.get(name)


# --- what a pod's downloads get of the bandwidth ----------------------------------------
# `network_gbps` is the instance's aggregate. On types with several network cards or NICs
# most of it belongs to the GPU fabric, which a pod's TCP traffic (the weights download from
# S3, Blob or GCS) never uses: it leaves through the node's primary card or host NIC alone,
# whose bandwidth each catalog lists in `primary_nic_gbps` with its source.
# Within the region a multi-flow download may use all of that (single flows are capped at
# 5 Gbps outside a placement group; "Amazon EC2 instance network bandwidth"); the server's
# downloaders open many flows (s5cmd --numworkers 512, azcopy, gcloud storage's sliced
# downloads), so no per-connection limit binds.
def pod_network_gbps(cloud: str, name: str) -> float:
    """The bandwidth a pod's downloads on a node of this type can use."""
    rows = catalog(cloud)
    node = rows.nodes.get(name)
    if node is None:
        raise KeyError(f"{cloud} {name}")
    return rows.primary_nic_gbps.get(name, node.network_gbps)


# --- disk write throughput: how fast a node can land images and weights -----------------
# One table per platform for the node pools (which provision it) and the cold-start estimate
# (which reads it). MB/s, decimal.
MIB = 1.048576  # MB per MiB


def root_disk_mbps(cloud: str, size_gb: int, provisioned: bool) -> float:
    """Write throughput of a GPU node's root disk as the node pools create it."""
    rate = catalog(cloud).root_disk_mbps
    if rate is None:
        raise KeyError(f"{cloud} has no root disk rows")
    return rate(size_gb, provisioned)


def local_disk_mbps(cloud: str, node: NodeType) -> float:
    rate = catalog(cloud).local_disk_mbps
    if rate is None:
        raise KeyError(f"{cloud} has no local disk rows")
    return rate(node)
