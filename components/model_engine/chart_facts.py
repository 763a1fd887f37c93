"""What the model-engine chart and server at the pinned commit require: one place for each fact.

Source: scaleapi/llm-engine charts/model-engine at commit
a82369619a365b79a45e49ef6af1045653102615 (chart 0.2.7) and the server's config classes
(model_engine_server/common/config.py, core/config.py) at the same commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

CLOUD_PROVIDERS = ("aws", "azure", "gcp", "onprem")
BROKER_TYPES = ("sqs", "servicebus", "redis")
# The broker each cloud_provider can actually use (elasticache makes forwarders raise).
BROKERS_FOR_CLOUD: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"aws": ("sqs", "redis"), "azure": ("servicebus",), "gcp": ("redis",), "onprem": ("redis",)}
)

# config.values.launch keys that name an inference image repository, with the chart's
# default path. A value without a registry host gets docker_repo_prefix prepended.
INFERENCE_REPOSITORIES: Mapping[str, str] = MappingProxyType(
    {
        "vllm_repository": "vllm",
        "tensorrt_llm_repository": "tensorrt-llm",
        "batch_inference_vllm_repository": "llm-engine/batch-infer-vllm",
        "tgi_repository": "text-generation-inference",
        "lightllm_repository": "lightllm",
        "sglang_repository": "sglang",
        "user_inference_base_repository": "launch/inference",
        "user_inference_pytorch_repository": "launch/inference/pytorch",
        "user_inference_tensorflow_repository": "launch/inference/tf",
        "docker_image_layer_cache_repository": "launch-docker-build-cache",
    }
)
OPTIONAL_REPOSITORIES = frozenset({"sglang_repository"})

# HostedModelInferenceServiceConfig fields without a default: a missing one crashes every
# server component at import.
REQUIRED_LAUNCH_KEYS = (
    "endpoint_namespace",
    "billing_queue_arn",
    "sqs_profile",
    "sqs_queue_policy_template",
    "sqs_queue_tag_template",
    "model_primitive_host",
    "cloud_file_llm_fine_tune_repository",
    "hf_user_fine_tuned_weights_prefix",
    "istio_enabled",
    "dd_trace_enabled",
    *(k for k in INFERENCE_REPOSITORIES if k not in OPTIONAL_REPOSITORIES),
    "sensitive_log_mode",
)
BOOL_LAUNCH_KEYS = ("istio_enabled", "dd_trace_enabled", "sensitive_log_mode")
CACHE_URL_KEYS = (
    "cache_redis_onprem_url",
    "cache_redis_aws_url",
    "cache_redis_gcp_url",
    "cache_redis_aws_secret_name",
    "cache_redis_azure_host",
)
# Keys older operator guides name but the server at the pinned commit never reads.
STALE_LAUNCH_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "s3_file_llm_fine_tuning_job_repository": (
            "nothing reads it; the server needs cloud_file_llm_fine_tune_repository"
        ),
    }
)
# The chart quotes every non-bool infra value; SQLAlchemy then gets a string pool size.
FORBIDDEN_INFRA_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "db_engine_pool_size": "the chart quotes it and SQLAlchemy raises TypeError on a string",
        "db_engine_max_overflow": "the chart quotes it and SQLAlchemy raises TypeError on a string",
    }
)
REQUIRED_INFRA_KEYS = (
    "cloud_provider",
    "k8s_cluster_name",
    "dns_host_domain",
    "default_region",
    "ml_account_id",
    "docker_repo_prefix",
    "s3_bucket",
)

# Values without which `helm template` fails with a nil pointer.
REQUIRED_TOP_LEVEL = (
    "secrets",
    "serviceAccount",
    "config",
    "image",
    "triton",
    "serviceTemplate",
    "imageCache",
    "virtualservice",
    "destinationrule",
    "autoscaling",
    "celery_autoscaler",
    "hostDomain",
    "service",
    "replicaCount",
)

DATABASE_SECRET_KEY = "database_url"
REDIS_AUTH_SECRET_KEY = "auth_token"
# Code hard-codes these PriorityClass names; renaming the release's objects breaks them.
FORBIDDEN_TOP_LEVEL: Mapping[str, str] = MappingProxyType(
    {
        "fullnameOverride": "the server hard-codes model-engine-* PriorityClass names",
        "serviceIdentifier": "the server hard-codes model-engine-* PriorityClass names",
    }
)
SERVICE_ACCOUNT_HOOK = MappingProxyType(
    {"helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "-2"}
)
AWS_CONFIG_MOUNT_PATH = "/opt/.aws/config"
CONTROL_PLANE_SERVICE_ACCOUNT = "model-engine"
INFERENCE_SERVICE_ACCOUNT = "model-engine"
IMAGE_BUILDER_SERVICE_ACCOUNT = "kaniko"
IMAGE_BUILDER_NAMESPACE = "default"

# Per-endpoint SQS queues and the builder queue (not llm-engine-endpoint-id-*).
SQS_ENDPOINT_QUEUE_PREFIX = "launch-endpoint-id-"
SQS_BUILDER_QUEUE = "model-engine-service-builder"

# Metric the gateway and endpoint HPAs read through the custom-metrics adapter.
CONCURRENCY_METRIC = "request-concurrency-average"
