"""Does every pod the chart and the server put on a GPU pool fit one of its nodes?

A node's allocatable is what the scheduler hands out: the node type's capacity (the
platform's node catalog, components/<cloud>/catalog.py) minus what the cloud's kubelet
configuration reserves (kube and system reservations, hard eviction thresholds) minus the
requests of the DaemonSets every GPU node runs. Against it stand the pods:

- each hardware tier of the pool's accelerator (recommendedHardware, both tables): the server
  turns a tier into the main container's cpu, memory, nvidia.com/gpu and, from `storage`, an
  ephemeral-storage request (k8s_resource_types.py, `storage_dict`); next to it run the
  forwarder (1 CPU, 100M memory, 100M ephemeral-storage requested: the chart's
  service_template_config_map.yaml with FORWARDER_CPU_USAGE from common/resource_limits.py) and,
  on sync and streaming endpoints in a mesh, the istio-proxy sidecar (Istio's default
  proxy requests: 100m CPU, 128Mi);
- each balloon (templates/balloon_deployments.yaml: limits, so requests, of 4 CPU, 28Gi and
  its GPUs);
- the image-cache pods (the chart's image-cache DaemonSet template and the server's
  image_cache_gateway.py add containers without requests): they fit any node, but every
  image they keep takes node disk, which the root-disk size below allows for.

A pod that fits no node of any pool of its accelerator stays Pending forever; the program
refuses it before any resource exists, naming the tier or balloon, the pool, what is short
and the stack key that fixes it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from components import accelerators, instances
from components.platform import UNHELD_CAPACITY
from components.settings_base import pool_key

if TYPE_CHECKING:
    from components.contract import GpuNodePool
    from components.settings import GpuPool, StackSettings

GIB = instances.GIB
_SUFFIX = {
    "Ki": 1 / 1024,
    "Mi": 1.0,
    "Gi": GIB,
    "Ti": GIB * 1024,
    "k": 1e3 / 2**20,
    "K": 1e3 / 2**20,
    "M": 1e6 / 2**20,
    "G": 1e9 / 2**20,
    "T": 1e12 / 2**20,
    "": 1 / 2**20,
}
_QUANTITY = re.compile(r"^([0-9.]+)([A-Za-z]*)$")


def mebibytes(quantity: str | int | float) -> float:
    """A Kubernetes memory or storage quantity in MiB (`28Gi`, `100M`, `1G`, bytes)."""
    match = _QUANTITY.match(str(quantity).strip())
    if match is None or match.group(2) not in _SUFFIX:
        raise ValueError(f"{quantity!r} is not a memory quantity such as 28Gi or 100M")
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def millicores(quantity: str | int | float) -> int:
    text = str(quantity).strip()
    if text.endswith("m"):
        return int(float(text[:-1]))
    return round(float(text) * 1000)


@dataclass(frozen=True)
class Resources:
    """Requests or allocatable: CPU in millicores, memory and ephemeral storage in MiB."""

    cpu_m: int = 0
    memory_mi: float = 0.0
    storage_mi: float = 0.0
    gpus: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(
            self.cpu_m + other.cpu_m,
            self.memory_mi + other.memory_mi,
            self.storage_mi + other.storage_mi,
            self.gpus + other.gpus,
        )

    def __sub__(self, other: Resources) -> Resources:
        return Resources(
            self.cpu_m - other.cpu_m,
            self.memory_mi - other.memory_mi,
            self.storage_mi - other.storage_mi,
            self.gpus - other.gpus,
        )

    def describe(self) -> str:
        return (
            f"{self.cpu_m / 1000:g} CPU, {self.memory_mi / GIB:.1f}Gi memory, "
            f"{self.storage_mi / GIB:.0f}Gi ephemeral-storage, {self.gpus} GPU"
        )


# --- what runs next to every endpoint container -----------------------------------------
# The forwarder's requests (chart service_template_config_map.yaml: cpu FORWARDER_CPUS_LIMIT,
# memory "100M", ephemeral-storage "100M"; FORWARDER_CPU_USAGE = 1 in resource_limits.py).
FORWARDER = Resources(cpu_m=1000, memory_mi=mebibytes("100M"), storage_mi=mebibytes("100M"))
# istio-proxy on sync/streaming endpoints (the template opts only async pods out): Istio's
# default global.proxy.resources.requests (manifests/charts/istiod values: 100m, 128Mi).
ISTIO_PROXY = Resources(cpu_m=100, memory_mi=128)
# templates/balloon_deployments.yaml: limits (hence requests) of 4 CPU and 28Gi.
BALLOON = Resources(cpu_m=4000, memory_mi=28 * GIB)

# --- what the server accepts per GPU type ----------------------------------------------
# The server refuses a create whose requests plus its forwarder's share exceed its limits for
# the GPU type (model_engine_server/common/resource_limits.py at the pinned commit:
# *_INSTANCE_LIMITS lines 27-38, STORAGE_LIMIT line 39 for types without their own storage,
# REQUESTS_BY_GPU_TYPE line 40, FORWARDER_*_USAGE lines 51-53; validate_resource_requests
# compares main + forwarder against the limit). tests/test_fit.py reads that file back.
SERVER_STORAGE_LIMIT = "640Gi"
SERVER_LIMITS: Mapping[str, tuple[int, str, str]] = {
    # gpu_type: (cpus, memory, storage)
    "nvidia-tesla-t4": (63, "250Gi", SERVER_STORAGE_LIMIT),
    "nvidia-ampere-a10": (63, "250Gi", SERVER_STORAGE_LIMIT),
    "nvidia-ampere-a100": (95, "1000Gi", SERVER_STORAGE_LIMIT),
    "nvidia-ampere-a100e": (95, "1000Gi", SERVER_STORAGE_LIMIT),
    "nvidia-hopper-h100": (191, "2000Gi", "1300Gi"),
    "nvidia-hopper-h100-1g20gb": (47, "500Gi", SERVER_STORAGE_LIMIT),
    "nvidia-hopper-h100-3g40gb": (95, "1000Gi", SERVER_STORAGE_LIMIT),
}
# The forwarder's share the server adds to a ModelBundle's (every LLM endpoint's) requests.
SERVER_FORWARDER = (1, "2Gi", "1G")


def server_limit_problems(
    hardware: Mapping[str, Sequence[Mapping[str, Any]]], project: str
) -> list[str]:
    """A message per hardware tier the server would refuse at create: its cpus, memory or
    storage plus the forwarder's share above the limit for its gpu_type."""
    found: list[str] = []
    tiers = [
        (f"byGpuMemoryGb[{i}] (gpu_memory_le {row['gpu_memory_le']})", row)
        for i, row in enumerate(hardware.get("byGpuMemoryGb", []))
    ] + [(f"byModelName {row['name']}", row) for row in hardware.get("byModelName", [])]
    fwd_cpus, fwd_memory, fwd_storage = SERVER_FORWARDER
    for what, row in tiers:
        limits = SERVER_LIMITS.get(str(row["gpu_type"]))
        if limits is None:
            found.append(
                f"{project}:gpu.recommendedHardware: tier {what} names gpu_type "
                f"{row['gpu_type']!r}, which the server does not know (it accepts "
                f"{', '.join(SERVER_LIMITS)}); every create on this tier would be refused"
            )
            continue
        cpus, memory, storage = limits
        over = []
        if millicores(row["cpus"]) + fwd_cpus * 1000 > cpus * 1000:
            over.append(f"cpus {row['cpus']} (at most {cpus - fwd_cpus} beside the forwarder)")
        if mebibytes(row["memory"]) + mebibytes(fwd_memory) > mebibytes(memory):
            room = (mebibytes(memory) - mebibytes(fwd_memory)) / GIB
            over.append(f"memory {row['memory']} (at most {room:g}Gi beside the forwarder)")
        if mebibytes(row["storage"]) + mebibytes(fwd_storage) > mebibytes(storage):
            room = (mebibytes(storage) - mebibytes(fwd_storage)) / GIB
            over.append(f"storage {row['storage']} (at most {room:.1f}Gi beside the forwarder)")
        if over:
            found.append(
                f"{project}:gpu.recommendedHardware: tier {what} asks more than the server "
                f"allows for {row['gpu_type']} (common/resource_limits.py): {'; '.join(over)}; "
                "every create on this tier would be refused. Lower the tier's requests"
            )
    return found


