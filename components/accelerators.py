"""The GPU catalog: the one place that knows what each accelerator is called everywhere.

A pool in the stack file names an accelerator by its short key (``a10``, ``h100-1g20gb``).
From that key alone the program knows the node label value the chart and the server
select on, the image-cache device name, the GPU memory the hardware tiers reason about,
and, per cloud, which instance types carry it and how many GPUs each exposes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.settings import GpuPool

# The server and the chart select GPU nodes by this label on every cloud, not only AWS.
ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator"
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_RESOURCE = "nvidia.com/gpu"
# Nodes that run the control plane, endpoints or balloons need this label (chart default
# nodeSelector and balloonNodeSelector).
LIFECYCLE_LABEL = "node-lifecycle"
LIFECYCLE_NORMAL = "normal"
# The `cpu` image-cache device selects nodes with this label.
CPU_ONLY_LABEL = "cpu-only"
# The GPU operator's MIG manager cuts each node's GPUs as this label says.
MIG_CONFIG_LABEL = "nvidia.com/mig.config"


@dataclass(frozen=True)
class Accelerator:
    key: str
    label_value: str
    gpu_memory_gb: int
    # The chart only accepts these device names in imageCache.devices; None = no device.
    image_cache_device: str | None
    # MIG profile the GPU operator must cut each physical GPU into, and how many slices
    # one physical GPU yields; None for whole GPUs.
    mig_profile: str | None = None
    slices_per_gpu: int = 1
    # Instance types per cloud with the number of physical GPUs each carries; the first
    # entry is the default.
    aws_instance_types: Mapping[str, int] = field(default_factory=dict)
    # Azure VM sizes (AKS node pools) with their physical GPUs; the first is the default.
    azure_vm_sizes: Mapping[str, int] = field(default_factory=dict)
    # GCE machine types -> (GKE accelerator type, GPUs attached). Accelerator-optimized
    # families (a2, a3) come with their GPUs; N1 types get T4s attached in this count.
    gcp_machine_types: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def is_mig(self) -> bool:
        return self.mig_profile is not None

    @property
    def mig_config(self) -> str | None:
        """The GPU operator's default layout that cuts every GPU into this profile."""
        return f"all-{self.mig_profile}" if self.mig_profile else None

    def default_instance_type(self, cloud: str) -> str:
        types = self.instance_types(cloud)
        if not types:
            raise KeyError(f"accelerator {self.key!r} has no instance type on {cloud}")
        return next(iter(types))

    def instance_types(self, cloud: str) -> Mapping[str, int]:
        if cloud == "aws":
            return self.aws_instance_types
        if cloud == "azure":
            return self.azure_vm_sizes
        if cloud == "gcp":
            return {machine: count for machine, (_, count) in self.gcp_machine_types.items()}
        return {}

    def gcp_accelerator_type(self, machine_type: str) -> str:
        """The GKE accelerator type (`nvidia-h100-80gb`) a machine type carries."""
        return self.gcp_machine_types[machine_type][0]

    def gpus_per_node(self, cloud: str, instance_type: str) -> int:
        """Schedulable ``nvidia.com/gpu`` per node (MIG slices count one each)."""
        return self.instance_types(cloud)[instance_type] * self.slices_per_gpu


# GKE accelerator types per machine type (Compute Engine "GPU machine types", 2026-11). GCP
# offers no A10 (its smaller inference GPU is the L4, for which the chart has no label).
_GCP_A100_40 = "nvidia-tesla-a100"
_GCP_A100_80 = "nvidia-a100-80gb"
_GCP_H100 = {
    "a3-highgpu-8g": ("nvidia-h100-80gb", 8),
    "a3-megagpu-8g": ("nvidia-h100-mega-80gb", 8),
}
# GKE partitions GPUs into MIG slices itself (gpu_partition_size); A3 High is the H100 type
# its MIG documentation lists.
_GCP_H100_MIG = {"a3-highgpu-8g": _GCP_H100["a3-highgpu-8g"]}


