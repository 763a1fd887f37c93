"""derive(facts, settings, pools, refs) -> chart values. Pure: plain data in, plain data out.

Every value the chart gets is computed here from what the platform provisioned (facts),
what the operator chose (settings) and the GPU pools that exist; nothing is typed twice.
The operator's `chartValues` are merged last; `guards.check` then judges the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components import accelerators
from components.contract import GpuNodePool, PlatformFacts
from components.model_engine import aws_config, image_tags
from components.model_engine import chart_facts as cf
from components.settings import GpuPool, HardwareTier, ModelHardware, StackSettings
from components.settings_base import deep_merge

# Nothing may follow a DB index: the server reads the DB from the URL's last path segment.
CACHE_DB_INDEX = cf.CACHE_DB_INDEX


@dataclass(frozen=True)
class SecretRefs:
    """Names of the Kubernetes Secrets the model-engine component creates."""

    database: str | None = None
    redis_auth: str | None = None
    platform_env: str | None = None
    platform_env_keys: tuple[str, ...] = ()


# recommendedHardware the chart ships (values_sample.yaml); by default only tiers whose GPU a
# pool provides are kept, so the server never recommends hardware that cannot schedule.
REFERENCE_TIERS: tuple[HardwareTier, ...] = tuple(
    HardwareTier(
        gpu_memory_le=le,
        cpus=cpus,
        gpus=gpus,
        memory=mem,
        storage=disk,
        gpu_type=gpu,
        nodes_per_worker=npw,
    )
    for le, cpus, gpus, mem, disk, gpu, npw in (
        (24, 10, 1, "24Gi", "80Gi", "a10", 1),
        (48, 20, 2, "48Gi", "80Gi", "a10", 1),
        (96, 40, 4, "96Gi", "96Gi", "a10", 1),
        (180, 20, 2, "160Gi", "160Gi", "h100", 1),
        (320, 40, 4, "320Gi", "320Gi", "h100", 1),
        (640, 80, 8, "800Gi", "640Gi", "h100", 1),
        # values_sample.yaml repeats 640 here, which makes the row unreachable; upstream CI
        # values use 1280 for two-node workers.
        (1280, 80, 8, "800Gi", "900Gi", "h100", 2),
    )
)
REFERENCE_MODELS: tuple[ModelHardware, ...] = tuple(
    ModelHardware(name=n, cpus=c, gpus=g, memory=m, storage=s, gpu_type="h100")
    for n, c, g, m, s in (
        ("llama-3-8b-instruct-262k", 20, 2, "40Gi", "40Gi"),
        ("deepseek-coder-v2", 160, 8, "800Gi", "640Gi"),
        ("deepseek-coder-v2-instruct", 160, 8, "800Gi", "640Gi"),
    )
)


def _redis_url(facts: PlatformFacts, db: int) -> str:
    scheme = "rediss" if facts.cache.tls else "redis"
    return f"{scheme}://{facts.cache.host}:{facts.cache.port}/{db}"


def cache_url(facts: PlatformFacts) -> str:
    return _redis_url(facts, CACHE_DB_INDEX)


def result_backend_url(facts: PlatformFacts) -> str:
    """Celery results on a Redis broker. The server's default off AWS and Azure is its S3
    backend, which raises "Missing boto3 session" on the first task; Celery reads
    CELERY_RESULT_BACKEND ahead of the code's choice. Celery wants the certificate policy
    spelled out on a rediss:// backend."""
    url = _redis_url(facts, cf.RESULT_BACKEND_DB_INDEX)
    return f"{url}?ssl_cert_reqs=CERT_REQUIRED" if facts.cache.tls else url


def registry_type(facts: PlatformFacts) -> str:
    """The registry client the server picks: the explicit type, else its own inference."""
    return cf.registry_type(facts.registry.registry_type, facts.registry.prefix)


def cacher_runs(facts: PlatformFacts) -> bool:
    """The cacher looks up the newest tag of the batch vLLM repository on every loop; on
    registries where that lookup raises NotImplementedError it crash-loops, never becomes
    ready and an atomic install times out. The gateway reads endpoint state straight from
    Kubernetes on a cache miss, so the control plane works without it."""
    return registry_type(facts) not in cf.NO_LATEST_TAG_REGISTRIES


