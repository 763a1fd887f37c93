"""What the pinned model-engine server can and cannot do with these chart values.

Some features fail upstream whatever the values: the plan prints this table for the stack,
and the README carries it for each platform (a test keeps the two equal). Each row reads
the final chart values (operator overrides included), so a value can never imply a
capability the server lacks. The server facts behind each row are cited in its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from components.model_engine import chart_facts as cf
from components.model_engine import image_tags
from components.naming import service_namespace

Works = Literal["yes", "no", "partly"]

# inferenceFramework keys of batch completions (the batch vLLM image).
BATCH_FRAMEWORKS = ("vllm_batch", "vllm_batch_v2")
# Shown for a repository the cacher reads while no tag of it is known.
UNSET_TAG = "<a tag>"


@dataclass(frozen=True)
class Capability:
    feature: str
    works: Works
    why: str
    operator: str = ""


# Frameworks with a key in the server's default-tag ConfigMap (the chart's inferenceFramework).
ENDPOINT_FRAMEWORKS = ("vllm", "text_generation_inference", "lightllm", "tensorrt_llm")
# The fix for a framework without a default tag.
TAG_FIX = (
    "list its tag under inferenceImageTags.<repository> (or the pull-through cache's warm list: "
    "aws.registry.upstream.warm, azure.registry.upstream.warm), or name "
    "inference_framework_image_tag at create"
)


def _resolved(defaults: Mapping[str, str]) -> str:
    tags = ", ".join(f"{f} {defaults[f]}" for f in ENDPOINT_FRAMEWORKS if f in defaults)
    return (
        f"a create without inference_framework_image_tag resolves to inferenceFramework "
        f"({tags or 'none'}, llm_model_endpoint_use_cases.py _get_latest_tag); SGLang creates "
        "must name their tag (the ConfigMap has no sglang key)"
    )


def _endpoints(registry: str, defaults: Mapping[str, str]) -> Capability:
    feature = "Sync and streaming LLM endpoints"
    resolved = _resolved(defaults)
    missing = [f for f in ENDPOINT_FRAMEWORKS if f not in defaults]
    if registry == "generic":
        return Capability(
            feature,
            "partly",
            "the generic registry client checks images with anonymous HTTPS requests; a private "
            "or plain-HTTP registry answers 'not found' and every create is refused",
            "allow anonymous pulls, or use registry type onprem",
        )
    if missing:
        outcome = (
            "pulls the chart's 'latest', which the registry does not hold (ImagePullBackOff)"
            if registry == "onprem"
            else "resolves to the chart's 'latest', which the registry does not hold, and is "
            "refused (DockerImageNotFound: 404)"
        )
        return Capability(
            feature,
            "partly",
            f"{resolved}; {', '.join(missing)}: no tag in the registry, so a create without "
            f"one {outcome}",
            TAG_FIX,
        )
    if registry == "onprem":
        return Capability(
            feature,
            "yes",
            f"registry type onprem: the server skips image checks; {resolved}",
            "a framework image missing from the registry shows as ImagePullBackOff, not as an "
            "error at create time: fill the repositories the plan lists",
        )
    return Capability(
        feature, "yes", f"images are checked in {registry.upper()} before create; {resolved}"
    )


def has_gpu_tiers(values: Mapping[str, Any]) -> bool:
    """The server picks LLM endpoint hardware from these tiers; the program keeps only the
    tiers some GPU pool provides, so none means the stack has no GPU pool."""
    return bool((values.get("recommendedHardware") or {}).get("byGpuMemoryGb"))


def _no_gpus() -> list[Capability]:
    return [
        Capability(
            "Sync and streaming LLM endpoints",
            "no",
            "no GPU pool: the hardware tiers are empty, so the server cannot choose hardware "
            "for an LLM endpoint, and no node offers nvidia.com/gpu",
            "add a pool to gpu.pools on a cluster with GPU nodes",
        ),
        Capability(
            "CPU endpoints (your own image)",
            "yes",
            "model bundles that run your image with cpus and memory and no gpus need no GPU node",
            "push the image where the nodes can pull it and create the bundle from it",
        ),
    ]


# The first seconds after an async endpoint is READY: the gateway's per-process record cache.
_TTL = f"{cf.ENDPOINT_RECORD_CACHE_TTL_S:g} s"
_FIRST_TASK_RACE = (
    f"each gateway worker process caches endpoint records for {_TTL} "
    "(db_model_endpoint_record_repository.py CACHE_TTL_SECONDS), so a task sent within "
    f"{_TTL} after the endpoint is READY can come from a worker that read the record during "
    "the build and be sent to queue UNKNOWN"
)
# What becomes of it depends on whether the gateway may create that queue (kombu creates a
# queue it sends to): the model-engine role's SQS grant names only the endpoints' and the
# builder's queues (components/aws/identity.py), while a Service Bus Data Owner may.
FIRST_TASK_WHY = {
    "sqs": f"{_FIRST_TASK_RACE}, which the model-engine role may not create: the request fails",
    "servicebus": f"{_FIRST_TASK_RACE}, which the gateway may create as a Service Bus Data "
    "Owner: the task is accepted and the endpoint never sees it",
}
FIRST_TASK_FIX = {
    "sqs": f"wait {_TTL} after READY before the first async task, or retry a request refused "
    "in that window",
    "servicebus": f"wait {_TTL} after READY before the first async task",
}


def _servicebus_standard() -> list[Capability]:
    """Service Bus Standard under the server's async queues (asb_queue_endpoint_resource_
    delegate.py sets max message size 20 MB and the lock duration in one update_queue call;
    Standard caps messages at 256 KB and refuses the whole update, which is only logged)."""
    why = (
        "on Service Bus Standard the server's update_queue (20 MB messages, Premium only) is "
        "refused, so the lock duration it sets in the same call never applies: a task that "
        "runs longer than the 1-minute default lock is delivered again, and a request over "
        f"256 KB is refused; {FIRST_TASK_WHY['servicebus']}"
    )
    return [
        Capability(
            "Async endpoints",
            "partly",
            why,
            "use azure.serviceBus.sku Premium, or keep async tasks under a minute; "
            + FIRST_TASK_FIX["servicebus"],
        ),
        Capability("Async endpoint autoscaling", "yes", "the celery autoscaler reads servicebus"),
    ]


def _async(broker: str, cloud: str = "", servicebus_sku: str | None = None) -> list[Capability]:
    if broker == "servicebus" and servicebus_sku == "Standard":
        return _servicebus_standard()
    builder = (
        "; the builder also creates their queues with its SQS delegate (tasks_v1.py)"
        if cloud == "gcp"
        else ""
    )
    if broker in cf.CELERY_AUTOSCALER_BROKERS:
        return [
            Capability(
                "Async endpoints",
                "yes",
                f"Celery on {broker}; {FIRST_TASK_WHY[broker]}",
                FIRST_TASK_FIX[broker],
            ),
            Capability(
                "Async endpoint autoscaling", "yes", f"the celery autoscaler reads {broker}"
            ),
        ]
    return [
        Capability(
            "Async endpoints",
            "no",
            "on a Redis broker the gateway sends to Redis DB 0 while forwarders consume DB 3, "
            "and forwarders store results in S3 (celery_forwarder.py, api/dependencies.py)"
            f"{builder}",
            "use sync or streaming endpoints",
        ),
        Capability(
            "Async endpoint autoscaling",
            "no",
            "the celery autoscaler reads only SQS and Service Bus; it is switched off",
        ),
    ]


def _image_builds(registry: str, region: str, cloud: str) -> Capability:
    feature = "Image builds (custom bundles, kaniko)"
    if cloud == "onprem":
        # The builder picks the on-prem repository by cloud_provider, whatever the registry.
        return Capability(
            feature,
            "no",
            "on onprem the builder asks image_exists first, which always answers yes, so it "
            "skips the build and the endpoint pulls an image that was never built: "
            "ImagePullBackOff (live_endpoint_builder_service.py, onprem_docker_repository.py)",
            "build images in CI, push them, and create endpoints from runnable-image bundles",
        )
    if cloud == "gcp":
        # The builder picks its registry client by cloud, not by registry type.
        return Capability(
            feature,
            "no",
            "on gcp the builder runs ECRDockerRepository and S3FilesystemGateway "
            "(service_builder/tasks_v1.py), not Artifact Registry: it checks and builds images "
            "through ECR and S3, which this project does not have",
            "build images in CI, push them to Artifact Registry, and create endpoints from "
            "runnable-image bundles",
        )
    if registry != "ecr":
        return Capability(
            feature,
            "no",
            f"build_image raises NotImplementedError for registry type {registry}",
            "build images in CI, push them, and create endpoints from them",
        )
    caveat = (
        ""
        if region == "us-west-2"
        else f"; kaniko's AWS_REGION is hard-coded us-west-2, not {region}"
    )
    return Capability(
        feature,
        "partly",
        "kaniko needs Secret codeartifact-pip-conf in namespace default and a node with 90Gi "
        f"memory and 3.5 CPUs free{caveat}",
        "create that Secret and a node group large enough before building",
    )


def _cacher(registry: str, replicas: Any) -> Capability:
    feature = "Cacher (endpoint state cache, image pre-pull)"
    if registry in cf.NO_LATEST_TAG_REGISTRIES or not replicas:
        return Capability(
            feature,
            "no",
            f"registry type {registry} cannot report the newest tag of "
            f"{cf.CACHER_LATEST_TAG_REPOSITORY}; the cacher is off and the gateway reads "
            "endpoint state from Kubernetes directly",
        )
    if registry == "gar":
        return Capability(
            feature,
            "yes",
            "GAR's newest-tag lookup reports any failure as a missing repository, which the "
            "cacher skips: it runs on an empty registry and pre-pulls the batch image once "
            f"{cf.CACHER_LATEST_TAG_REPOSITORY} holds one",
        )
    return Capability(
        feature,
        "yes",
        f"needs an image in {cf.CACHER_LATEST_TAG_REPOSITORY} before it starts",
    )


def _azure_cacher() -> Capability:
    return Capability(
        "Cacher (endpoint state cache, image pre-pull)",
        "partly",
        "it signs in to Managed Redis with an Entra token fetched once at start and never "
        "refreshed (entrypoints/k8s_cache.py), so Redis calls fail once the token expires; a "
        "missing batch repository is tolerated on ACR (ResourceNotFoundError is caught)",
        "expect cacher restarts; the gateway reads endpoint state from Kubernetes on a miss",
    )


def _azure_only() -> list[Capability]:
    return [
        Capability(
            "Files API (uploads; fine-tuning from file ids)",
            "no",
            "ABSFileStorageGateway raises NotImplementedError for every call",
            "fine-tune from https://<account>.blob.core.windows.net/... URLs instead",
        ),
    ]


def _storage(values: Mapping[str, Any]) -> Capability:
    feature = "Batch jobs and fine-tuning on object storage"
    if values["config"]["values"]["infra"].get("cloud_provider") == "gcp":
        return Capability(
            feature,
            "partly",
            "batch and fine-tune job pods run as the endpoint namespace's inference "
            "ServiceAccount, whose Google service account only reads the bucket, and the "
            "fine-tune repository job supports only aws and azure "
            "(populate_llm_fine_tuning_job_repository.py)",
            "grant the inference service account roles/storage.objectCreator where your jobs write",
        )
    if values.get("aws"):
        prefixes = " and ".join(cf.INFERENCE_WRITE_PREFIXES)
        return Capability(
            feature,
            "partly",
            "batch and fine-tune job pods run as the inference ServiceAccount "
            "(serviceTemplate.serviceAccountName, the chart's docker-image-batch-job template) "
            f"and its IRSA role, which writes to the bucket only under {prefixes}: a batch job "
            "whose output_data_path is elsewhere fails with AccessDenied",
            f"write batch outputs under s3://<bucket>/{cf.INFERENCE_WRITE_PREFIXES[0]}, or "
            "grant the inference role s3:PutObject where your jobs write",
        )
    if values.get("extraPodEnvFrom"):
        return Capability(
            feature,
            "partly",
            "static storage keys reach the control plane (extraEnvVars) and endpoint "
            "containers (extraPodEnvFrom) only: the chart gives batch-job pods and forwarders "
            "S3_ENDPOINT_URL but no credentials",
            "grant storage access through workload identity (ServiceAccount annotations) "
            "where your store supports it; otherwise use sync and streaming endpoints only",
        )
    return Capability(feature, "yes", "pods use the ServiceAccounts' workload identity")


def _scale_from_zero(values: Mapping[str, Any]) -> Capability:
    feature = "Scale from zero (KEDA)"
    infra = values["config"]["values"]["infra"]
    if not infra.get("prometheus_server_address"):
        return Capability(feature, "no", "no prometheus_server_address", "set prometheusAddress")
    if values.get("azure"):
        return Capability(
            feature,
            "yes",
            "KEDA reads Service Bus queue length as the control-plane identity (the chart's "
            "azure-workload-identity TriggerAuthentication) and Istio metrics from Prometheus",
        )
    redis = values.get("redis") or {}
    if redis.get("enableAuth") and not redis.get("kedaSecretName"):
        return Capability(
            feature, "no", "KEDA reads a Redis password only from AWS Secrets Manager"
        )
    return Capability(feature, "yes", "KEDA with Prometheus and the cache Redis")


def _signed_urls(cloud: str, s3_endpoint: str | None = None) -> list[Capability]:
    """GCP: the GCS gateways sign V4 URLs without a service-account email or token, so
    google-cloud-storage needs credentials that can sign; GKE Workload Identity's cannot.
    S3-compatible stores: the server presigns with a plain boto3 client (SigV2 at its pinned
    botocore), against the endpoint AWS_ENDPOINT_URL_S3 gives it."""
    feature = "Download URLs (Files API, model download)"
    if s3_endpoint and service_namespace(s3_endpoint):
        return [
            Capability(
                feature,
                "no",
                "the URLs name the store's cluster-internal host, and SeaweedFS refuses the "
                "SigV2 URLs the server signs (s3_filesystem_gateway.py)",
                "read file contents through the API (GET /v1/files/{id}/content)",
            )
        ]
    if s3_endpoint:
        return [
            Capability(
                feature,
                "partly",
                "signed with SigV2 for your S3-compatible endpoint (s3_filesystem_gateway.py): "
                "usable where clients reach that endpoint and the store accepts SigV2",
                "read file contents through the API (GET /v1/files/{id}/content)",
            )
        ]
    if cloud != "gcp":
        return []
    return [
        Capability(
            feature,
            "no",
            "V4 signed URLs need a private key and Workload Identity credentials cannot sign "
            "(gcs_file_storage_gateway.py, gcs_filesystem_gateway.py)",
            "read files through the bucket with your own credentials",
        )
    ]


def capabilities(
    values: Mapping[str, Any], *, servicebus_sku: str | None = None
) -> list[Capability]:
    """`servicebus_sku`: the tier of the Service Bus namespace the stack creates (not a chart
    value, yet it decides what async endpoints can do)."""
    infra = values["config"]["values"]["infra"]
    registry = cf.infra_registry_type(infra)
    replicas = (values.get("replicaCount") or {}).get("cacher")
    azure = bool(values.get("azure"))
    cloud = str(infra.get("cloud_provider"))
    return [
        *([_endpoints(registry, _defaults(values))] if has_gpu_tiers(values) else _no_gpus()),
        *_async(str(values.get("celeryBrokerType")), cloud, servicebus_sku),
        _scale_from_zero(values),
        _azure_cacher() if azure and replicas else _cacher(registry, replicas),
        _image_builds(registry, str(infra.get("default_region")), cloud),
        _storage(values),
        *(_azure_only() if azure else []),
        *_signed_urls(cloud, values.get("s3EndpointUrl")),
        # Authentication and what isolation cuts off: components/isolation/capabilities.py.
    ]


def _defaults(values: Mapping[str, Any]) -> dict[str, str]:
    """inferenceFramework as derived: framework -> the tag a create resolves to."""
    return dict(values.get("inferenceFramework") or {})


def must_hold_images(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(repository:tag, when) for the images the server resolves and checks by default."""
    launch = values["config"]["values"]["launch"]
    prefix = values["config"]["values"]["infra"]["docker_repo_prefix"]
    defaults = _defaults(values)
    rows: list[tuple[str, str]] = []
    if (values.get("replicaCount") or {}).get("cacher"):
        repo = launch[cf.CACHER_LATEST_TAG_REPOSITORY]
        when = (
            # ACR: a missing repository raises ResourceNotFoundError, which the cacher catches.
            "before batch jobs: the cacher skips it while it is missing"
            if values.get("azure")
            else "before batch jobs: the cacher pre-pulls its newest tag once it is there"
            if cf.infra_registry_type(values["config"]["values"]["infra"]) == "gar"
            else "before install: the cacher reads its newest tag"
        )
        tags = sorted({defaults[k] for k in BATCH_FRAMEWORKS if k in defaults})
        rows += [(f"{prefix}/{repo}:{tag}", when) for tag in tags or [UNSET_TAG]]
    if not has_gpu_tiers(values):
        return rows
    checked = cf.infra_registry_type(values["config"]["values"]["infra"]) != "onprem"
    for framework, key in image_tags.FRAMEWORK_REPOSITORIES.items():
        if key not in launch or key == cf.CACHER_LATEST_TAG_REPOSITORY:
            continue
        tag = defaults.get(framework)
        if tag is None:
            continue  # unavailable: the capability row says so and how to provide it
        rows.append(
            (
                f"{prefix}/{launch[key]}:{tag}",
                f"before creating {framework} endpoints: the tag a create without one resolves "
                "to "
                + (
                    "(the server checks it in the registry first)"
                    if checked
                    else "(not checked at create: a missing tag shows as ImagePullBackOff)"
                ),
            )
        )
    return rows


def markdown(rows: list[Capability]) -> str:
    lines = ["| feature | works | why | what you can do |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.feature} | {r.works} | {r.why} | {r.operator} |" for r in rows]
    return "\n".join(lines)