def _catalog(*items: Accelerator) -> Mapping[str, Accelerator]:
    return MappingProxyType({a.key: a for a in items})


CATALOG: Mapping[str, Accelerator] = _catalog(
    Accelerator(
        "t4",
        "nvidia-tesla-t4",
        16,
        "t4",
        # The first (default) type of each cloud is the smallest that holds a balloon pod
        # (28Gi, 4 CPU): the xlarge, NC4as and n1-standard-8 sizes have too little memory.
        aws_instance_types={
            "g4dn.2xlarge": 1,
            "g4dn.xlarge": 1,
            "g4dn.12xlarge": 4,
            "g4dn.metal": 8,
        },
        azure_vm_sizes={
            "Standard_NC8as_T4_v3": 1,
            "Standard_NC4as_T4_v3": 1,
            "Standard_NC16as_T4_v3": 1,
            "Standard_NC64as_T4_v3": 4,
        },
        gcp_machine_types={
            "n1-standard-16": ("nvidia-tesla-t4", 2),
            "n1-standard-8": ("nvidia-tesla-t4", 1),
            "n1-standard-4": ("nvidia-tesla-t4", 1),
            "n1-standard-32": ("nvidia-tesla-t4", 4),
        },
    ),
    Accelerator(
        "a10",
        "nvidia-ampere-a10",
        24,
        "a10",
        aws_instance_types={
            "g5.12xlarge": 4,
            "g5.xlarge": 1,
            "g5.2xlarge": 1,
            "g5.4xlarge": 1,
            "g5.8xlarge": 1,
            "g5.16xlarge": 1,
            "g5.24xlarge": 4,
            "g5.48xlarge": 8,
        },
        # Whole-GPU sizes only: the smaller NVadsA10 v5 sizes are GPU partitions.
        azure_vm_sizes={"Standard_NV36ads_A10_v5": 1, "Standard_NV72ads_A10_v5": 2},
    ),
    Accelerator(
        "a100",
        "nvidia-ampere-a100",
        40,
        "a100",
        aws_instance_types={"p4d.24xlarge": 8},
        # ND A100 v4: eight A100 40GB.
        azure_vm_sizes={"Standard_ND96asr_v4": 8},
        gcp_machine_types={
            "a2-highgpu-1g": (_GCP_A100_40, 1),
            "a2-highgpu-2g": (_GCP_A100_40, 2),
            "a2-highgpu-4g": (_GCP_A100_40, 4),
            "a2-highgpu-8g": (_GCP_A100_40, 8),
            "a2-megagpu-16g": (_GCP_A100_40, 16),
        },
    ),
    Accelerator(
        "a100e",
        "nvidia-ampere-a100e",
        80,
        None,
        aws_instance_types={"p4de.24xlarge": 8},
        # NC A100 v4 (A100 80GB PCIe) and NDm A100 v4 (A100 80GB SXM).
        azure_vm_sizes={
            "Standard_NC24ads_A100_v4": 1,
            "Standard_NC48ads_A100_v4": 2,
            "Standard_NC96ads_A100_v4": 4,
            "Standard_ND96amsr_A100_v4": 8,
        },
        gcp_machine_types={
            "a2-ultragpu-1g": (_GCP_A100_80, 1),
            "a2-ultragpu-2g": (_GCP_A100_80, 2),
            "a2-ultragpu-4g": (_GCP_A100_80, 4),
            "a2-ultragpu-8g": (_GCP_A100_80, 8),
        },
    ),
    Accelerator(
        "h100",
        "nvidia-hopper-h100",
        80,
        "h100",
        aws_instance_types={"p5.48xlarge": 8},
        # ND H100 v5 (H100 80GB SXM); NC H100 v5 carries H100 NVL (94GB, PCIe). One label
        # for both on purpose: the server's GpuType enum (domain/entities/gpu_type.py) has
        # nvidia-hopper-h100 and no NVL member, so a separate label could never be
        # requested; the memory stays 80 (the smaller), so a tier that fits here fits both.
        # A stack that must not mix them puts them in different pools.
        azure_vm_sizes={
            "Standard_ND96isr_H100_v5": 8,
            "Standard_NC40ads_H100_v5": 1,
            "Standard_NC80adis_H100_v5": 2,
        },
        gcp_machine_types=_GCP_H100,
    ),
    Accelerator(
        "h100-1g20gb",
        "nvidia-hopper-h100-1g20gb",
        20,
        "h100-1g20gb",
        mig_profile="1g.20gb",
        slices_per_gpu=4,
        aws_instance_types={"p5.48xlarge": 8},
        # 1g.20gb exists on the 80GB H100 only (not on H100 NVL).
        azure_vm_sizes={"Standard_ND96isr_H100_v5": 8},
        gcp_machine_types=_GCP_H100_MIG,
    ),
    Accelerator(
        "h100-3g40gb",
        "nvidia-hopper-h100-3g40gb",
        40,
        "h100-3g40gb",
        mig_profile="3g.40gb",
        slices_per_gpu=2,
        aws_instance_types={"p5.48xlarge": 8},
        azure_vm_sizes={"Standard_ND96isr_H100_v5": 8},
        gcp_machine_types=_GCP_H100_MIG,
    ),
)

