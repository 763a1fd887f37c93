"""How long the first request to a new endpoint waits, per hardware tier: a node from zero,
the inference image, then the weights, and which of network, disk or object store bounds it.

The model, per tier: the weights stream from the object store (S3 by s5cmd with 512
workers, Blob by azcopy, GCS by gcloud storage's sliced downloads, as the server's
llm_model_endpoint_use_cases.py writes the commands) into the container's filesystem, i.e.
the node disk the kubelet lives on. Many flows at once, so no per-connection limit binds;
what bounds the transfer is the slowest of

- the network a pod can use: the primary card or host NIC on multi-NIC GPU types, not the
  aggregate that includes the GPU fabric (`primary_nic_gbps` in components/<cloud>/catalog.py,
  read through components/instances.py's `pod_network_gbps`);
- the object store's per-instance rate where one is documented (S3: up to 100 Gb/s);
- the node disk's write rate: instance-store NVMe in RAID0, GCE Local SSD, the AKS temporary
  disk, or the provisioned root volume (gp3 at 1000 MiB/s, Premium SSD by size, pd-balanced
  by size).

Every rate comes from one table: the platform's node catalog (components/<cloud>/catalog.py,
read through components/instances.py) and RATES below.
The image: its compressed layers land at the slower of network and disk, then containerd
unpacks them at the slower of its single-core gunzip (components/waits.py, UNPACK_MBPS) and
the disk's write of the unpacked size.

The floor is the issue's network-bound time (weights ÷ the bandwidth a pod can use); the
bench reports, per example, its largest tier's whole estimate (node + image + weights) against
that floor, whose goal is at most GOAL_RATIO, and the weights transfer alone against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components import accelerators, instances, waits
from components.contract import GpuNodePool
from components.settings import StackSettings

# name -> (value, source). Seconds, GB and Gbps as named.
RATES: Mapping[str, tuple[float, str]] = {
    "aws_node_s": (
        300,
        "EC2 GPU instance launch, NVIDIA AL2023 AMI boot and nodeadm join: commonly 3-5 minutes",
    ),
    "azure_node_s": (420, "AKS GPU node scale-up with driver set-up: commonly 5-8 minutes"),
    "gcp_node_s": (360, "GKE GPU node scale-up with GKE's driver installer: commonly 5-6 minutes"),
    "image_compressed_gb": (
        12,
        "vllm/vllm-openai on Docker Hub: about 12 GB compressed (vllm-project/vllm#27154)",
    ),
    "image_unpacked_gb": (
        29,
        "the same image unpacked: 28.6 GB (vllm-project/vllm#22377)",
    ),
    # S3 performance guidelines: "up to 100 Gb/s" between one EC2 instance and S3.
    "aws_object_store_gbps": (
        100,
        "docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html",
    ),
}
# The goal for a cold start: the whole estimate at most twice the network floor.
GOAL_RATIO = 2.0
NODE_SECONDS = {"aws": "aws_node_s", "azure": "azure_node_s", "gcp": "gcp_node_s"}
# Blob and GCS document account- and bucket-wide egress targets far above one node's NIC,
# and no per-VM figure: they are not a bound for one node.
OBJECT_STORE_GBPS = {"aws": "aws_object_store_gbps"}


def rate(name: str) -> float:
    return RATES[name][0]


@dataclass(frozen=True)
class ColdStart:
    pool: str
    tier: str
    weights_gb: float
    node_s: float
    image_s: float
    weights_s: float
    bottleneck: str
    # weights ÷ the bandwidth a pod's downloads can use: no disk or store could beat it.
    floor_s: float

    @property
    def total_s(self) -> float:
        return self.node_s + self.image_s + self.weights_s

    @property
    def ratio(self) -> float:
        """The weights transfer against its network-bound floor."""
        return self.weights_s / self.floor_s if self.floor_s else 0.0

    @property
    def whole_ratio(self) -> float:
        """The whole cold start (node, image, weights) against the network-bound floor."""
        return self.total_s / self.floor_s if self.floor_s else 0.0

    @property
    def verdict(self) -> str:
        return "ok" if self.whole_ratio <= GOAL_RATIO else "MISSED"


def image_seconds(net_mbps: float, write_mbps: float) -> float:
    """The inference image: compressed layers fetched, then unpacked (gunzip on one core,
    the unpacked size written to the node disk; the slower bounds)."""
    compressed_mb = rate("image_compressed_gb") * 1000
    unpacked_mb = rate("image_unpacked_gb") * 1000
    fetch = compressed_mb / min(net_mbps, write_mbps)
    unpack = max(compressed_mb / waits.UNPACK_MBPS, unpacked_mb / write_mbps)
    return fetch + unpack


def _weights_gb(row: Mapping[str, Any], gpu_memory_gb: int) -> float:
    """A byGpuMemoryGb tier serves models whose weights fit its GPU memory bound; a model row
    is bounded by its GPUs' memory."""
    if "gpu_memory_le" in row:
        return float(row["gpu_memory_le"])
    return float(row["gpus"]) * gpu_memory_gb


