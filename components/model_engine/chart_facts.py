"""What the model-engine chart and server at the pinned commit require: one place for each fact.

Source: scaleapi/llm-engine charts/model-engine at commit
a82369619a365b79a45e49ef6af1045653102615 (chart 0.2.7) and the server's config classes
(model_engine_server/common/config.py, core/config.py) at the same commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

# The scaleapi/llm-engine commit whose chart and server these facts describe.
PINNED_COMMIT = "a82369619a365b79a45e49ef6af1045653102615"

CLOUD_PROVIDERS = ("aws", "azure", "gcp", "onprem")
BROKER_TYPES = ("sqs", "servicebus", "redis")
# The broker each cloud_provider can actually use (elasticache makes forwarders raise).
BROKERS_FOR_CLOUD: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"aws": ("sqs", "redis"), "azure": ("servicebus",), "gcp": ("redis",), "onprem": ("redis",)}
)

# config.values.launch keys that name an inference image repository, with the chart's
# default path. Every value is a name relative to docker_repo_prefix: image checks, batch
# jobs, the image cache and kaniko all use `docker_repo_prefix + "/" + value`, so a full
# reference doubles the host (DockerImageNotFound on every LLM endpoint create).
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
_REPOSITORY_NAME = re.compile(
    r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"
)


def repository_name_problem(name: object) -> str | None:
    """Why `name` cannot be a repository value (a name relative to docker_repo_prefix), or
    None. Docker's own rule: a first path segment with a dot or a colon, or `localhost`,
    is a registry host."""
    if not isinstance(name, str) or not name:
        return "must be a non-empty repository name"
    first = name.split("/", 1)[0]
    if "://" in name or ("/" in name and ("." in first or ":" in first or first == "localhost")):
        return (
            "carries a registry host; the server prefixes docker_repo_prefix itself, so the "
            "host would appear twice and every LLM endpoint create fails with "
            "DockerImageNotFound"
        )
    if ":" in name or "@" in name:
        return "carries a tag or digest; the server adds the tag itself"
    if not _REPOSITORY_NAME.fullmatch(name):
        return "is not a repository name (lower-case path segments of [a-z0-9._-])"
    return None


# The cacher reads the newest tag of this repository on every loop (image_cache_service.py),
# outside any handler but DockerRepositoryNotFoundException.
CACHER_LATEST_TAG_REPOSITORY = "batch_inference_vllm_repository"
# Repositories an LLM endpoint create checks with image_exists (llm_model_endpoint_use_cases.py):
# the framework's image must be there before an endpoint of that framework can be created.
LLM_FRAMEWORK_REPOSITORIES = (
    "vllm_repository",
    "sglang_repository",
    "tgi_repository",
    "lightllm_repository",
    "tensorrt_llm_repository",
)
# Repositories whose images come from the operator (not the server's builder): the tags an
# operator warms or pushes are named per one of these keys.
TAGGED_REPOSITORIES = (*LLM_FRAMEWORK_REPOSITORIES, CACHER_LATEST_TAG_REPOSITORY)

# infra.docker_registry_type, else inferred from docker_repo_prefix (core/config.py
# infer_registry_type). Any other value selects the generic OCI client.
REGISTRY_TYPES = ("ecr", "acr", "gar", "onprem", "generic")


def infer_registry_type(prefix: str) -> str:
    """The server's own inference from docker_repo_prefix."""
    if ".dkr.ecr." in prefix and ".amazonaws.com" in prefix:
        return "ecr"
    if ".azurecr.io" in prefix:
        return "acr"
    if "-docker.pkg.dev" in prefix:
        return "gar"
    return "generic"


def registry_type(explicit: object, prefix: object) -> str:
    """The registry client the server picks: docker_registry_type, else its inference."""
    return str(explicit) if explicit else infer_registry_type(str(prefix or ""))


def infra_registry_type(infra: Mapping[str, object]) -> str:
    return registry_type(infra.get("docker_registry_type"), infra.get("docker_repo_prefix"))


# Registry types whose get_latest_image_tag raises NotImplementedError: the cacher, which calls
# it every loop, crash-loops and never becomes ready, so an atomic install times out.
NO_LATEST_TAG_REGISTRIES = frozenset({"onprem", "generic"})

