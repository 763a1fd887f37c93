"""A typed model of the values the model-engine chart (pinned commit) reads.

Field names are the chart's own keys, so `ChartValues.model_dump()` is the values file.
Every block is closed: a key the chart's templates do not read is rejected, because the
chart ignores it silently, which is how a renamed key (`gpuToleration`) or a stale one
(`keyvaultName`) becomes a setting that does nothing. The model knows every key the
templates read (tests/chart cross-checks it against the templates), so operators can still
set any real chart value through `chartValues`. Only Kubernetes objects the chart copies
verbatim (`toYaml`: nodeSelector, resources, tolerations, env, ...) stay free-form.
The server-side blocks (`config.values.infra`, `config.values.launch`) are closed to the
keys the server's config classes read: the chart renders every key, the server drops the
ones it does not know.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

# The chart's infra.cloud_provider (the server's InfraConfig): each platform names one.
CloudProvider = Literal["aws", "azure", "gcp", "onprem"]


class _Closed(BaseModel):
    # Built on first use, once, as part of ChartValues (see settings_base.Model).
    model_config = ConfigDict(extra="forbid", defer_build=True)


class InfraValues(_Closed):
    """InfraConfig (model_engine_server/core/config.py). The chart quotes every non-bool."""

    cloud_provider: CloudProvider
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


class ConfigFile(_Closed):
    """Paths of config files baked into a custom image, instead of the ConfigMap."""

    infra: StrictStr | None = None
    launch: StrictStr | None = None


class Config(_Closed):
    values: ConfigValues
    file: ConfigFile | None = None


class Image(_Closed):
    # The cacher runs the gateway image: no template reads image.cacherRepository.
    gatewayRepository: StrictStr
    builderRepository: StrictStr
    forwarderRepository: StrictStr
    pullPolicy: Literal["Always", "IfNotPresent", "Never"] = "Always"


class Secrets(_Closed):
    kubernetesDatabaseSecretName: StrictStr | None = None
    cloudDatabaseSecretName: StrictStr | None = None


class Db(_Closed):
    runDbInitScript: StrictBool = False
    runDbMigrationScript: StrictBool = True


class ServiceAccount(_Closed):
    annotations: dict[str, StrictStr]
    namespaces: list[StrictStr] = []


class ImageBuilderServiceAccount(_Closed):
    create: StrictBool = True
    annotations: dict[str, StrictStr] = {}


class AwsConfigMap(_Closed):
    name: StrictStr = "default-config"
    create: StrictBool = True
    mountPath: StrictStr | None = None
    namespaces: list[StrictStr] = []


class Aws(_Closed):
    configMap: AwsConfigMap
    profileName: StrictStr = "default"
    s3WriteProfileName: StrictStr | None = None


class Azure(_Closed):
    identity_name: StrictStr | None = None
    client_id: StrictStr | None = None
    object_id: StrictStr | None = None
    inference_client_id: StrictStr | None = None
    keyvault_name: StrictStr | None = None
    abs_account_name: StrictStr | None = None
    abs_container_name: StrictStr | None = None
    servicebus_namespace: StrictStr | None = None


class Gcp(_Closed):
    project_id: StrictStr | None = None
    pubsub_topic_prefix: StrictStr | None = None
    pubsub_subscription_prefix: StrictStr | None = None
    iam_service_account: StrictStr | None = None
    inference_service_account: StrictStr | None = None


class Service(_Closed):
    type: StrictStr = "ClusterIP"
    port: StrictInt = 80
    nodePort: StrictInt | None = None


class VirtualService(_Closed):
    enabled: StrictBool
    annotations: dict[str, StrictStr] = {}
    hostDomains: list[StrictStr]
    gateways: list[StrictStr]


class DestinationRule(_Closed):
    enabled: StrictBool
    annotations: dict[str, StrictStr] = {}


class HostDomain(_Closed):
    prefix: Literal["http://", "https://"]


class ReplicaCount(_Closed):
    gateway: StrictInt
    cacher: StrictInt
    builder: StrictInt


class Balloon(_Closed):
    acceleratorName: StrictStr
    replicaCount: StrictInt
    gpuCount: StrictInt | None = None


class BalloonConfig(_Closed):
    reserveHighPriority: StrictBool = True


class HorizontalAutoscaling(_Closed):
    enabled: StrictBool
    minReplicas: StrictInt | None = None
    maxReplicas: StrictInt | None = None
    targetConcurrency: StrictInt | None = None


class Toggle(_Closed):
    enabled: StrictBool


class CpuMemory(_Closed):
    cpu: StrictStr | None = None
    memory: StrictStr | None = None


class VerticalAutoscaling(_Closed):
    enabled: StrictBool
    minAllowed: CpuMemory | None = None
    maxAllowed: CpuMemory | None = None
    updateMode: StrictStr | None = None


class Autoscaling(_Closed):
    horizontal: HorizontalAutoscaling
    vertical: VerticalAutoscaling
    prewarming: Toggle


class CeleryAutoscaler(_Closed):
    enabled: StrictBool
    num_shards: StrictInt


class PodDisruptionBudget(_Closed):
    enabled: StrictBool
    minAvailable: StrictInt | StrictStr | None = 1
    maxUnavailable: StrictInt | StrictStr | None = None


class ServiceTemplate(_Closed):
    securityContext: dict[str, Any] = {"capabilities": {"drop": ["all"]}}
    mountInfraConfig: StrictBool = True
    createServiceAccount: StrictBool = True
    serviceAccountName: StrictStr = "model-engine"
    serviceAccountAnnotations: dict[str, StrictStr]
    awsConfigMapName: StrictStr | None = None


class ImageCacheDevice(_Closed):
    name: StrictStr
    nodeSelector: dict[str, StrictStr]
    tolerations: list[dict[str, Any]] = []


class ImageCache(_Closed):
    devices: list[ImageCacheDevice]


class ImageRef(_Closed):
    repository: StrictStr
    tag: StrictStr


class Triton(_Closed):
    image: ImageRef


class UtilityImages(_Closed):
    busybox: ImageRef | None = None
    curl: ImageRef | None = None
    ubuntu: ImageRef | None = None


class Redis(_Closed):
    auth: None = None  # a literal password here would be plaintext in the release
    authSecretName: StrictStr = ""
    authSecretKey: StrictStr = ""
    enableTLS: StrictBool = False
    enableAuth: StrictBool = False
    kedaSecretName: StrictStr = ""
    unsafeSsl: StrictBool = False


class Keda(_Closed):
    cooldownPeriod: StrictInt


class Datadog(_Closed):
    enabled: StrictBool
    env: StrictStr = ""


class GpuToleration(_Closed):
    # The chart reads only the key and always tolerates it with Exists/NoSchedule.
    key: StrictStr


class ModelCache(_Closed):
    enabled: StrictBool | None = None
    storage: StrictStr | None = None
    storageClassName: StrictStr | None = None
    accessMode: StrictStr | None = None
    mountPath: StrictStr | None = None
    lockStaleSeconds: StrictInt | None = None


class InferenceFramework(_Closed):
    """Image tags in model-engine-inference-framework-latest-config (a pre-install hook)."""

    deepspeed: StrictStr | None = None
    text_generation_inference: StrictStr | None = None
    vllm: StrictStr | None = None
    vllm_batch: StrictStr | None = None
    vllm_batch_v2: StrictStr | None = None
    lightllm: StrictStr | None = None
    tensorrt_llm: StrictStr | None = None


class Forwarder(_Closed):
    forceUseIPv4: StrictBool | None = None


class EndpointBuilder(_Closed):
    readinessProbe: dict[str, Any] | None = None


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


class RecommendedHardware(_Closed):
    byGpuMemoryGb: list[HardwareTier] = []
    byModelName: list[ModelHardware] = []


K8sObject = dict[str, Any]


class ChartValues(_Closed):
    tag: StrictStr
    context: StrictStr
    image: Image
    secrets: Secrets
    db: Db
    serviceAccount: ServiceAccount
    imageBuilderServiceAccount: ImageBuilderServiceAccount
    aws: Aws | None = None
    azure: Azure | None = None
    gcp: Gcp | None = None
    service: Service
    virtualservice: VirtualService
    destinationrule: DestinationRule
    hostDomain: HostDomain
    replicaCount: ReplicaCount
    balloonConfig: BalloonConfig
    balloonNodeSelector: dict[str, StrictStr] | None
    balloons: list[Balloon]
    autoscaling: Autoscaling
    celery_autoscaler: CeleryAutoscaler
    podDisruptionBudget: PodDisruptionBudget
    resources: K8sObject
    # None renders `nodeSelector: null`, which clears the chart default; {} would not.
    nodeSelector: dict[str, StrictStr] | None
    tolerations: list[K8sObject] = []
    affinity: K8sObject = {}
    podSecurityContext: K8sObject | None = None
    containerSecurityContext: K8sObject | None = None
    imagePullSecrets: list[K8sObject] = []
    automountServiceAccountToken: StrictBool = True
    serviceTemplate: ServiceTemplate
    imageCache: ImageCache
    triton: Triton
    utilityImages: UtilityImages | None = None
    celeryBrokerType: Literal["sqs", "servicebus", "redis"]
    # Redis brokers: REDIS_HOST/REDIS_PORT and CELERY_RESULT_BACKEND for the control plane
    # and batch jobs; S3-compatible storage: S3_ENDPOINT_URL for them and the forwarders.
    celery_broker_type_redis: StrictBool | None = None
    celery_enable_sha256: StrictBool | None = None
    celeryElasticacheEnabled: StrictBool | None = None
    celeryBrokerUrl: StrictStr | None = None
    celeryResultBackend: StrictStr | None = None
    debug_mode: StrictBool | None = None
    redis: Redis
    redisHost: StrictStr | None = None
    redisPort: StrictStr | StrictInt | None = None
    s3EndpointUrl: StrictStr | None = None
    keda: Keda
    datadog: Datadog
    dd_trace_enabled: StrictBool
    recommendedHardware: RecommendedHardware
    gpuTolerations: list[GpuToleration] = []
    extraEnvVars: list[K8sObject] = []
    extraPodEnvFrom: list[K8sObject] = []
    extraVolumes: list[K8sObject] = []
    extraVolumeMounts: list[K8sObject] = []
    modelCache: ModelCache | None = None
    inferenceFramework: InferenceFramework | None = None
    forwarder: Forwarder | None = None
    endpointBuilder: EndpointBuilder | None = None
    serviceBuilderQueue: StrictStr | None = None
    message: StrictStr | None = None
    populateFineTuningRepository: StrictBool | None = None
    restartKedaOperator: StrictBool | None = None
    config: Config
    spellbook: Toggle = Field(default_factory=lambda: Toggle(enabled=False))
    # Read by the chart but refused by a guard (the server hard-codes model-engine-* names);
    # known here so that the guard, not "unknown key", explains why.
    fullnameOverride: Any = None
    serviceIdentifier: Any = None
