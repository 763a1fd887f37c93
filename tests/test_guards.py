"""Every guard, by name: each known pitfall of the chart is rejected (or warned about) by
the guard written for it, with a message that says why.

The guards run on plain values, so these tests start from the values derived for the
existing-infra example (which pass every guard) and break one thing at a time. Each guard
runs on its own (`by_guard`), so a finding of one guard cannot stand in for another's, and
CASES must name every guard in guards.GUARDS.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from components.contract import GpuNodePool
from components.existing import facts as existing
from components.model_engine import guards
from components.model_engine.derive import SecretRefs, derive
from components.settings import StackSettings
from tests.helpers import set_path, settings_from

Values = dict[str, Any]


@pytest.fixture
def settings(existing_config: dict[str, Any]) -> StackSettings:
    return settings_from(existing_config)


@pytest.fixture
def pools(settings: StackSettings) -> list[GpuNodePool]:
    return existing.gpu_pools(settings)


@pytest.fixture
def values(settings: StackSettings, pools: list[GpuNodePool]) -> Values:
    return derive(
        existing.preview_facts(settings),
        settings,
        pools,
        SecretRefs(database="model-engine-database"),
    )


def by_guard(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> dict[str, list[guards.Finding]]:
    """Every finding, under the name of the guard that raised it: each guard runs on its
    own, so no guard's finding can hide another's (two findings on one path both stay)."""
    ctx = guards.Context(values, settings, pools)
    return {g.__name__: list(g(ctx)) for g in guards.GUARDS}


def errors(values: Values, settings: StackSettings, pools: list[GpuNodePool]) -> list[str]:
    return [
        f"{name}: {f}"
        for name, found in by_guard(values, settings, pools).items()
        for f in found
        if f.level == "error"
    ]


def broken(values: Values, change: Callable[[Values], None]) -> Values:
    out = copy.deepcopy(values)
    change(out)
    return out


def put(path: str, value: Any) -> Callable[[Values], None]:
    def change(v: Values) -> None:
        node = v
        parts = path.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value

    return change


def drop(path: str) -> Callable[[Values], None]:
    def change(v: Values) -> None:
        node = v
        parts = path.split(".")
        for p in parts[:-1]:
            node = node[p]
        del node[parts[-1]]

    return change


INFRA = "config.values.infra"
LAUNCH = "config.values.launch"
Change = Callable[[Values], None]


def both(*changes: Change) -> Change:
    def change(v: Values) -> None:
        for c in changes:
            c(v)

    return change


def on_aws(v: Values) -> None:
    """The existing-infra values, moved to cloud_provider aws (SQS broker)."""
    put(f"{INFRA}.cloud_provider", "aws")(v)
    put("celeryBrokerType", "sqs")(v)
    drop("celery_broker_type_redis")(v)
    put(
        f"{LAUNCH}.sqs_queue_policy_template",
        '{"Resource": "arn:aws:sqs:us-west-2:111122223333:${queue_name}"}',
    )(v)
    put(f"{LAUNCH}.sqs_queue_tag_template", '{"id": "${endpoint_id}"}')(v)
    put(
        "aws.configMap",
        {
            "create": True,
            "name": "default-config",
            "namespaces": ["model-engine", "llm-engine"],
            "mountPath": "/opt/.aws/config",
        },
    )(v)


T4_TIER = {
    "gpu_memory_le": 16,
    "cpus": 4,
    "gpus": 1,
    "memory": "16Gi",
    "storage": "40Gi",
    "gpu_type": "nvidia-tesla-t4",
    "nodes_per_worker": 1,
}


@dataclass(frozen=True)
class Case:
    id: str
    change: Change
    path: str
    words: str
    level: str = "error"


# Guard (function name in guards.GUARDS) -> the values that guard must reject, the path of
# its finding and words of its message. Every guard has an entry (checked below); a new
# guard adds its name and at least one case.
CASES: dict[str, list[Case]] = {
    "render_prerequisites": [
        Case("triton-null", put("triton", None), "triton", "nil pointer"),
        Case("image-missing", drop("image"), "image", "nil pointer"),
    ],
    "migration_runs": [
        Case(
            "migration-off",
            put("db.runDbMigrationScript", False),
            "db.runDbMigrationScript",
            "no schema",
        ),
        Case(
            "init-script-on",
            put("db.runDbInitScript", True),
            "db.runDbInitScript",
            "CREATE SCHEMA",
        ),
    ],
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
    "broker_type": [
        Case(
            "elasticache",
            put("celeryBrokerType", "elasticache"),
            "celeryBrokerType",
            "forwarders raise",
        ),
        Case(
            "wrong-cloud",
            put("celeryBrokerType", "sqs"),
            "celeryBrokerType",
            "does not work with cloud_provider 'onprem'",
        ),
        Case(
            "redis-flag",
            drop("celery_broker_type_redis"),
            "celery_broker_type_redis",
            "listens on SQS",
        ),
        Case(
            "unknown-cloud",
            put(f"{INFRA}.cloud_provider", "openstack"),
            f"{INFRA}.cloud_provider",
            "'openstack' is not one of",
        ),
    ],
    "sqs_templates": [
        Case(
            "policy-without-queue-name",
            both(
                on_aws,
                put(
                    f"{LAUNCH}.sqs_queue_policy_template",
                    '{"Resource": "arn:aws:sqs:us-east-1:111122223333:queue"}',
                ),
            ),
            f"{LAUNCH}.sqs_queue_policy_template",
            "${queue_name}",
        ),
        Case(
            "tags-not-json",
            both(on_aws, put(f"{LAUNCH}.sqs_queue_tag_template", '{"id": "${endpoint_id}"')),
            f"{LAUNCH}.sqs_queue_tag_template",
            "not a JSON string.Template",
        ),
        Case(
            "unknown-placeholder",
            both(on_aws, put(f"{LAUNCH}.sqs_queue_tag_template", '{"t": "${owner}"}')),
            f"{LAUNCH}.sqs_queue_tag_template",
            "unknown placeholders ['owner']",
        ),
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
    # As the guard behaves today (full references); the guard's rule is being inverted.
    "aws_block_off_aws": [
        Case(
            "aws-block-on-onprem",
            put("aws", {"configMap": {"create": True, "name": "default-config"}}),
            "aws",
            "AWS_PROFILE",
        )
    ],
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
    "inference_service_account": [
        Case(
            "no-inference-annotations",
            put("serviceTemplate.serviceAccountAnnotations", {}),
            "serviceTemplate.serviceAccountAnnotations",
            "refused",
        )
    ],
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
    "redis_broker_results": [
        Case("no-result-backend", drop("celeryResultBackend"), "celeryResultBackend", "boto3"),
        Case(
            "result-backend-on-a-broker-db",
            put("celeryResultBackend", "redis://redis.data.acme.internal:6379/3"),
            "celeryResultBackend",
            "used by the broker",
        ),
        Case(
            "celery-autoscaler-on-redis",
            put("celery_autoscaler.enabled", True),
            "celery_autoscaler.enabled",
            "must be false",
        ),
    ],
    "prometheus_for_scale_from_zero": [
        Case(
            "missing",
            drop(f"{INFRA}.prometheus_server_address"),
            f"{INFRA}.prometheus_server_address",
            "never scale up from zero",
        ),
    ],
    "datadog_toggles": [
        Case("mismatch", put("dd_trace_enabled", True), "dd_trace_enabled", "must be equal"),
    ],
    "aws_config_map": [
        Case(
            "mount-path-missing",
            both(on_aws, drop("aws.configMap.mountPath")),
            "aws.configMap.mountPath",
            "must be /opt/.aws/config",
        ),
        Case(
            "endpoint-namespace-missing",
            both(on_aws, put("aws.configMap.namespaces", ["model-engine"])),
            "aws.configMap.namespaces",
            "llm-engine",
        ),
        Case(
            "not-created",
            both(on_aws, put("aws.configMap.create", False)),
            "aws.configMap.create",
            "must be true on AWS",
        ),
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
    "node_selector": [
        Case("empty", put("nodeSelector", {}), "nodeSelector", "use null"),
    ],
    "context_value": [
        Case("circleci", put("context", "circleci"), "context", "fake clients"),
    ],
    "label_values": [
        Case("numeric", put("context", "2024"), "context", "number or boolean"),
        Case("invalid", put("datadog.env", "prod/eu"), "datadog.env", "not a valid label"),
    ],
    "autoscaler_blocks": [
        Case(
            "vpa-bounds",
            put("autoscaling.vertical", {"enabled": True}),
            "autoscaling.vertical.minAllowed",
            "dereferences",
        ),
        Case(
            "prewarming",
            put("autoscaling.prewarming.enabled", True),
            "autoscaling.prewarming.enabled",
            "never exist",
        ),
    ],
    "forbidden_top_level": [
        Case("fullname-override", put("fullnameOverride", "me"), "fullnameOverride", "Priority"),
        Case("service-identifier", put("serviceIdentifier", "x"), "serviceIdentifier", "Priority"),
    ],
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
    "database_secret": [
        Case("none", put("secrets", {}), "secrets", "database Secret"),
    ],
    "image_cache_devices": [
        Case(
            "unknown-device",
            put("imageCache.devices", [{"name": "v100", "nodeSelector": {}}]),
            "imageCache.devices[0].name",
            "device the chart knows",
        ),
        Case(
            "unprovided",
            put(
                "imageCache.devices",
                [
                    {
                        "name": "t4",
                        "nodeSelector": {"k8s.amazonaws.com/accelerator": "nvidia-tesla-t4"},
                    }
                ],
            ),
            "imageCache.devices[0]",
            "no GPU pool provides",
        ),
    ],
    "balloon_accelerators": [
        Case(
            "unprovided",
            put("balloons", [{"acceleratorName": "nvidia-tesla-t4", "replicaCount": 1}]),
            "balloons[0]",
            "no GPU pool provides",
        ),
        Case(
            "unknown-label",
            put("balloons", [{"acceleratorName": "nvidia-v100", "replicaCount": 1}]),
            "balloons[0].acceleratorName",
            "not a known GPU label",
        ),
    ],
    "hardware_tiers": [
        Case(
            "unprovided",
            put("recommendedHardware.byGpuMemoryGb", [T4_TIER]),
            "recommendedHardware.byGpuMemoryGb[0].gpu_type",
            "never schedule",
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
    "no_credentials_anywhere": [
        Case(
            "url-in-env",
            put("extraEnvVars", [{"name": "X", "value": "postgresql://u:p@h/db"}]),
            "extraEnvVars[0].value",
            "credential",
        ),
        Case(
            "unresolved-secret",
            put("extraEnvVars", [{"name": "X", "value": "[secret]"}]),
            "extraEnvVars[0].value",
            "credential",
        ),
    ],
}


def test_every_guard_has_a_case() -> None:
    """Removing (or renaming) a guard, or adding one without a case, fails here."""
    assert set(CASES) == {g.__name__ for g in guards.GUARDS}


def test_example_values_pass_every_guard(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    assert errors(values, settings, pools) == []


@pytest.mark.parametrize(
    ("guard", "case"),
    [(g, c) for g, cases in CASES.items() for c in cases],
    ids=[f"{g}-{c.id}" for g, cases in CASES.items() for c in cases],
)
def test_guard_rejects(
    values: Values, settings: StackSettings, pools: list[GpuNodePool], guard: str, case: Case
) -> None:
    """THAT guard (by name) reports the broken value, whatever the other guards say."""
    found = by_guard(broken(values, case.change), settings, pools)[guard]
    matching = [f for f in found if f.path == case.path and case.words in f.message]
    assert matching, found
    assert {f.level for f in matching} == {case.level}
    unbroken = by_guard(values, settings, pools)[guard]
    assert not [f for f in unbroken if f.path == case.path and f.level == case.level], (
        "the unbroken example values already trip this guard"
    )


def test_aws_cases_start_from_values_the_aws_guards_accept(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    """The AWS cases break one thing each, not the starting point."""
    found = by_guard(broken(values, on_aws), settings, pools)
    assert found["aws_config_map"] == []
    assert found["sqs_templates"] == []
    assert found["broker_type"] == []


# Checked by the typed model after the guards (guards.check), not by a guard.
MODEL_CASES = [
    pytest.param(
        put(f"{INFRA}.prometheus_server_adress", "http://p"),
        f"{INFRA}.prometheus_server_adress",
        id="infra-typo",
    ),
    pytest.param(
        put(f"{LAUNCH}.sensitive_logmode", True), f"{LAUNCH}.sensitive_logmode", id="launch-typo"
    ),
]


@pytest.mark.parametrize(("change", "path"), MODEL_CASES)
def test_model_rejects_unknown_server_keys(
    values: Values, settings: StackSettings, pools: list[GpuNodePool], change: Change, path: str
) -> None:
    v = broken(values, change)
    assert errors(v, settings, pools) == []
    found = {f.path: f.message for f in guards.check(v, settings, pools) if f.level == "error"}
    assert "silently drops" in found[path], found


def test_scale_from_zero_off_makes_missing_prometheus_a_warning(
    existing_config: dict[str, Any], pools: list[GpuNodePool], values: Values
) -> None:
    set_path(existing_config, "autoscaling", {"scaleFromZero": False})
    settings = settings_from(existing_config)
    v = broken(values, drop(f"{INFRA}.prometheus_server_address"))
    [finding] = by_guard(v, settings, pools)["prometheus_for_scale_from_zero"]
    assert finding.level == "warning" and "will not scale from zero" in finding.message


def test_override_finding_points_at_chart_values(
    existing_config: dict[str, Any], pools: list[GpuNodePool]
) -> None:
    set_path(existing_config, "chartValues", {"celeryBrokerType": "elasticache"})
    settings = settings_from(existing_config)
    values = derive(existing.preview_facts(settings), settings, pools, SecretRefs(database="db"))
    [finding] = by_guard(values, settings, pools)["broker_type"]
    assert finding.path == "celeryBrokerType"
    assert "model-engine-infra:chartValues.celeryBrokerType" in finding.message


def test_check_reports_every_guards_findings(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    """guards.check (what the program runs) loses none of the per-guard findings."""
    v = broken(values, both(put("redis.auth", "hunter2"), put("context", "circleci")))
    expected = [f for found in by_guard(v, settings, pools).values() for f in found]
    assert guards.check(v, settings, pools) == expected


def test_an_override_no_chart_template_reads_is_rejected_and_named(
    existing_config: dict[str, Any], pools: list[GpuNodePool]
) -> None:
    set_path(existing_config, "chartValues", {"gpuToleration": [{"key": "example.com/dedicated"}]})
    settings = settings_from(existing_config)
    values = derive(existing.preview_facts(settings), settings, pools, SecretRefs(database="db"))
    found = {f.path: f.message for f in guards.check(values, settings, pools) if f.level == "error"}
    assert "no chart template reads it" in found["gpuToleration"]
    assert "model-engine-infra:chartValues.gpuToleration" in found["gpuToleration"]


def test_enforce_raises_on_errors_only() -> None:
    warning = guards.Finding("warning", "a", "b")
    guards.enforce([warning])
    with pytest.raises(guards.GuardError, match=r"x\.y: broken"):
        guards.enforce([warning, guards.Finding("error", "x.y", "broken")])
