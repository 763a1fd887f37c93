"""The guards on the `gcp` block (components/model_engine/guards/gcp.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable

from tests.model_engine.guards.cases import INFRA, LAUNCH, Case, both, drop, put

CASES: dict[str, list[Case]] = {
    "gcp_workload_identity": [
        Case(
            "gcp-without-project",
            both(put(f"{INFRA}.cloud_provider", "gcp"), put("gcp", {"iam_service_account": "a"})),
            "gcp.project_id",
            "GCP_PROJECT_ID",
        )
    ],
    "gar_image_names": [
        Case(
            "nested-name-on-artifact-registry",
            both(
                put(f"{INFRA}.docker_repo_prefix", "us-central1-docker.pkg.dev/proj/repo"),
                drop(f"{INFRA}.docker_registry_type"),
            ),
            f"{LAUNCH}.batch_inference_vllm_repository",
            "nested",
        )
    ],
    "gcp_plain_redis": [
        Case(
            "plain-redis-on-gcp",
            put(f"{INFRA}.cloud_provider", "gcp"),
            f"{INFRA}.redis_host",
            "without AUTH and TLS",
            level="warning",
        )
    ],
}


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)