# Where inference code writes in the bucket: Celery results (tmp/celery/), artifact outputs
# (tmp/hosted-model-inference-outputs/, model_engine_server/inference/common.py) and the
# weights fine-tune jobs produce (fine_tuned_weights/). The AWS inference role may write
# only there.
INFERENCE_WRITE_PREFIXES = ("tmp/", "fine_tuned_weights/")

# Image-cache devices the cacher always gives a fixed list (infra/services/image_cache_service.py,
# _cache_finetune_llm_images): <prefix>/<tgi>:1.1.0, <prefix>/<vllm>:0.2.7 and :0.3.2,
# <prefix>/model-engine:<GIT_TAG> and gcr.io/istio-release/proxyv2:1.15.0. Its existence check
# runs only for bare repository names, and these are full references, so the device's
# DaemonSet is told to pull images no registry here holds (ImagePullBackOff on every GPU node).
FIXED_PREPULL_DEVICES = frozenset({"a10", "a100", "h100", "h100_3g40gb", "h100_1g20gb"})

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
# Infra keys the server's own onprem.yaml writes that are not InfraConfig fields: dropped.
DROPPED_INFRA_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "s3_endpoint_url": (
            "the server drops it; the chart's top-level s3EndpointUrl sets S3_ENDPOINT_URL"
        ),
        "s3_addressing_style": "the server drops it; addressing is always path-style",
        "redis_port": "the server drops it; the chart's redisPort sets REDIS_PORT",
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
# The database URL also feeds alembic's ConfigParser, where a `%` (any URL-encoded character)
# fails the migration hook and prints the URL: credentials must need no encoding.
URL_SAFE_CREDENTIAL = r"[A-Za-z0-9._~-]+"
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
# utilityImages.curl, the chart's default (values.yaml): a Docker Hub image (docker.io/
# curlimages/curl) run by the cron-trigger Jobs the server creates.
CURL_REPOSITORY = "curlimages/curl"
CURL_TAG = "7.72.0"
# The IRSA annotation; the chart's AWS config file takes its role from the control plane's.
IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
CONTROL_PLANE_SERVICE_ACCOUNT = "model-engine"
INFERENCE_SERVICE_ACCOUNT = "model-engine"
IMAGE_BUILDER_SERVICE_ACCOUNT = "kaniko"
IMAGE_BUILDER_NAMESPACE = "default"

# Per-endpoint SQS queues and the builder queue (not llm-engine-endpoint-id-*).
SQS_ENDPOINT_QUEUE_PREFIX = "launch-endpoint-id-"
SQS_BUILDER_QUEUE = "model-engine-service-builder"

# Celery on a Redis broker: the visibility apps use DBs 0-3 (core/celery/app.py
# TaskVisibility), the cache DB 15. The result backend gets a DB of its own.
CELERY_BROKER_DB_INDEXES = (0, 1, 2, 3)
CACHE_DB_INDEX = 15
RESULT_BACKEND_DB_INDEX = 4
# The celery autoscaler reads queue depth only from SQS and Service Bus; on a Redis broker
# it watches a broker name no deployment carries and reads the image's default config.
CELERY_AUTOSCALER_BROKERS = ("sqs", "servicebus")

# Seconds each gateway worker process keeps an endpoint record (db_model_endpoint_record_
# repository.py CACHE_TTL_SECONDS, a per-process TTLCache). Until the builder writes the
# endpoint's queue the record's destination is "UNKNOWN" (live_model_endpoint_service.py), and
# an async task goes to the record's destination unchecked (async_inference_use_cases.py):
# a worker that read the record mid-build sends tasks to queue UNKNOWN for up to this long
# after the endpoint is READY.
ENDPOINT_RECORD_CACHE_TTL_S = 15.0
ENDPOINT_RECORD_CACHE_SOURCE = "infra/repositories/db_model_endpoint_record_repository.py"

# Metric the gateway and endpoint HPAs read through the custom-metrics adapter.
CONCURRENCY_METRIC = "request-concurrency-average"

# The chart's `azure:` block (templates/_helpers.tpl, service_account*.yaml,
# trigger_authentication.yaml); a non-empty block is the chart's Azure switch, and every key
# becomes env or an annotation the server or KEDA reads.
AZURE_KEYS = (
    "identity_name",
    "client_id",
    "object_id",
    "keyvault_name",
    "abs_account_name",
    "abs_container_name",
    "servicebus_namespace",
    "inference_client_id",
)
