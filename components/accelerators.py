"""The GPU catalog: the one place that knows what each accelerator is called everywhere.

A pool in the stack file names an accelerator by its short key (``a10``, ``h100-1g20gb``).
From that key alone the program knows the node label value the chart and the server
select on, the image-cache device name, the GPU memory the hardware tiers reason about and
its MIG profile. Which instance types carry it on a cloud, and how many GPUs each has, are
that platform's rows (`components/<cloud>/catalog.py`, read through components/instances.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from components import instances

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
        """The node types that carry this accelerator on `cloud`, with the physical GPUs
        each has; the first is the default. Empty where the platform offers none."""
        return instances.catalog(cloud).accelerators.get(self.key, {})

    def gpus_per_node(self, cloud: str, instance_type: str) -> int:
        """Schedulable ``nvidia.com/gpu`` per node (MIG slices count one each)."""
        return self.instance_types(cloud)[instance_type] * self.slices_per_gpu


def _catalog(*items: Accelerator) -> Mapping[str, Accelerator]:
    return MappingProxyType({a.key: a for a in items})


CATALOG: Mapping[str, Accelerator] = _catalog(
    Accelerator("t4", "nvidia-tesla-t4", 16, "t4"),
    Accelerator("a10", "nvidia-ampere-a10", 24, "a10"),
    Accelerator("a100", "nvidia-ampere-a100", 40, "a100"),
    Accelerator("a100e", "nvidia-ampere-a100e", 80, None),
    # 80: the smaller of the H100s the clouds sell under this label (Azure's NC H100 v5
    # carries the 94GB H100 NVL; components/azure/catalog.py says why one label serves both).
    Accelerator("h100", "nvidia-hopper-h100", 80, "h100"),
    Accelerator(
        "h100-1g20gb",
        "nvidia-hopper-h100-1g20gb",
        20,
        "h100-1g20gb",
        mig_profile="1g.20gb",
        slices_per_gpu=4,
    ),
    Accelerator(
        "h100-3g40gb",
        "nvidia-hopper-h100-3g40gb",
        40,
        "h100-3g40gb",
        mig_profile="3g.40gb",
        slices_per_gpu=2,
    ),
)

BY_LABEL: Mapping[str, Accelerator] = MappingProxyType({a.label_value: a for a in CATALOG.values()})

# Names the chart accepts as imageCache device names (the `cpu` device plus GPU devices).
IMAGE_CACHE_DEVICES = frozenset(
    {"cpu"} | {a.image_cache_device for a in CATALOG.values() if a.image_cache_device}
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
            f"{key}.balloonGpus: {node} exposes only {gpus} GPU{'' if gpus == 1 else 's'}; "
            "the balloon never fits"
        )
    return problems