# --- what the platform keeps from pods on every node -----------------------------------
# Each platform's catalog (components/<cloud>/catalog.py, instances.Catalog) states what its
# kubelet reserves and which DaemonSets it runs on every GPU node, with their sources; the
# program's own add-ons (NVIDIA device plugin or GPU operator, Prometheus node-exporter)
# request nothing in their charts' defaults. On top, the kubelet's default hard eviction
# thresholds, which no platform the program creates changes: it evicts below 100Mi of free
# memory and 10% of free node filesystem.
EVICTION_MEMORY_MI = 100.0
EVICTION_NODEFS = 0.10


def daemonset_requests(cloud: str) -> Resources:
    rows = instances.catalog(cloud).daemonsets
    return Resources(cpu_m=sum(r[1] for r in rows), memory_mi=float(sum(r[2] for r in rows)))


def reserved(
    cloud: str, node: instances.NodeType, disk_gib: float, on_local_disk: bool = False
) -> Resources:
    """The platform's kube/system reservations plus the hard eviction thresholds, for kubelet
    data on a disk of `disk_gib` (the node type's local disk when `on_local_disk`)."""
    rows = instances.catalog(cloud)
    if rows.reserved is None:
        raise KeyError(
            f"the catalog of platform {cloud!r} has no `reserved`: a platform whose nodes the "
            "program creates states what its kubelet reserves (components/instances.py, Catalog)"
        )
    kept = rows.reserved(node, disk_gib, on_local_disk)
    return Resources(
        cpu_m=math.ceil(kept.cpu_m),
        memory_mi=kept.memory_mi + EVICTION_MEMORY_MI,
        storage_mi=kept.storage_mi + EVICTION_NODEFS * disk_gib * GIB,
    )


