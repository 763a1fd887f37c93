"""The guards on identities (components/model_engine/guards/identity.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable

from tests.model_engine.guards.cases import INFRA, Case, drop, on_aws, put

CASES: dict[str, list[Case]] = {
    "inference_service_account": [
        Case(
            "no-inference-annotations",
            put("serviceTemplate.serviceAccountAnnotations", {}),
            "serviceTemplate.serviceAccountAnnotations",
            "refused",
        )
    ],
    "service_account_hooks": [
        Case(
            "hook-missing",
            put("serviceAccount.annotations", {}),
            "serviceAccount.annotations",
            "before the migration hook",
        ),
        Case(
            "inference-sa-empty",
            put("serviceTemplate.serviceAccountAnnotations", {}),
            "serviceTemplate.serviceAccountAnnotations",
            "inference SA",
        ),
        Case(
            "no-irsa-on-aws",
            on_aws,
            "serviceAccount.annotations",
            "eks.amazonaws.com/role-arn",
        ),
    ],
    "identity_service": [
        Case(
            "unset",
            drop(f"{INFRA}.identity_service_url"),
            f"{INFRA}.identity_service_url",
            "no authentication",
            level="warning",
        ),
    ],
}


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)
