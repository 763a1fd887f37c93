"""The guards on image references (components/model_engine/guards/registry.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable

from tests.model_engine.guards.cases import LAUNCH, Case, put

CASES: dict[str, list[Case]] = {
    "relative_repositories": [
        Case(
            "full-repository-reference",
            put(f"{LAUNCH}.vllm_repository", "harbor.acme.internal/model-engine/vllm"),
            f"{LAUNCH}.vllm_repository",
            "DockerImageNotFound",
        ),
        Case(
            "repository-with-tag",
            put(f"{LAUNCH}.tgi_repository", "text-generation-inference:1.1.0"),
            f"{LAUNCH}.tgi_repository",
            "tag or digest",
        ),
        Case(
            "short-image",
            put("image.gatewayRepository", "model-engine"),
            "image.gatewayRepository",
            "full repository path",
        ),
    ],
    "cacher_registry": [
        Case(
            "cacher-on-a-registry-without-tag-lookup",
            put("replicaCount.cacher", 1),
            "replicaCount.cacher",
            "NotImplementedError",
        ),
    ],
}


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)
