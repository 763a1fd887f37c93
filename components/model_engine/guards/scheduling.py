"""Guards on where pods land: node selectors, and the GPU labels that image-cache pods,
balloons and recommended hardware select, which some GPU pool must provide."""

from __future__ import annotations

from collections.abc import Iterator

from components import accelerators
from components.model_engine.guards import Context, Finding, error, guard
from components.settings_base import PROJECT


@guard
def node_selector(ctx: Context) -> Iterator[Finding]:
    if ctx.has("nodeSelector") and ctx.get("nodeSelector") == {}:
        yield error(
            ctx,
            "nodeSelector",
            "{} does not clear the chart default `node-lifecycle: normal`; use null",
        )


@guard
def image_cache_devices(ctx: Context) -> Iterator[Finding]:
    provided = ctx.provided_gpus
    for i, device in enumerate(ctx.get("imageCache.devices") or []):
        name = device.get("name")
        if name not in accelerators.IMAGE_CACHE_DEVICES:
            yield error(
                ctx,
                f"imageCache.devices[{i}].name",
                f"{name!r} is not a device the chart knows "
                f"({', '.join(sorted(accelerators.IMAGE_CACHE_DEVICES))})",
            )
        label = (device.get("nodeSelector") or {}).get(accelerators.ACCELERATOR_LABEL)
        if label and label not in provided:
            yield error(
                ctx,
                f"imageCache.devices[{i}]",
                f"selects {label!r} nodes, but no GPU pool provides them: its pods never schedule",
            )


@guard
def balloon_accelerators(ctx: Context) -> Iterator[Finding]:
    provided = ctx.provided_gpus
    for i, balloon in enumerate(ctx.get("balloons") or []):
        name = balloon.get("acceleratorName")
        if name == "cpu":
            continue
        if name not in accelerators.BY_LABEL:
            yield error(ctx, f"balloons[{i}].acceleratorName", f"{name!r} is not a known GPU label")
        elif name not in provided and balloon.get("replicaCount"):
            yield error(
                ctx,
                f"balloons[{i}]",
                f"warms {name!r} nodes, but no GPU pool provides them; the balloon pods stay "
                "Pending (and may keep the autoscaler busy)",
            )


@guard
def hardware_tiers(ctx: Context) -> Iterator[Finding]:
    provided = ctx.provided_gpus
    for table in ("byGpuMemoryGb", "byModelName"):
        for i, tier in enumerate(ctx.get(f"recommendedHardware.{table}") or []):
            gpu = tier.get("gpu_type")
            if gpu not in provided:
                yield error(
                    ctx,
                    f"recommendedHardware.{table}[{i}].gpu_type",
                    f"{gpu!r} is provided by no GPU pool (pools: "
                    f"{', '.join(sorted(provided)) or 'none'}): endpoints given this "
                    f"recommendation never schedule; add a pool to {PROJECT}:gpu.pools or "
                    f"change {PROJECT}:gpu.recommendedHardware",
                )
