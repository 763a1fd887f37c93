"""Guards on the Redis cache the cacher and KEDA read: one key per cloud, no credentials in
the URL, no literal password in the values."""

from __future__ import annotations

from collections.abc import Iterator

from components.contract import is_deferred
from components.model_engine import chart_facts as cf
from components.model_engine.guards import Context, Finding, error, guard
from components.model_engine.guards.credentials import url_has_credentials


@guard
def cache_url(ctx: Context) -> Iterator[Finding]:
    present = [k for k in cf.CACHE_URL_KEYS if ctx.launch.get(k)]
    cloud = ctx.infra.get("cloud_provider")
    if not present:
        yield error(
            ctx,
            "config.values.launch",
            "no Redis cache key is set (cache_redis_*): the cacher and KEDA cannot start",
        )
    allowed = {
        "aws": {"cache_redis_aws_url", "cache_redis_aws_secret_name", "cache_redis_onprem_url"},
        "azure": {"cache_redis_azure_host", "cache_redis_onprem_url"},
        "gcp": {"cache_redis_gcp_url", "cache_redis_onprem_url"},
        "onprem": {"cache_redis_onprem_url", "cache_redis_aws_url"},
    }.get(str(cloud), set())
    for key in present:
        path = f"config.values.launch.{key}"
        value = ctx.launch[key]
        if key not in allowed:
            yield error(ctx, path, f"is not read (or asserts) with cloud_provider {cloud!r}")
        if not isinstance(value, str) or key.endswith(("_secret_name", "_host")):
            continue
        if is_deferred(value):
            continue
        if "?" in value or "#" in value:
            yield error(
                ctx,
                path,
                "nothing may follow the DB index: the server reads the index from the last "
                "'/' segment, so a query string makes it DB 0 and KEDA reads the wrong DB",
            )
        if url_has_credentials(value):
            yield error(
                ctx,
                path,
                "carries credentials, which would sit in plaintext in a ConfigMap and the Helm "
                "release; use the cloud's secret route (cache_redis_aws_secret_name)",
            )


@guard
def redis_auth_literal(ctx: Context) -> Iterator[Finding]:
    if ctx.get("redis.auth"):
        yield error(
            ctx,
            "redis.auth",
            "a literal Redis password is stored in plaintext in the Helm release; the program "
            "creates a Kubernetes Secret and sets redis.authSecretName instead",
        )
    if ctx.get("redis.enableAuth") is True and not ctx.get("redis.authSecretName"):
        yield error(ctx, "redis.authSecretName", "required when redis.enableAuth is true")