@dataclass(frozen=True)
class NodeShape:
    """What one node of a GPU pool offers to pods, and the disk its kubelet uses."""

    node_type: str
    allocatable: Resources
    # "instance-store NVMe (RAID0) 3800 GB", "gp3 root 400 GB", "declared", ...
    disk: str
    source: str
    # Kubelet and containerd on the node type's local disk (else on the root disk).
    local_disk: bool = False
    # The root (OS) disk to create; on local-disk nodes it holds only the OS.
    root_disk_gb: int = 100


def allocatable(
    cloud: str, node: instances.NodeType, gpus: int, disk_gb: float, on_local_disk: bool = False
) -> Resources:
    """Capacity minus the cloud's reservations minus the DaemonSets, for kubelet data on a
    disk of `disk_gb` (decimal GB, as disks are sold)."""
    disk_gib = disk_gb * 1e9 / 2**30
    capacity = Resources(
        cpu_m=node.vcpus * 1000,
        memory_mi=node.memory_gib * GIB,
        storage_mi=disk_gib * GIB,
        gpus=gpus,
    )
    return capacity - reserved(cloud, node, disk_gib, on_local_disk) - daemonset_requests(cloud)


def pool_shape(
    cloud: str, pool: GpuPool, gpus: int, hardware: Mapping[str, Sequence[Mapping[str, Any]]]
) -> NodeShape | None:
    """One node of a cloud GPU pool: kubelet on the local disk when the pool wants it and it
    holds the largest tier with the cached images, else on a root disk of diskSizeGb or, by
    default, sized for them. None when the node catalog lacks the type."""
    node_type = accelerators.node_type(pool, cloud)
    rows = instances.catalog(cloud)
    node = rows.nodes.get(node_type)
    if node is None:
        return None
    need = largest_storage_gib(pool.spec.label_value, hardware) + IMAGES_GIB
    if pool.local_disk and node.local_disk_gb:
        local = allocatable(cloud, node, gpus, node.local_disk_gb, on_local_disk=True)
        if local.storage_mi / GIB >= need:
            return NodeShape(
                node_type,
                local,
                f"{rows.local_disk} {node.local_disk_gb} GB",
                rows.source,
                local_disk=True,
                root_disk_gb=pool.disk_size_gb or OS_ONLY_ROOT_GB,
            )
    root = pool.disk_size_gb or root_disk_gb(cloud, node, need)
    return NodeShape(
        node_type,
        allocatable(cloud, node, gpus, root),
        f"{rows.root_disk} {root} GB",
        rows.source,
        root_disk_gb=root,
    )


