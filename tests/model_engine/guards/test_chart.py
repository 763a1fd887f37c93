"""The guards on the chart's own structure (components/model_engine/guards/chart.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable

from tests.model_engine.guards.cases import INFRA, Case, both, drop, on_aws, put

CASES: dict[str, list[Case]] = {
    "render_prerequisites": [
        Case("triton-null", put("triton", None), "triton", "nil pointer"),
        Case("image-missing", drop("image"), "image", "nil pointer"),
    ],
    "string_ids": [
        Case(
            "account-id-number",
            put(f"{INFRA}.ml_account_id", 111122223333),
            f"{INFRA}.ml_account_id",
            "must be a string",
        ),
        Case("tag-number", put("tag", 1234567), "tag", "must be a string"),
        Case(
            "aws-account-not-12-digits",
            both(on_aws, put(f"{INFRA}.ml_account_id", "onprem")),
            f"{INFRA}.ml_account_id",
            "12-digit AWS account id",
        ),
    ],
    "datadog_toggles": [
        Case("mismatch", put("dd_trace_enabled", True), "dd_trace_enabled", "must be equal"),
    ],
    "context_value": [
        Case("circleci", put("context", "circleci"), "context", "fake clients"),
    ],
    "label_values": [
        Case("numeric", put("context", "2024"), "context", "number or boolean"),
        Case("invalid", put("datadog.env", "prod/eu"), "datadog.env", "not a valid label"),
    ],
    "forbidden_top_level": [
        Case("fullname-override", put("fullnameOverride", "me"), "fullnameOverride", "Priority"),
        Case("service-identifier", put("serviceIdentifier", "x"), "serviceIdentifier", "Priority"),
    ],
}


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)