def celery_autoscaler_runs(facts: PlatformFacts) -> bool:
    return facts.broker.kind in cf.CELERY_AUTOSCALER_BROKERS


def _cache_keys(facts: PlatformFacts) -> dict[str, Any]:
    """The one cache-URL key the server reads for this cloud (see its precedence rules)."""
    cache = facts.cache
    if facts.cloud_provider == "aws":
        if cache.cache_url_secret_name:
            return {"cache_redis_aws_secret_name": cache.cache_url_secret_name}
        return {"cache_redis_aws_url": cache_url(facts)}
    if facts.cloud_provider == "azure":
        return {"cache_redis_azure_host": f"{cache.host}:{cache.port}"}
    if facts.cloud_provider == "gcp":
        return {"cache_redis_gcp_url": cache_url(facts)}
    return {"cache_redis_onprem_url": cache_url(facts)}


def _toleration(taint: Any) -> dict[str, Any]:
    return {"key": taint.key, "operator": "Exists", "effect": taint.effect}


def balloons(settings: StackSettings, pools: Sequence[GpuNodePool]) -> list[dict[str, Any]]:
    """One balloon Deployment per accelerator (the chart names them by label): pools that
    share an accelerator add their replicas up (settings make their GPU counts agree)."""
    merged: dict[str, dict[str, Any]] = {}
    for p in pools:
        entry = merged.setdefault(
            p.spec.label_value,
            {"acceleratorName": p.spec.label_value, "replicaCount": 0, "gpuCount": p.balloon_gpus},
        )
        entry["replicaCount"] += p.balloon_replicas
        if p.balloon_replicas:
            entry["gpuCount"] = p.balloon_gpus
    out = list(merged.values())
    out.append({"acceleratorName": "cpu", "replicaCount": settings.gpu.cpu_balloon_replicas})
    return out


def image_cache_devices(
    settings: StackSettings, pools: Sequence[GpuNodePool], cacher: bool = True
) -> list[dict[str, Any]]:
    """One device per accelerator: its DaemonSet selects every node with that label,
    whichever pool it belongs to. The devices pre-pull what the cacher writes to Redis:
    nothing to do without it. Accelerators the cacher gives its fixed list of images that
    do not exist (cf.FIXED_PREPULL_DEVICES) get no device: their endpoints pull on start."""
    if not settings.gpu.image_cache or not cacher:
        return []
    devices: list[dict[str, Any]] = [
        {"name": "cpu", "nodeSelector": {accelerators.CPU_ONLY_LABEL: "true"}}
    ]
    seen: dict[str, dict[str, Any]] = {}
    for p in pools:
        if p.spec.image_cache_device is None:
            continue  # the chart has no device name for this accelerator
        if p.spec.image_cache_device in cf.FIXED_PREPULL_DEVICES:
            continue
        device = seen.get(p.spec.image_cache_device)
        if device is None:
            device = {
                "name": p.spec.image_cache_device,
                "nodeSelector": {accelerators.ACCELERATOR_LABEL: p.spec.label_value},
                "tolerations": [],
            }
            seen[p.spec.image_cache_device] = device
            devices.append(device)
        for toleration in (_toleration(t) for t in p.taints):
            if toleration not in device["tolerations"]:
                device["tolerations"].append(toleration)
    return devices


def recommended_hardware(
    settings: StackSettings, pools: Sequence[GpuNodePool | GpuPool]
) -> dict[str, list[dict[str, Any]]]:
    chosen = settings.gpu.recommended_hardware
    if chosen is not None:
        tiers, models = chosen.by_gpu_memory_gb, chosen.by_model_name
    else:
        provided = {p.spec.label_value for p in pools}
        tiers = [t for t in REFERENCE_TIERS if t.gpu_type in provided]
        models = [m for m in REFERENCE_MODELS if m.gpu_type in provided]
    return {
        "byGpuMemoryGb": [t.model_dump() for t in sorted(tiers, key=lambda t: t.gpu_memory_le)],
        "byModelName": [m.model_dump() for m in models],
    }


def _env(facts: PlatformFacts, refs: SecretRefs) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [{"name": k, "value": str(v)} for k, v in facts.env.items()]
    env += [
        {"name": k, "valueFrom": {"secretKeyRef": {"name": refs.platform_env, "key": k}}}
        for k in refs.platform_env_keys
    ]
    return env