def declared_shape(
    cloud: str, cpu: str, memory: str, ephemeral_storage: str, gpus: int
) -> NodeShape:
    """An existing cluster's node as the operator declares it (`kubectl get node -o yaml`,
    status.allocatable), less the DaemonSets the program adds there."""
    allocatable = Resources(
        cpu_m=millicores(cpu),
        memory_mi=mebibytes(memory),
        storage_mi=mebibytes(ephemeral_storage),
        gpus=gpus,
    ) - daemonset_requests(cloud)
    return NodeShape("declared", allocatable, "declared", "gpu.pools[].nodeAllocatable")


# --- the pods -------------------------------------------------------------------------
@dataclass(frozen=True)
class Pod:
    # "tier byGpuMemoryGb[2] (gpu_memory_le 320)", "balloon", ...
    what: str
    requests: Resources
    # The stack key whose change makes it fit.
    key: str


def tier_requests(row: Mapping[str, Any], mesh: bool) -> Resources:
    main = Resources(
        cpu_m=millicores(row["cpus"]),
        memory_mi=mebibytes(row["memory"]),
        storage_mi=mebibytes(row["storage"]),
        gpus=int(row["gpus"]),
    )
    return main + FORWARDER + (ISTIO_PROXY if mesh else Resources())


def pods_for(
    label_value: str,
    hardware: Mapping[str, Sequence[Mapping[str, Any]]],
    mesh: bool,
) -> list[Pod]:
    """The endpoint pods the server may put on nodes labelled `label_value`."""
    pods: list[Pod] = []
    for i, row in enumerate(hardware.get("byGpuMemoryGb", [])):
        if row["gpu_type"] == label_value:
            pods.append(
                Pod(
                    f"tier byGpuMemoryGb[{i}] (gpu_memory_le {row['gpu_memory_le']})",
                    tier_requests(row, mesh),
                    "gpu.recommendedHardware",
                )
            )
    for row in hardware.get("byModelName", []):
        if row["gpu_type"] == label_value:
            pods.append(
                Pod(
                    f"tier byModelName {row['name']}",
                    tier_requests(row, mesh),
                    "gpu.recommendedHardware",
                )
            )
    return pods


def shortfall(pod: Resources, node: Resources) -> list[str]:
    short = []
    if pod.gpus > node.gpus:
        short.append(f"{pod.gpus} GPUs requested, {node.gpus} per node")
    if pod.cpu_m > node.cpu_m:
        short.append(f"{pod.cpu_m / 1000:g} CPU requested, {node.cpu_m / 1000:g} allocatable")
    if pod.memory_mi > node.memory_mi:
        short.append(
            f"{pod.memory_mi / GIB:.1f}Gi memory requested, "
            f"{node.memory_mi / GIB:.1f}Gi allocatable"
        )
    if pod.storage_mi > node.storage_mi:
        short.append(
            f"{pod.storage_mi / GIB:.0f}Gi ephemeral-storage requested, "
            f"{node.storage_mi / GIB:.0f}Gi allocatable"
        )
    return short


