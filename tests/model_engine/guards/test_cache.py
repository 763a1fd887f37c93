"""The guards on the Redis cache (components/model_engine/guards/cache.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable

from tests.model_engine.guards.cases import LAUNCH, Case, drop, put

CASES: dict[str, list[Case]] = {
    "cache_url": [
        Case(
            "query-string",
            put(f"{LAUNCH}.cache_redis_onprem_url", "redis://r.example.com:6379/15?ssl=true"),
            f"{LAUNCH}.cache_redis_onprem_url",
            "KEDA reads the wrong DB",
        ),
        Case(
            "credentials",
            put(f"{LAUNCH}.cache_redis_onprem_url", "redis://:pw@r.example.com:6379/15"),
            f"{LAUNCH}.cache_redis_onprem_url",
            "carries credentials",
        ),
        Case(
            "missing",
            drop(f"{LAUNCH}.cache_redis_onprem_url"),
            "config.values.launch",
            "cacher and KEDA",
        ),
        Case(
            "key-of-another-cloud",
            put(f"{LAUNCH}.cache_redis_azure_host", "c.redis.cache.windows.net:6380"),
            f"{LAUNCH}.cache_redis_azure_host",
            "cloud_provider 'onprem'",
        ),
    ],
    "redis_auth_literal": [
        Case("literal", put("redis.auth", "hunter2"), "redis.auth", "plaintext"),
        Case("no-secret", put("redis.enableAuth", True), "redis.authSecretName", "enableAuth"),
    ],
}


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)