def _resources(settings: StackSettings) -> dict[str, Any]:
    res = settings.control_plane.resources
    out: dict[str, Any] = {"requests": res.requests.model_dump(exclude_none=True)}
    if res.limits is not None:
        out["limits"] = res.limits.model_dump(exclude_none=True)
    return out


def orchestrator_account_in_endpoint_namespace(settings: StackSettings) -> bool:
    """Whether the control plane's account (which the chart's ClusterRoleBinding binds to
    cluster-admin) also exists in the endpoint namespace, for the batch-job orchestrator
    (/v1/batch-jobs) that runs as it there. Not with isolation: the orchestrator is cut off
    anyway (its capability row), so no cluster-admin account sits where user code runs (and
    no cloud identity trusts one there)."""
    return not settings.isolation.enabled


def _control_plane_account_namespaces(facts: PlatformFacts, settings: StackSettings) -> list[str]:
    """Namespaces besides the release's where the chart creates the control plane's account."""
    if not orchestrator_account_in_endpoint_namespace(settings):
        return []
    if facts.identities.inference_service_account == cf.CONTROL_PLANE_SERVICE_ACCOUNT:
        return []
    return [settings.namespaces.endpoints]


def _k8s_dump(model: Any) -> dict[str, Any] | None:
    return None if model is None else model.model_dump(by_alias=True, exclude_none=True)


