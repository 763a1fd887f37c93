"""Guards on the `azure` block (cloud_provider azure): workload identity and Managed Redis."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from components.contract import is_deferred
from components.model_engine import chart_facts as cf
from components.model_engine.guards import Context, Finding, error, guard


@guard
def azure_block(ctx: Context) -> Iterator[Finding]:
    """The chart switches Azure on by a non-empty `azure` block, the server by
    cloud_provider: both or neither."""
    cloud = ctx.infra.get("cloud_provider")
    block = ctx.get("azure")
    if cloud != "azure":
        if block:
            yield error(
                ctx,
                "azure",
                f"must not be set with cloud_provider {cloud!r}: the chart switches its Azure "
                "workload-identity labels, annotations and env on whenever the block is set",
            )
        return
    if not isinstance(block, Mapping) or not block:
        yield error(
            ctx,
            "azure",
            "required with cloud_provider azure: without it the chart renders no workload "
            "identity, so every Azure client in the server fails to sign in",
        )
        return
    for key in cf.AZURE_KEYS:
        if block.get(key) in (None, ""):
            yield error(
                ctx, f"azure.{key}", "required on Azure (env or annotation the server reads)"
            )


@guard
def azure_redis_host(ctx: Context) -> Iterator[Finding]:
    host = ctx.launch.get("cache_redis_azure_host")
    if not isinstance(host, str) or is_deferred(host):
        return
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:\d{1,5}", host):
        yield error(
            ctx,
            "config.values.launch.cache_redis_azure_host",
            f"{host!r} must be host:port (e.g. <name>.<region>.redis.azure.net:10000): the "
            "server builds rediss://<object id>:<token>@<value>, so without the port the client "
            "dials 6379, which Azure Managed Redis does not serve",
        )