BY_LABEL: Mapping[str, Accelerator] = MappingProxyType({a.label_value: a for a in CATALOG.values()})

# Names the chart accepts as imageCache device names (the `cpu` device plus GPU devices).
IMAGE_CACHE_DEVICES = frozenset(
    {"cpu"} | {a.image_cache_device for a in CATALOG.values() if a.image_cache_device}
)


# What a pool's accelerator lacks when the catalog has no node type for it on a cloud.
CATALOG_GAP = (
    "in the accelerator catalog (components/accelerators.py); add one there or pick "
    "another accelerator"
)


def node_type(pool: GpuPool, cloud: str) -> str:
    """The instance type (VM size, machine type) a pool's nodes use on `cloud`: the
    operator's, else the catalog's default for the accelerator."""
    return pool.instance_type or pool.spec.default_instance_type(cloud)


def node_gpus(pool: GpuPool, cloud: str) -> tuple[str, int] | None:
    """A pool's node type on `cloud` and the GPUs each node exposes; None when the catalog
    has no type for the accelerator there or instanceType does not carry it."""
    types = pool.spec.instance_types(cloud)
    if not types or (pool.instance_type is not None and pool.instance_type not in types):
        return None
    node = node_type(pool, cloud)
    return node, pool.spec.gpus_per_node(cloud, node)


def pool_problems(
    pool: GpuPool, cloud: str, key: str, noun: str, *, absent: str, foreign: str
) -> list[str]:
    """What is wrong with a GPU pool's node type on `cloud`: the catalog offers none for the
    accelerator, instanceType does not carry it, gpusPerNode disagrees with the type, or a
    balloon needs more GPUs than a node has.

    `key` is the pool's stack key (`<project>:gpu.pools[i]`); `noun` the cloud's word for an
    instance type (`VM size`, `machine type`); `absent` and `foreign` complete the messages
    for an accelerator the catalog has no type for and for an instanceType that does not
    carry it (the cloud's own wording)."""
    types = pool.spec.instance_types(cloud)
    if not types:
        return [f"{key}.accelerator: {pool.accelerator!r} {absent}"]
    fitted = node_gpus(pool, cloud)
    if fitted is None:
        return [
            f"{key}.instanceType: {pool.instance_type!r} {foreign}; use one of {', '.join(types)}"
        ]
    node, gpus = fitted
    problems: list[str] = []
    if pool.gpus_per_node is not None and pool.gpus_per_node != gpus:
        problems.append(
            f"{key}.gpusPerNode: {node} exposes {gpus} {GPU_RESOURCE} for "
            f"{pool.accelerator}; remove gpusPerNode (it follows from the {noun})"
        )
    if pool.balloon_gpus > gpus:
        problems.append(
            f"{key}.balloonGpus: {node} exposes only {gpus} GPUs; the balloon never fits"
        )
    return problems
