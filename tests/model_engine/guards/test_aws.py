"""The guards on the `aws` block (components/model_engine/guards/aws.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable

from components.contract import GpuNodePool
from components.settings import StackSettings
from tests.model_engine.guards.cases import Case, Values, both, broken, by_guard, drop, on_aws, put

CASES: dict[str, list[Case]] = {
    "aws_block_off_aws": [
        Case(
            "aws-block-on-onprem",
            put("aws", {"configMap": {"create": True, "name": "default-config"}}),
            "aws",
            "AWS_PROFILE",
        )
    ],
    "aws_config_map": [
        Case(
            "mount-path-missing",
            both(on_aws, drop("aws.configMap.mountPath")),
            "aws.configMap.mountPath",
            "must be /opt/.aws/config",
        ),
        Case(
            "release-namespace-missing",
            both(on_aws, put("aws.configMap.namespaces", [])),
            "aws.configMap.namespaces",
            "'model-engine'",
        ),
        # The chart's hook would write the control-plane-only file over the program's one.
        Case(
            "chart-writes-the-endpoint-namespace-file",
            both(on_aws, put("aws.configMap.namespaces", ["model-engine", "llm-engine"])),
            "aws.configMap.namespaces",
            "not 'llm-engine'",
        ),
        Case(
            "other-config-map-name",
            both(on_aws, put("aws.configMap.name", "aws-config")),
            "aws.configMap.name",
            "'default-config'",
        ),
        Case(
            "other-control-plane-profile",
            both(on_aws, put("aws.profileName", "ml-worker")),
            "aws.profileName",
            "'default'",
        ),
        # The server's own default: forwarders would open the control-plane role's profile.
        Case(
            "inference-profile-is-the-control-planes",
            both(on_aws, put("config.values.infra.profile_ml_inference_worker", "default")),
            "config.values.infra.profile_ml_inference_worker",
            "'ml-inference'",
        ),
        Case(
            "not-created",
            both(on_aws, put("aws.configMap.create", False)),
            "aws.configMap.create",
            "must be true on AWS",
        ),
    ],
}


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)


def test_aws_cases_start_from_values_the_aws_guards_accept(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    """The AWS cases break one thing each, not the starting point."""
    found = by_guard(broken(values, on_aws), settings, pools)
    assert found["aws_config_map"] == []
    assert found["sqs_templates"] == []
    assert found["broker_type"] == []
