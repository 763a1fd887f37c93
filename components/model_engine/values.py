"""A typed model of the values the model-engine chart (pinned commit) reads.

Field names are the chart's own keys, so `ChartValues.model_dump()` is the values file.
The server-side blocks (`config.values.infra`, `config.values.launch`) forbid unknown
keys: the server drops them silently, which is how a typo becomes an outage. Top-level
and most chart blocks allow extra keys, so operators can still set chart values this
model does not know (e.g. `modelCache`) through `chartValues`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InfraValues(_Closed):
    """InfraConfig (model_engine_server/core/config.py). The chart quotes every non-bool."""

    cloud_provider: Literal["aws", "azure", "gcp", "onprem"]
    k8s_cluster_name: StrictStr
    dns_host_domain: StrictStr
    default_region: StrictStr
    ml_account_id: StrictStr
    docker_repo_prefix: StrictStr
    s3_bucket: StrictStr
    redis_host: StrictStr | None = None
    redis_aws_secret_name: StrictStr | None = None
    profile_ml_worker: StrictStr | None = None
    profile_ml_inference_worker: StrictStr | None = None
    identity_service_url: StrictStr | None = None
    firehose_role_arn: StrictStr | None = None
    firehose_stream_name: StrictStr | None = None
    prometheus_server_address: StrictStr | None = None
    celery_broker_type_redis: StrictBool | None = None
    celery_enable_sha256: StrictBool | None = None
    docker_registry_type: StrictStr | None = None
    debug_mode: StrictBool | None = None
    gcp_project_id: StrictStr | None = None
    # Never set (guarded): the chart quotes them and SQLAlchemy raises on a string.
    db_engine_pool_size: Any = None
    db_engine_max_overflow: Any = None
    db_engine_echo: StrictBool | None = None
    db_engine_echo_pool: StrictBool | None = None
    db_engine_disconnect_strategy: Literal["pessimistic", "optimistic"] | None = None
    # Guarded: written by the server's onprem.yaml, but not InfraConfig fields.
    s3_endpoint_url: Any = None
    s3_addressing_style: Any = None
    redis_port: Any = None


class LaunchValues(_Closed):
    """HostedModelInferenceServiceConfig (model_engine_server/common/config.py)."""

    endpoint_namespace: StrictStr
    billing_queue_arn: StrictStr
    sqs_profile: StrictStr
    sqs_queue_policy_template: StrictStr
    sqs_queue_tag_template: StrictStr
    model_primitive_host: StrictStr
    cloud_file_llm_fine_tune_repository: StrictStr
    hf_user_fine_tuned_weights_prefix: StrictStr
    istio_enabled: StrictBool
    dd_trace_enabled: StrictBool
    tgi_repository: StrictStr
    vllm_repository: StrictStr
    lightllm_repository: StrictStr
    tensorrt_llm_repository: StrictStr
    batch_inference_vllm_repository: StrictStr
    user_inference_base_repository: StrictStr
    user_inference_pytorch_repository: StrictStr
    user_inference_tensorflow_repository: StrictStr
    docker_image_layer_cache_repository: StrictStr
    sensitive_log_mode: StrictBool
    cache_redis_aws_url: StrictStr | None = None
    cache_redis_azure_host: StrictStr | None = None
    cache_redis_aws_secret_name: StrictStr | None = None
    cache_redis_onprem_url: StrictStr | None = None
    cache_redis_gcp_url: StrictStr | None = None
    sglang_repository: StrictStr | None = None
    # Guarded: a stale key nothing reads (the server reads cloud_file_llm_fine_tune_repository).
    s3_file_llm_fine_tuning_job_repository: Any = None


class ConfigValues(_Closed):
    infra: InfraValues
    launch: LaunchValues


class Config(_Closed):
    values: ConfigValues


class Image(_Open):
    gatewayRepository: StrictStr
    builderRepository: StrictStr
    cacherRepository: StrictStr
    forwarderRepository: StrictStr
    pullPolicy: Literal["Always", "IfNotPresent", "Never"] = "Always"


class Secrets(_Open):
    kubernetesDatabaseSecretName: StrictStr | None = None
    cloudDatabaseSecretName: StrictStr | None = None


class Db(_Open):
    runDbInitScript: StrictBool = False
    runDbMigrationScript: StrictBool = True


class ServiceAccount(_Open):
    annotations: dict[str, StrictStr]
    namespaces: list[StrictStr] = []


class ImageBuilderServiceAccount(_Open):
    create: StrictBool = True
    annotations: dict[str, StrictStr] = {}


class AwsConfigMap(_Open):
    name: StrictStr = "default-config"
    create: StrictBool = True
    mountPath: StrictStr | None = None
    namespaces: list[StrictStr] = []


class Aws(_Open):
    configMap: AwsConfigMap
    profileName: StrictStr = "default"


class Service(_Open):
    type: StrictStr = "ClusterIP"
    port: StrictInt = 80


class VirtualService(_Open):
    enabled: StrictBool
    annotations: dict[str, StrictStr] = {}
    hostDomains: list[StrictStr]
    gateways: list[StrictStr]


class DestinationRule(_Open):
    enabled: StrictBool
    annotations: dict[str, StrictStr] = {}


class HostDomain(_Open):
    prefix: Literal["http://", "https://"]


class ReplicaCount(_Open):
    gateway: StrictInt
    cacher: StrictInt
    builder: StrictInt


class Balloon(_Open):
    acceleratorName: StrictStr
    replicaCount: StrictInt
    gpuCount: StrictInt | None = None


class BalloonConfig(_Open):
    reserveHighPriority: StrictBool = True


class HorizontalAutoscaling(_Open):
    enabled: StrictBool
    minReplicas: StrictInt | None = None
    maxReplicas: StrictInt | None = None
    targetConcurrency: StrictInt | None = None


class Toggle(_Open):
    enabled: StrictBool


class VerticalAutoscaling(_Open):
    enabled: StrictBool
    minAllowed: dict[str, StrictStr] | None = None
    maxAllowed: dict[str, StrictStr] | None = None
    updateMode: StrictStr | None = None


class Autoscaling(_Open):
    horizontal: HorizontalAutoscaling
    vertical: VerticalAutoscaling
    prewarming: Toggle


class CeleryAutoscaler(_Open):
    enabled: StrictBool
    num_shards: StrictInt


class PodDisruptionBudget(_Open):
    enabled: StrictBool
    minAvailable: StrictInt | StrictStr = 1


class ServiceTemplate(_Open):
    securityContext: dict[str, Any] = {"capabilities": {"drop": ["all"]}}
    mountInfraConfig: StrictBool = True
    createServiceAccount: StrictBool = True
    serviceAccountName: StrictStr = "model-engine"
    serviceAccountAnnotations: dict[str, StrictStr]


class ImageCacheDevice(_Open):
    name: StrictStr
    nodeSelector: dict[str, StrictStr]
    tolerations: list[dict[str, Any]] = []


class ImageCache(_Open):
    devices: list[ImageCacheDevice]


class Triton(_Open):
    image: dict[str, StrictStr]


class Redis(_Open):
    auth: None = None  # a literal password here would be plaintext in the release
    authSecretName: StrictStr = ""
    authSecretKey: StrictStr = ""
    enableTLS: StrictBool = False
    enableAuth: StrictBool = False
    kedaSecretName: StrictStr = ""
    unsafeSsl: StrictBool = False


class Keda(_Open):
    cooldownPeriod: StrictInt


class Datadog(_Open):
    enabled: StrictBool
    env: StrictStr = ""


class _Hardware(_Closed):
    cpus: StrictInt
    gpus: StrictInt
    memory: StrictStr
    storage: StrictStr
    gpu_type: StrictStr
    nodes_per_worker: StrictInt = 1


class HardwareTier(_Hardware):
    gpu_memory_le: StrictInt


class ModelHardware(_Hardware):
    name: StrictStr


class RecommendedHardware(_Open):
    byGpuMemoryGb: list[HardwareTier] = []
    byModelName: list[ModelHardware] = []


class ChartValues(_Open):
    tag: StrictStr
    context: StrictStr
    image: Image
    secrets: Secrets
    db: Db
    serviceAccount: ServiceAccount
    imageBuilderServiceAccount: ImageBuilderServiceAccount
    aws: Aws | None = None
    service: Service
    virtualservice: VirtualService
    destinationrule: DestinationRule
    hostDomain: HostDomain
    replicaCount: ReplicaCount
    balloonConfig: BalloonConfig
    balloonNodeSelector: dict[str, StrictStr]
    balloons: list[Balloon]
    autoscaling: Autoscaling
    celery_autoscaler: CeleryAutoscaler
    podDisruptionBudget: PodDisruptionBudget
    resources: dict[str, Any]
    # None renders `nodeSelector: null`, which clears the chart default; {} would not.
    nodeSelector: dict[str, StrictStr] | None
    tolerations: list[dict[str, Any]] = []
    affinity: dict[str, Any] = {}
    podSecurityContext: dict[str, Any] | None = None
    containerSecurityContext: dict[str, Any] | None = None
    serviceTemplate: ServiceTemplate
    imageCache: ImageCache
    triton: Triton
    celeryBrokerType: Literal["sqs", "servicebus", "redis"]
    # Redis brokers: REDIS_HOST/REDIS_PORT and CELERY_RESULT_BACKEND for the control plane
    # and batch jobs; S3-compatible storage: S3_ENDPOINT_URL for them and the forwarders.
    redisHost: StrictStr | None = None
    redisPort: StrictStr | None = None
    celeryResultBackend: StrictStr | None = None
    celeryBrokerUrl: StrictStr | None = None
    s3EndpointUrl: StrictStr | None = None
    celery_broker_type_redis: StrictBool | None = None
    celery_enable_sha256: StrictBool | None = None
    debug_mode: StrictBool | None = None
    redis: Redis
    keda: Keda
    datadog: Datadog
    dd_trace_enabled: StrictBool
    recommendedHardware: RecommendedHardware
    gpuTolerations: list[dict[str, Any]] = []
    extraEnvVars: list[dict[str, Any]] = []
    extraPodEnvFrom: list[dict[str, Any]] = []
    config: Config
    spellbook: Toggle = Field(default_factory=lambda: Toggle(enabled=False))
