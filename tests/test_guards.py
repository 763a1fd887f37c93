"""One test per guard: each known pitfall in CHART_FACTS.md and the reference's High-Risk
table is rejected (or warned about) with a message that says why.

The guards run on plain values, so these tests start from the values derived for the
existing-infra example (which pass every guard) and break one thing at a time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from components.contract import GpuNodePool
from components.existing import platform as existing
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
        existing.facts(settings), settings, pools, SecretRefs(database="model-engine-database")
    )


def errors(values: Values, settings: StackSettings, pools: list[GpuNodePool]) -> dict[str, str]:
    return {f.path: f.message for f in guards.check(values, settings, pools) if f.level == "error"}


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

# (id, change, path of the finding, words in its message)
CASES: list[tuple[str, Callable[[Values], None], str, str]] = [
    ("render-needs-triton", put("triton", None), "triton", "nil pointer"),
    ("render-needs-image", drop("image"), "image", "nil pointer"),
    (
        "migration-off",
        put("db.runDbMigrationScript", False),
        "db.runDbMigrationScript",
        "no schema",
    ),
    ("init-script-on", put("db.runDbInitScript", True), "db.runDbInitScript", "CREATE SCHEMA"),
    (
        "pool-size",
        put(f"{INFRA}.db_engine_pool_size", 10),
        f"{INFRA}.db_engine_pool_size",
        "TypeError",
    ),
    (
        "max-overflow",
        put(f"{INFRA}.db_engine_max_overflow", 10),
        f"{INFRA}.db_engine_max_overflow",
        "TypeError",
    ),
    (
        "stale-fine-tune-key",
        put(f"{LAUNCH}.s3_file_llm_fine_tuning_job_repository", "s3://b/x"),
        f"{LAUNCH}.s3_file_llm_fine_tuning_job_repository",
        "cloud_file_llm_fine_tune_repository",
    ),
    (
        "fine-tune-key-missing",
        drop(f"{LAUNCH}.cloud_file_llm_fine_tune_repository"),
        f"{LAUNCH}.cloud_file_llm_fine_tune_repository",
        "crashes at import",
    ),
    (
        "bool-as-string",
        put(f"{LAUNCH}.istio_enabled", "false"),
        f"{LAUNCH}.istio_enabled",
        "YAML boolean",
    ),
    ("infra-key-missing", drop(f"{INFRA}.s3_bucket"), f"{INFRA}.s3_bucket", "required"),
    (
        "account-id-number",
        put(f"{INFRA}.ml_account_id", 111122223333),
        f"{INFRA}.ml_account_id",
        "must be a string",
    ),
    ("tag-number", put("tag", 1234567), "tag", "must be a string"),
    (
        "broker-elasticache",
        put("celeryBrokerType", "elasticache"),
        "celeryBrokerType",
        "forwarders raise",
    ),
    (
        "broker-wrong-cloud",
        put("celeryBrokerType", "sqs"),
        "celeryBrokerType",
        "does not work with cloud_provider 'onprem'",
    ),
    (
        "broker-redis-flag",
        drop("celery_broker_type_redis"),
        "celery_broker_type_redis",
        "listens on SQS",
    ),
    (
        "cloud-provider",
        put(f"{INFRA}.cloud_provider", "openstack"),
        "celeryBrokerType",
        "openstack",
    ),
    (
        "endpoint-ns-same",
        put(f"{LAUNCH}.endpoint_namespace", "model-engine"),
        f"{LAUNCH}.endpoint_namespace",
        "must differ",
    ),
    (
        "endpoint-ns-other",
        put(f"{LAUNCH}.endpoint_namespace", "elsewhere"),
        f"{LAUNCH}.endpoint_namespace",
        "namespaces.endpoints",
    ),
    (
        "short-repository",
        put(f"{LAUNCH}.vllm_repository", "vllm"),
        f"{LAUNCH}.vllm_repository",
        "INITIALIZING",
    ),
    (
        "short-image",
        put("image.gatewayRepository", "model-engine"),
        "image.gatewayRepository",
        "full repository path",
    ),
    (
        "prometheus-missing",
        drop(f"{INFRA}.prometheus_server_address"),
        f"{INFRA}.prometheus_server_address",
        "never scale up from zero",
    ),
    ("datadog-mismatch", put("dd_trace_enabled", True), "dd_trace_enabled", "must be equal"),
    (
        "sa-hook-missing",
        put("serviceAccount.annotations", {}),
        "serviceAccount.annotations",
        "before the migration hook",
    ),
    (
        "inference-sa-empty",
        put("serviceTemplate.serviceAccountAnnotations", {}),
        "serviceTemplate.serviceAccountAnnotations",
        "inference SA",
    ),
    ("node-selector-empty", put("nodeSelector", {}), "nodeSelector", "use null"),
    ("context-circleci", put("context", "circleci"), "context", "fake clients"),
    ("fullname-override", put("fullnameOverride", "me"), "fullnameOverride", "PriorityClass"),
    ("service-identifier", put("serviceIdentifier", "x"), "serviceIdentifier", "PriorityClass"),
    (
        "cache-query-string",
        put(f"{LAUNCH}.cache_redis_onprem_url", "redis://r.example.com:6379/15?ssl=true"),
        f"{LAUNCH}.cache_redis_onprem_url",
        "KEDA reads the wrong DB",
    ),
    (
        "cache-credentials",
        put(f"{LAUNCH}.cache_redis_onprem_url", "redis://:pw@r.example.com:6379/15"),
        f"{LAUNCH}.cache_redis_onprem_url",
        "plaintext",
    ),
    (
        "cache-missing",
        drop(f"{LAUNCH}.cache_redis_onprem_url"),
        "config.values.launch",
        "cacher and KEDA",
    ),
    (
        "cache-key-wrong-cloud",
        put(f"{LAUNCH}.cache_redis_azure_host", "c.redis.cache.windows.net:6380"),
        f"{LAUNCH}.cache_redis_azure_host",
        "cloud_provider 'onprem'",
    ),
    ("redis-auth-literal", put("redis.auth", "hunter2"), "redis.auth", "plaintext"),
    ("redis-auth-no-secret", put("redis.enableAuth", True), "redis.authSecretName", "enableAuth"),
    ("no-database-secret", put("secrets", {}), "secrets", "database Secret"),
    (
        "image-cache-name",
        put("imageCache.devices", [{"name": "v100", "nodeSelector": {}}]),
        "imageCache.devices[0].name",
        "device the chart knows",
    ),
    (
        "image-cache-unprovided",
        put(
            "imageCache.devices",
            [{"name": "t4", "nodeSelector": {"k8s.amazonaws.com/accelerator": "nvidia-tesla-t4"}}],
        ),
        "imageCache.devices[0]",
        "no GPU pool provides",
    ),
    (
        "balloon-unprovided",
        put("balloons", [{"acceleratorName": "nvidia-tesla-t4", "replicaCount": 1}]),
        "balloons[0]",
        "no GPU pool provides",
    ),
    (
        "hardware-unprovided",
        put(
            "recommendedHardware.byGpuMemoryGb",
            [
                {
                    "gpu_memory_le": 16,
                    "cpus": 4,
                    "gpus": 1,
                    "memory": "16Gi",
                    "storage": "40Gi",
                    "gpu_type": "nvidia-tesla-t4",
                    "nodes_per_worker": 1,
                }
            ],
        ),
        "recommendedHardware.byGpuMemoryGb[0].gpu_type",
        "never schedule",
    ),
    (
        "credential-anywhere",
        put("extraEnvVars", [{"name": "X", "value": "postgresql://u:p@h/db"}]),
        "extraEnvVars[0].value",
        "credential",
    ),
    ("label-numeric", put("context", "2024"), "context", "number or boolean"),
    (
        "vpa-bounds",
        put("autoscaling.vertical", {"enabled": True}),
        "autoscaling.vertical.minAllowed",
        "dereferences",
    ),
    (
        "prewarming",
        put("autoscaling.prewarming.enabled", True),
        "autoscaling.prewarming.enabled",
        "never exist",
    ),
    (
        "infra-typo",
        put(f"{INFRA}.prometheus_server_adress", "http://p"),
        f"{INFRA}.prometheus_server_adress",
        "silently drops",
    ),
    (
        "launch-typo",
        put(f"{LAUNCH}.sensitive_logmode", True),
        f"{LAUNCH}.sensitive_logmode",
        "silently drops",
    ),
]


def test_example_values_pass_every_guard(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    assert errors(values, settings, pools) == {}


@pytest.mark.parametrize(
    ("change", "path", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_guard_rejects(
    values: Values,
    settings: StackSettings,
    pools: list[GpuNodePool],
    change: Callable[[Values], None],
    path: str,
    words: str,
) -> None:
    found = errors(broken(values, change), settings, pools)
    assert path in found, found
    assert words in found[path], found[path]


def test_aws_config_map_guard(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    """On AWS the chart mounts the profile file everywhere: path and namespaces must be right."""
    aws = broken(values, put(f"{INFRA}.cloud_provider", "aws"))
    aws["celeryBrokerType"] = "sqs"
    aws["aws"] = {
        "configMap": {"name": "default-config", "create": True, "namespaces": ["model-engine"]}
    }
    found = errors(aws, settings, pools)
    assert "must be /opt/.aws/config" in found["aws.configMap.mountPath"]
    assert "llm-engine" in found["aws.configMap.namespaces"]
    assert "12-digit AWS account id" in found[f"{INFRA}.ml_account_id"]
    assert "eks.amazonaws.com/role-arn" in found["serviceAccount.annotations"]


def test_sqs_template_guard(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    sqs = broken(values, put("celeryBrokerType", "sqs"))
    sqs["config"]["values"]["infra"]["cloud_provider"] = "aws"
    launch = sqs["config"]["values"]["launch"]
    launch["sqs_queue_policy_template"] = '{"Resource": "arn:aws:sqs:us-east-1:1:queue"}'
    launch["sqs_queue_tag_template"] = '{"id": "${endpoint_id}"'
    found = errors(sqs, settings, pools)
    assert "${queue_name}" in found[f"{LAUNCH}.sqs_queue_policy_template"]
    assert "not a JSON string.Template" in found[f"{LAUNCH}.sqs_queue_tag_template"]


def test_identity_service_unset_is_a_warning(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    v = broken(values, drop(f"{INFRA}.identity_service_url"))
    found = guards.check(v, settings, pools)
    warning = next(f for f in found if f.path == f"{INFRA}.identity_service_url")
    assert warning.level == "warning"
    assert "no authentication" in warning.message


def test_override_finding_points_at_chart_values(
    existing_config: dict[str, Any], pools: list[GpuNodePool]
) -> None:
    set_path(existing_config, "chartValues", {"celeryBrokerType": "elasticache"})
    settings = settings_from(existing_config)
    values = derive(existing.facts(settings), settings, pools, SecretRefs(database="db"))
    found = errors(values, settings, pools)
    assert "model-engine-infra:chartValues.celeryBrokerType" in found["celeryBrokerType"]


def test_an_override_no_chart_template_reads_is_rejected_and_named(
    existing_config: dict[str, Any], pools: list[GpuNodePool]
) -> None:
    set_path(existing_config, "chartValues", {"gpuToleration": [{"key": "example.com/dedicated"}]})
    settings = settings_from(existing_config)
    values = derive(existing.facts(settings), settings, pools, SecretRefs(database="db"))
    found = errors(values, settings, pools)
    assert "no chart template reads it" in found["gpuToleration"]
    assert "model-engine-infra:chartValues.gpuToleration" in found["gpuToleration"]


def test_enforce_raises_on_errors_only() -> None:
    warning = guards.Finding("warning", "a", "b")
    guards.enforce([warning])
    with pytest.raises(guards.GuardError, match=r"x\.y: broken"):
        guards.enforce([warning, guards.Finding("error", "x.y", "broken")])
