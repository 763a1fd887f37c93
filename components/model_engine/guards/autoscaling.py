"""Guards on autoscaling: scale from zero needs Prometheus; the chart's autoscaler blocks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from components.model_engine.guards import Context, Finding, error, guard, warning
from components.settings_base import PROJECT


@guard
def prometheus_for_scale_from_zero(ctx: Context) -> Iterator[Finding]:
    if ctx.infra.get("prometheus_server_address"):
        return
    if ctx.settings.autoscaling.scale_from_zero:
        yield error(
            ctx,
            "config.values.infra.prometheus_server_address",
            "missing: sync endpoints with min_workers=0 never scale up from zero without it; "
            f"set {PROJECT}:prometheusAddress (or install Prometheus with the add-ons), or set "
            f"{PROJECT}:autoscaling.scaleFromZero: false to accept that",
        )
    else:
        yield warning(
            ctx,
            "config.values.infra.prometheus_server_address",
            "unset: endpoints created with min_workers=0 will not scale from zero",
        )


@guard
def autoscaler_blocks(ctx: Context) -> Iterator[Finding]:
    if ctx.get("autoscaling.vertical.enabled") is True:
        for bound in ("minAllowed", "maxAllowed"):
            if not isinstance(ctx.get(f"autoscaling.vertical.{bound}"), Mapping):
                yield error(
                    ctx,
                    f"autoscaling.vertical.{bound}",
                    "required when vertical autoscaling is on (the chart dereferences it)",
                )
    if ctx.get("autoscaling.prewarming.enabled") is True:
        yield error(
            ctx,
            "autoscaling.prewarming.enabled",
            "the chart's prewarming autoscalers target deployments model-engine-balloon-a10/"
            "-a100/-t4, which never exist (balloons are named by accelerator label); use "
            f"{PROJECT}:gpu.pools[].balloonReplicas to keep nodes warm",
        )