def disk_mbps(cloud: str, pool: GpuNodePool) -> float:
    shape = pool.node
    assert shape is not None
    node = instances.node_type(cloud, shape.node_type)
    assert node is not None
    if shape.local_disk:
        return instances.local_disk_mbps(cloud, node)
    return instances.root_disk_mbps(cloud, shape.root_disk_gb, provisioned=True)


def estimate(
    settings: StackSettings,
    pools: Sequence[GpuNodePool],
    hardware: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[ColdStart]:
    """One row per (pool, tier of its GPU); pools whose node is unknown are skipped."""
    cloud = settings.cloud
    out: list[ColdStart] = []
    for pool in pools:
        if pool.node is None or cloud not in NODE_SECONDS:
            continue
        net_mbps = instances.pod_network_gbps(cloud, pool.node.node_type) * 1000 / 8
        store = OBJECT_STORE_GBPS.get(cloud)
        store_mbps = rate(store) * 1000 / 8 if store else float("inf")
        write_mbps = disk_mbps(cloud, pool)
        gpu_memory = accelerators.CATALOG[pool.accelerator].gpu_memory_gb
        label = pool.spec.label_value
        rows = [
            (f"byGpuMemoryGb[{i}]", r)
            for i, r in enumerate(hardware.get("byGpuMemoryGb", []))
            if r["gpu_type"] == label
        ] + [(r["name"], r) for r in hardware.get("byModelName", []) if r["gpu_type"] == label]
        for name, row in rows:
            weights = _weights_gb(row, gpu_memory)
            limits = {"network": net_mbps, "object store": store_mbps, "disk": write_mbps}
            bottleneck = min(limits, key=lambda k: limits[k])
            image_s = image_seconds(net_mbps, write_mbps)
            out.append(
                ColdStart(
                    pool=pool.name,
                    tier=name,
                    weights_gb=weights,
                    node_s=rate(NODE_SECONDS[cloud]),
                    image_s=image_s,
                    weights_s=weights * 1000 / limits[bottleneck],
                    bottleneck=bottleneck,
                    floor_s=weights * 1000 / net_mbps,
                )
            )
    return out


def lines(
    settings: StackSettings,
    pools: Sequence[GpuNodePool],
    hardware: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[str]:
    """The report; for a platform NODE_SECONDS does not know (a new one, until its row is
    added) that it has no estimate, not "no GPU pool with a known node type"."""
    if settings.cloud not in NODE_SECONDS and any(p.node is not None for p in pools):
        return [
            f"no cold-start estimate for platform {settings.cloud!r}: plan/coldstart.py "
            "NODE_SECONDS has no node start-up time for it; add its row to RATES"
        ]
    return report(estimate(settings, pools, hardware))


def largest(rows: Sequence[ColdStart]) -> ColdStart | None:
    return max(rows, key=lambda r: (r.weights_gb, r.total_s), default=None)


def report(rows: Sequence[ColdStart]) -> list[str]:
    if not rows:
        return ["no GPU pool with a known node type"]
    lines = [
        f"{'pool':<10} {'tier':<28} {'weights GB':>10} {'node s':>7} {'image s':>8} "
        f"{'weights s':>9} {'floor s':>7} {'total':>7}  bottleneck (weights ÷ floor), "
        f"whole ÷ floor (goal <= {GOAL_RATIO:g})"
    ]
    for r in rows:
        lines.append(
            f"{r.pool:<10} {r.tier:<28} {r.weights_gb:>10.0f} {r.node_s:>7.0f} {r.image_s:>8.0f} "
            f"{r.weights_s:>9.0f} {r.floor_s:>7.0f} {r.total_s / 60:>5.1f}m  {r.bottleneck} "
            f"({r.ratio:.1f}x), {r.whole_ratio:.1f}x {r.verdict}"
        )
    lines.append(
        "rates: components/<cloud>/catalog.py (network, disks) and plan/coldstart.py RATES"
    )
    return lines