def derive(
    facts: PlatformFacts,
    settings: StackSettings,
    pools: Sequence[GpuNodePool],
    refs: SecretRefs,
) -> dict[str, Any]:
    """The chart values, operator overrides merged last. Not yet guarded."""
    ns = settings.namespaces
    img = settings.image
    trace = settings.datadog.trace
    hook = dict(cf.SERVICE_ACCOUNT_HOOK)
    broker = facts.broker
    vpa = settings.autoscaling.vertical

    infra: dict[str, Any] = {
        "cloud_provider": facts.cloud_provider,
        "k8s_cluster_name": facts.cluster_name,
        "dns_host_domain": settings.domain,
        "default_region": facts.region,
        "ml_account_id": str(facts.account_id),
        "docker_repo_prefix": facts.registry.prefix,
        "s3_bucket": facts.storage.bucket,
        "redis_host": facts.cache.host,
        "db_engine_echo": settings.database_client.echo,
        "db_engine_echo_pool": settings.database_client.echo_pool,
        "db_engine_disconnect_strategy": settings.database_client.disconnect_strategy,
    }
    if facts.registry.registry_type:
        infra["docker_registry_type"] = facts.registry.registry_type
    if facts.gcp is not None:
        # The Pub/Sub delegate's project (GCP_PROJECT_ID from gcp.project_id wins; both set).
        infra["gcp_project_id"] = facts.gcp.project_id
    if facts.prometheus_address:
        infra["prometheus_server_address"] = facts.prometheus_address
    if settings.identity_service_url:
        infra["identity_service_url"] = settings.identity_service_url
    cacher = cacher_runs(facts)

    launch: dict[str, Any] = {
        "endpoint_namespace": ns.endpoints,
        "billing_queue_arn": "unused",
        "model_primitive_host": "unused",
        "sqs_profile": "default",
        "sqs_queue_policy_template": broker.sqs_queue_policy_template or "unused",
        "sqs_queue_tag_template": broker.sqs_queue_tag_template or "unused",
        "cloud_file_llm_fine_tune_repository": facts.storage.fine_tune_repository,
        "hf_user_fine_tuned_weights_prefix": facts.storage.fine_tuned_weights_prefix,
        "istio_enabled": settings.istio.enabled,
        "dd_trace_enabled": trace,
        "sensitive_log_mode": settings.logging.sensitive_log_mode,
        **{k: v for k, v in facts.registry.repositories.items()},
        **_cache_keys(facts),
    }

    secrets: dict[str, Any] = (
        {"cloudDatabaseSecretName": facts.database.cloud_secret_name}
        if facts.database.cloud_secret_name
        else {"kubernetesDatabaseSecretName": refs.database}
    )

    values: dict[str, Any] = {
        "tag": img.tag,
        "context": settings.environment,
        "image": {
            "gatewayRepository": img.gateway_repository or img.repository,
            "builderRepository": img.builder_repository or img.repository,
            "forwarderRepository": img.forwarder_repository or img.repository,
            "pullPolicy": img.pull_policy,
        },
        "secrets": secrets,
        "db": {"runDbMigrationScript": True, "runDbInitScript": False},
        "serviceAccount": {
            "annotations": {**facts.identities.control_plane, **hook},
            "namespaces": _control_plane_account_namespaces(facts, settings),
        },
        "imageBuilderServiceAccount": {
            "create": True,
            "annotations": dict(facts.identities.image_builder),
        },
        "service": settings.gateway_service.model_dump(),
        "virtualservice": {
            "enabled": settings.istio.enabled,
            "annotations": dict(settings.istio.virtual_service_annotations),
            "hostDomains": settings.host_domains,
            "gateways": list(settings.istio.gateways),
        },
        "destinationrule": {
            "enabled": settings.istio.enabled and settings.istio.destination_rule,
            "annotations": {},
        },
        # The chart's only use of it is GATEWAY_URL, the in-cluster URL of the gateway Service
        # (plain HTTP on service.port; triggers and fine-tunes call it): never https, whatever
        # scheme the external URL (istio.hostPrefix) has.
        "hostDomain": {"prefix": "http://"},
        "replicaCount": {
            **settings.control_plane.replicas.model_dump(),
            "cacher": settings.control_plane.replicas.cacher if cacher else 0,
        },
        "balloonConfig": {"reserveHighPriority": settings.gpu.reserve_high_priority_balloons},
        "balloonNodeSelector": dict(settings.gpu.balloon_node_selector),
        "balloons": balloons(settings, pools),
        "autoscaling": {
            "horizontal": {
                "enabled": settings.autoscaling.gateway.enabled,
                "minReplicas": settings.autoscaling.gateway.min_replicas,
                "maxReplicas": settings.autoscaling.gateway.max_replicas,
                "targetConcurrency": settings.autoscaling.gateway.target_concurrency,
            },
            "vertical": {
                "enabled": vpa.enabled,
                "minAllowed": vpa.min_allowed.model_dump(exclude_none=True),
                "maxAllowed": vpa.max_allowed.model_dump(exclude_none=True),
                "updateMode": vpa.update_mode,
            },
            # The chart's prewarming autoscalers target balloon names that do not exist.
            "prewarming": {"enabled": False},
        },
        "celery_autoscaler": {
            "enabled": settings.autoscaling.celery.enabled and celery_autoscaler_runs(facts),
            "num_shards": settings.autoscaling.celery.num_shards,
        },
        "podDisruptionBudget": {
            "enabled": settings.control_plane.pod_disruption_budget.enabled,
            "minAvailable": settings.control_plane.pod_disruption_budget.min_available,
        },
        "resources": _resources(settings),
        "nodeSelector": settings.control_plane.node_selector,
        "tolerations": list(settings.control_plane.tolerations),
        "affinity": dict(settings.control_plane.affinity),
        "serviceTemplate": {
            "securityContext": {"capabilities": {"drop": ["all"]}},
            "mountInfraConfig": True,
            "createServiceAccount": True,
            "serviceAccountName": facts.identities.inference_service_account,
            "serviceAccountAnnotations": {**facts.identities.inference, **hook},
        },
        "imageCache": {"devices": image_cache_devices(settings, pools, cacher)},
        "triton": {"image": {"repository": settings.triton.repository, "tag": settings.triton.tag}},
        "celeryBrokerType": broker.kind,
        "redis": {
            "enableTLS": facts.cache.tls,
            "enableAuth": facts.cache.auth,
            "authSecretName": refs.redis_auth or "",
            "authSecretKey": cf.REDIS_AUTH_SECRET_KEY if refs.redis_auth else "",
            "kedaSecretName": facts.cache.keda_secret_name or "",
            "unsafeSsl": False,
        },
        "keda": {"cooldownPeriod": settings.autoscaling.keda_cooldown_seconds},
        "datadog": {"enabled": settings.datadog.enabled, "env": settings.datadog.env or ""},
        "dd_trace_enabled": trace,
        "recommendedHardware": recommended_hardware(settings, pools),
        "gpuTolerations": [{"key": k} for k in settings.gpu.extra_taint_keys],
        "extraEnvVars": _env(facts, refs),
        "extraPodEnvFrom": (
            [{"secretRef": {"name": refs.platform_env}}] if refs.platform_env else []
        ),
        "spellbook": {"enabled": False},
        "config": {"values": {"infra": infra, "launch": launch}},
    }
    # The tags a create without inference_framework_image_tag resolves to: ones the registry
    # holds, never the chart's "latest" (none known: the chart's defaults stand).
    defaults = image_tags.inference_framework(image_tags.provided_tags(facts, settings))
    if defaults:
        values["inferenceFramework"] = defaults
    # The chart mounts an AWS profile into every pod whenever `aws` is set: only on AWS. Its
    # file names the control-plane role; the endpoint namespace gets the program's own file
    # under the same name, with the inference role's profile (components/model_engine/
    # aws_config.py), which the server's inference profile selects.
    if facts.cloud_provider == "aws":
        values["aws"] = {
            "configMap": {
                "name": aws_config.CONFIG_MAP_NAME,
                "create": True,
                "mountPath": cf.AWS_CONFIG_MOUNT_PATH,
                "namespaces": [ns.release],
            },
            "profileName": aws_config.CONTROL_PLANE_PROFILE,
            # Without it the chart renders an empty S3_WRITE_AWS_PROFILE env value.
            "s3WriteProfileName": aws_config.CONTROL_PLANE_PROFILE,
        }
        infra["profile_ml_inference_worker"] = aws_config.INFERENCE_PROFILE
    # Azure: the chart switches on a non-empty `azure` block, the server on cloud_provider;
    # both come from the same facts. The chart annotates both ServiceAccounts with the
    # client ids and labels every pod for the workload-identity webhook.
    if facts.azure is not None:
        values["azure"] = {
            "identity_name": facts.azure.identity_name,
            "client_id": facts.azure.client_id,
            "object_id": facts.azure.object_id,
            "keyvault_name": facts.azure.keyvault_name,
            "abs_account_name": facts.azure.abs_account_name,
            "abs_container_name": facts.azure.abs_container_name,
            "servicebus_namespace": facts.azure.servicebus_namespace,
            "inference_client_id": facts.azure.inference_client_id,
        }
    # GKE Workload Identity: the chart writes iam.gke.io/gcp-service-account on the control-plane
    # and inference ServiceAccounts from these, and GCP_PROJECT_ID from project_id.
    if facts.gcp is not None:
        values["gcp"] = {
            "project_id": facts.gcp.project_id,
            "iam_service_account": facts.gcp.control_plane_service_account,
            "inference_service_account": facts.gcp.inference_service_account,
        }
    # S3-compatible storage: only the top-level value reaches the control plane, the
    # forwarders and batch jobs as S3_ENDPOINT_URL (the infra key is not read).
    if facts.storage.endpoint_url:
        values["s3EndpointUrl"] = facts.storage.endpoint_url
    # Redis is the broker for the gateway on gcp/onprem, but the builder only follows
    # celeryBrokerType when this flag says so (it defaults to SQS otherwise). The broker
    # address goes in as REDIS_HOST/REDIS_PORT, which reach batch jobs too.
    if broker.kind == "redis":
        values["celery_broker_type_redis"] = True
        values["redisHost"] = facts.cache.host
        values["redisPort"] = str(facts.cache.port)
        values["celeryResultBackend"] = result_backend_url(facts)
    # The chart's one Docker Hub utility image goes through the platform's mirror, like the
    # add-ons' (the other utility images come from public.ecr.aws).
    mirror = facts.registry.docker_hub_mirror
    if mirror:
        values["utilityImages"] = {
            "curl": {"repository": f"{mirror}/{cf.CURL_REPOSITORY}", "tag": cf.CURL_TAG}
        }
    if settings.security.celery_enable_sha256 is not None:
        values["celery_enable_sha256"] = settings.security.celery_enable_sha256
    if settings.logging.debug_mode is not None:
        values["debug_mode"] = settings.logging.debug_mode
    for key, model in (
        ("podSecurityContext", settings.control_plane.pod_security_context),
        ("containerSecurityContext", settings.control_plane.container_security_context),
    ):
        dumped = _k8s_dump(model)
        if dumped is not None:
            values[key] = dumped
    return deep_merge(values, settings.chart_values)
