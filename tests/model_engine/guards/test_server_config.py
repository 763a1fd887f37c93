"""The guards on the server's config block (components/model_engine/guards/server_config.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable

from tests.model_engine.guards.cases import INFRA, LAUNCH, Case, drop, put

CASES: dict[str, list[Case]] = {
    "no_pool_sizes": [
        Case(
            "pool-size",
            put(f"{INFRA}.db_engine_pool_size", 10),
            f"{INFRA}.db_engine_pool_size",
            "TypeError",
        ),
        Case(
            "max-overflow",
            put(f"{INFRA}.db_engine_max_overflow", 10),
            f"{INFRA}.db_engine_max_overflow",
            "TypeError",
        ),
    ],
    "fine_tune_key": [
        Case(
            "stale-key",
            put(f"{LAUNCH}.s3_file_llm_fine_tuning_job_repository", "s3://b/x"),
            f"{LAUNCH}.s3_file_llm_fine_tuning_job_repository",
            "cloud_file_llm_fine_tune_repository",
        ),
    ],
    "required_launch_keys": [
        Case(
            "fine-tune-key-missing",
            drop(f"{LAUNCH}.cloud_file_llm_fine_tune_repository"),
            f"{LAUNCH}.cloud_file_llm_fine_tune_repository",
            "crashes at import",
        ),
        Case(
            "bool-as-string",
            put(f"{LAUNCH}.istio_enabled", "false"),
            f"{LAUNCH}.istio_enabled",
            "YAML boolean",
        ),
    ],
    "required_infra_keys": [
        Case("bucket-missing", drop(f"{INFRA}.s3_bucket"), f"{INFRA}.s3_bucket", "required"),
    ],
    "endpoint_namespace": [
        Case(
            "same-as-release",
            put(f"{LAUNCH}.endpoint_namespace", "model-engine"),
            f"{LAUNCH}.endpoint_namespace",
            "must differ",
        ),
        Case(
            "not-the-created-one",
            put(f"{LAUNCH}.endpoint_namespace", "elsewhere"),
            f"{LAUNCH}.endpoint_namespace",
            "namespaces.endpoints",
        ),
    ],
    "dropped_infra_keys": [
        Case(
            "s3-endpoint-in-infra",
            put(f"{INFRA}.s3_endpoint_url", "https://minio.acme.internal"),
            f"{INFRA}.s3_endpoint_url",
            "s3EndpointUrl",
        ),
        Case(
            "redis-port-in-infra",
            put(f"{INFRA}.redis_port", 6380),
            f"{INFRA}.redis_port",
            "redisPort",
        ),
    ],
}


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)
