"""The guards on where pods land (components/model_engine/guards/scheduling.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable

from tests.model_engine.guards.cases import Case, put

T4_TIER = {
    "gpu_memory_le": 16,
    "cpus": 4,
    "gpus": 1,
    "memory": "16Gi",
    "storage": "40Gi",
    "gpu_type": "nvidia-tesla-t4",
    "nodes_per_worker": 1,
}

CASES: dict[str, list[Case]] = {
    "node_selector": [
        Case("empty", put("nodeSelector", {}), "nodeSelector", "use null"),
    ],
    "image_cache_devices": [
        Case(
            "unknown-device",
            put("imageCache.devices", [{"name": "v100", "nodeSelector": {}}]),
            "imageCache.devices[0].name",
            "device the chart knows",
        ),
        Case(
            "unprovided",
            put(
                "imageCache.devices",
                [
                    {
                        "name": "t4",
                        "nodeSelector": {"k8s.amazonaws.com/accelerator": "nvidia-tesla-t4"},
                    }
                ],
            ),
            "imageCache.devices[0]",
            "no GPU pool provides",
        ),
    ],
    "balloon_accelerators": [
        Case(
            "unprovided",
            put("balloons", [{"acceleratorName": "nvidia-tesla-t4", "replicaCount": 1}]),
            "balloons[0]",
            "no GPU pool provides",
        ),
        Case(
            "unknown-label",
            put("balloons", [{"acceleratorName": "nvidia-v100", "replicaCount": 1}]),
            "balloons[0].acceleratorName",
            "not a known GPU label",
        ),
    ],
    "hardware_tiers": [
        Case(
            "unprovided",
            put("recommendedHardware.byGpuMemoryGb", [T4_TIER]),
            "recommendedHardware.byGpuMemoryGb[0].gpu_type",
            "never schedule",
        ),
    ],
}


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)