def per_node(pod: Resources, node: Resources) -> int:
    """How many such pods one node holds."""
    counts = [node.cpu_m // pod.cpu_m if pod.cpu_m else math.inf]
    counts.append(node.memory_mi // pod.memory_mi if pod.memory_mi else math.inf)
    counts.append(node.storage_mi // pod.storage_mi if pod.storage_mi else math.inf)
    counts.append(node.gpus // pod.gpus if pod.gpus else math.inf)
    return int(max(0, min(counts)))


@dataclass(frozen=True)
class PoolFit:
    pool: str
    shape: NodeShape | None
    pods: tuple[Pod, ...]


def pool_fits(
    settings: StackSettings,
    pools: Sequence[GpuNodePool],
    hardware: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[PoolFit]:
    mesh = settings.istio.enabled
    out = []
    for pool in pools:
        pods = pods_for(pool.spec.label_value, hardware, mesh)
        if pool.balloon_replicas:
            pods.append(
                Pod(
                    f"balloon ({pool.balloon_gpus} GPU)",
                    replace(BALLOON, gpus=pool.balloon_gpus),
                    f"gpu.pools[{_index(settings, pool.name)}].instanceType",
                )
            )
        out.append(PoolFit(pool.name, pool.node, tuple(pods)))
    return out


def _index(settings: StackSettings, name: str) -> int:
    return next(i for i, p in enumerate(settings.gpu.pools) if p.name == name)


def balloon_nodes(replicas: int, balloon_gpus: int, gpus_per_node: int) -> int:
    """Nodes the balloons of a pool occupy (as many balloons share a node as its GPUs hold)."""
    per_node = gpus_per_node // balloon_gpus
    return -(-replicas // per_node) if replicas else 0


def balloon_start_problems(settings: StackSettings, project: str) -> list[str]:
    """Balloons only on nodes their pool starts with, on every cloud the program builds.

    Helm's wait (the model-engine Release is atomic, so it always waits) counts a Deployment
    ready only when its ready replicas reach spec.replicas minus maxUnavailable, and the
    chart's balloon Deployments keep the default 25% rounded down, i.e. 0 for a few replicas:
    every balloon pod must run. A balloon on a pool that starts with too few nodes stays
    Pending until the cluster autoscaler gets a GPU node, which the account or subscription
    may have no quota or capacity for: the Release would wait on GPU capacity, time out and
    roll back. So a pool keeps warm only the nodes it starts with (minSize, or desiredSize
    where the cloud takes one): the node group or pool, not the Release, then reports a
    failed launch, with the cloud's reason. Existing clusters: the program does not size
    their pools, so the operator's nodes are taken as there."""
    if not settings.platform.creates_nodes:
        return []
    found: list[str] = []
    for i, pool in enumerate(settings.gpu.pools):
        fitted = accelerators.node_gpus(pool, settings.cloud)
        # No node type, or a balloon wider than a node: the pool checks say so.
        if not pool.balloon_replicas or fitted is None or pool.balloon_gpus > fitted[1]:
            continue
        node, gpus = fitted
        needed = balloon_nodes(pool.balloon_replicas, pool.balloon_gpus, gpus)
        present = pool.min_size if pool.desired_size is None else pool.desired_size
        if needed > present:
            found.append(
                f"{pool_key(i, project)}.minSize: balloonReplicas {pool.balloon_replicas} "
                f"needs {needed} {node} node(s) at install, but pool {pool.name!r} starts with "
                f"{present}; the chart's Release waits for every balloon pod to run and would "
                "wait for GPU capacity (and quota) the account may not have, then roll back "
                f"after its timeout. Set minSize (or desiredSize) to {needed}, or "
                "balloonReplicas: 0"
            )
    return found


def problems(
    settings: StackSettings,
    pools: Sequence[GpuNodePool],
    hardware: Mapping[str, Sequence[Mapping[str, Any]]],
    project: str,
) -> list[str]:
    """A message per pod that fits no node: a tier must fit some pool of its accelerator
    (the autoscaler grows the one that fits), a balloon the pool that keeps it warm, on a
    node the pool starts with."""
    fits = pool_fits(settings, pools, hardware)
    by_label: dict[str, list[tuple[GpuNodePool, PoolFit]]] = {}
    for pool, fit in zip(pools, fits, strict=True):
        by_label.setdefault(pool.spec.label_value, []).append((pool, fit))
    found: list[str] = server_limit_problems(hardware, project)
    found += balloon_start_problems(settings, project)
    seen_tiers: set[tuple[str, str]] = set()
    for label, group in by_label.items():
        checked = [(p, f) for p, f in group if f.shape is not None]
        if not checked:
            continue  # fit unchecked: the plan says so
        for pool, fit in checked:
            assert fit.shape is not None
            for pod in fit.pods:
                if pod.what.startswith("balloon"):
                    short = shortfall(pod.requests, fit.shape.allocatable)
                    if short:
                        i = _index(settings, pool.name)
                        found.append(
                            f"{pool_key(i, project)}: the {pod.what} of pool {pool.name!r} "
                            f"does not fit one {fit.shape.node_type} node ({'; '.join(short)}); "
                            f"pick a larger instanceType for the pool, or set balloonReplicas: 0"
                        )
                    continue
                if (label, pod.what) in seen_tiers:
                    continue
                seen_tiers.add((label, pod.what))
                shorts = {
                    f.pool: shortfall(pod.requests, f.shape.allocatable)
                    for _, f in checked
                    if f.shape is not None
                }
                if all(shorts.values()):
                    detail = "; ".join(
                        f"pool {name!r} ({s.node_type}): {', '.join(short)}"
                        for (name, short), s in zip(
                            shorts.items(),
                            (f.shape for _, f in checked if f.shape is not None),
                            strict=True,
                        )
                    )
                    found.append(
                        f"{project}:{pod.key}: the {pod.what} for {label} (with forwarder"
                        f"{' and istio-proxy' if settings.istio.enabled else ''}) fits no node "
                        f"of any pool of that GPU: {detail}; lower the tier's requests in "
                        f"{project}:gpu.recommendedHardware, or give a pool a larger "
                        "instanceType (or diskSizeGb / localDisk for ephemeral-storage)"
                    )
    return found


def table(
    settings: StackSettings,
    pools: Sequence[GpuNodePool],
    hardware: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[str]:
    """The plan's per-pool lines: allocatable, the largest tier, pods per node."""
    lines = []
    for fit in pool_fits(settings, pools, hardware):
        if fit.shape is None:
            lines.append(
                f"- {fit.pool}: fit unchecked (declare the node's allocatable in "
                "gpu.pools[].nodeAllocatable)"
            )
            continue
        shape = fit.shape
        lines.append(
            f"- {fit.pool} ({shape.node_type}, kubelet on {shape.disk}): allocatable "
            f"{shape.allocatable.describe()}"
        )
        tiers = [p for p in fit.pods if not p.what.startswith("balloon")]
        if tiers:
            largest = max(tiers, key=lambda p: (p.requests.gpus, p.requests.storage_mi))
            n = per_node(largest.requests, shape.allocatable)
            lines.append(
                f"    largest: {largest.what}: {largest.requests.describe()}; "
                f"{n} per node{'' if n else ' (DOES NOT FIT)'}"
            )
        for pod in fit.pods:
            if pod.what.startswith("balloon"):
                n = per_node(pod.requests, shape.allocatable)
                lines.append(f"    {pod.what}: {n} per node{'' if n else ' (DOES NOT FIT)'}")
    return lines


def largest_storage_gib(
    label_value: str, hardware: Mapping[str, Sequence[Mapping[str, Any]]]
) -> float:
    """The most ephemeral-storage any tier for this GPU requests, forwarder included."""
    return max(
        (p.requests.storage_mi / GIB for p in pods_for(label_value, hardware, mesh=False)),
        default=0.0,
    )


# Room the node disk needs beyond the pods' ephemeral-storage: the OS image and the
# inference images the image cache keeps (a vLLM release is about 10 GB compressed on
# Docker Hub and about twice that unpacked; a few tags are cached at once).
IMAGES_GIB = 80.0
# The root disk of a node whose kubelet data lives on local disk: the OS alone.
OS_ONLY_ROOT_GB = 100


def root_disk_gb(cloud: str, node: instances.NodeType, need_gib: float) -> int:
    """The smallest root disk (10 GB steps, at least 100 GB) whose allocatable
    ephemeral-storage holds `need_gib`."""
    largest = instances.catalog(cloud).max_root_disk_gb
    size = 100
    while size < largest:
        if allocatable(cloud, node, 0, size).storage_mi / GIB >= need_gib:
            return size
        size += 10
    return largest


def hardware(settings: StackSettings) -> dict[str, list[dict[str, Any]]]:
    """The hardware tiers the chart gets (derive's one function), for the pools the stack
    declares."""
    from components.model_engine.derive import recommended_hardware

    return recommended_hardware(settings, settings.gpu.pools)


# A pool of nodes with this many GPUs (p5, A3, ND H100 v5, p4d ...) is one whose capacity a
# new account rarely gets on demand.
LARGE_NODE_GPUS = 8


def capacity_warnings(settings: StackSettings, project: str) -> list[str]:
    """Large GPU pools on on-demand or spot capacity: the first endpoint may wait for
    capacity the region does not have."""
    if not settings.platform.creates_nodes:
        return []
    held = ", ".join(settings.platform.catalog.held_capacity)
    found = []
    for i, pool in enumerate(settings.gpu.pools):
        if pool.capacity.type not in UNHELD_CAPACITY:
            continue
        node = accelerators.node_type(pool, settings.cloud)
        types = pool.spec.instance_types(settings.cloud)
        if types.get(node, 0) < LARGE_NODE_GPUS:
            continue
        found.append(
            f"{pool_key(i, project)}.capacity: pool {pool.name!r} runs {node} on "
            f"{pool.capacity.type} capacity with no reservation; the first endpoint that needs "
            "a node may stay Pending while the autoscaler backs off. Check quota and regional "
            f"availability (README: GPU nodes, Capacity), or set capacity.type to {held}"
        )
    return found
