"""The guards on the `azure` block (components/model_engine/guards/azure.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable

from tests.model_engine.guards.cases import INFRA, LAUNCH, Case, put

CASES: dict[str, list[Case]] = {
    "azure_block": [
        Case("azure-block-on-onprem", put("azure", {"client_id": "x"}), "azure", "workload"),
        Case(
            "azure-without-block",
            put(f"{INFRA}.cloud_provider", "azure"),
            "azure",
            "required with cloud_provider azure",
        ),
    ],
    "azure_redis_host": [
        Case(
            "azure-host-without-port",
            put(f"{LAUNCH}.cache_redis_azure_host", "me.eastus2.redis.azure.net"),
            f"{LAUNCH}.cache_redis_azure_host",
            "host:port",
        )
    ],
}


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)
