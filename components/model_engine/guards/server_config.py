"""Guards on the server's config block (config.values.infra / launch): keys it requires,
keys it never reads, and the namespace it creates endpoints in."""

from __future__ import annotations

from collections.abc import Iterator

from components.model_engine import chart_facts as cf
from components.model_engine.guards import Context, Finding, error, guard
from components.settings_base import PROJECT


@guard
def no_pool_sizes(ctx: Context) -> Iterator[Finding]:
    for key, why in cf.FORBIDDEN_INFRA_KEYS.items():
        if key in ctx.infra:
            yield error(ctx, f"config.values.infra.{key}", f"must not be set: {why}")


@guard
def fine_tune_key(ctx: Context) -> Iterator[Finding]:
    for key, why in cf.STALE_LAUNCH_KEYS.items():
        if key in ctx.launch:
            yield error(ctx, f"config.values.launch.{key}", f"stale key: {why}")


@guard
def required_launch_keys(ctx: Context) -> Iterator[Finding]:
    for key in cf.REQUIRED_LAUNCH_KEYS:
        if ctx.launch.get(key) in (None, ""):
            yield error(
                ctx,
                f"config.values.launch.{key}",
                "required by the server: without it every component crashes at import",
            )
    for key in cf.BOOL_LAUNCH_KEYS:
        value = ctx.launch.get(key)
        if value is not None and not isinstance(value, bool):
            yield error(
                ctx,
                f"config.values.launch.{key}",
                f"must be a YAML boolean, not {value!r}: the chart quotes non-bools and the "
                "string 'false' is true to the server",
            )


@guard
def required_infra_keys(ctx: Context) -> Iterator[Finding]:
    for key in cf.REQUIRED_INFRA_KEYS:
        if ctx.infra.get(key) in (None, ""):
            yield error(ctx, f"config.values.infra.{key}", "required by the server")


@guard
def dropped_infra_keys(ctx: Context) -> Iterator[Finding]:
    for key, why in cf.DROPPED_INFRA_KEYS.items():
        if key in ctx.infra:
            yield error(ctx, f"config.values.infra.{key}", f"is never read: {why}")


@guard
def endpoint_namespace(ctx: Context) -> Iterator[Finding]:
    ns = ctx.launch.get("endpoint_namespace")
    if ns == ctx.settings.namespaces.release:
        yield error(
            ctx,
            "config.values.launch.endpoint_namespace",
            "must differ from the release namespace",
        )
    elif ns != ctx.settings.namespaces.endpoints:
        yield error(
            ctx,
            "config.values.launch.endpoint_namespace",
            f"{ns!r} is not the namespace this program creates and fills with Secrets "
            f"({ctx.settings.namespaces.endpoints!r}); set {PROJECT}:namespaces.endpoints "
            "instead",
        )
