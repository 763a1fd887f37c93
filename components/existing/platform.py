"""ExistingPlatform: for operators who already run a cluster, PostgreSQL, Redis and storage.

Nothing is provisioned here but the Kubernetes provider: the facts come from the stack's
`existing` block and the credentials from config secrets. The chart runs with
cloud_provider `onprem` and Redis as the Celery broker.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_kubernetes as k8s

from components import settings as stack
from components.contract import (
    Broker,
    Cache,
    Credentials,
    Database,
    GpuNodePool,
    Identities,
    ObjectStorage,
    PlatformFacts,
    PlatformOutputs,
    Registry,
)
from components.existing.settings import ExistingSettings
from components.model_engine.chart_facts import (
    INFERENCE_REPOSITORIES,
    URL_SAFE_CREDENTIAL,
    infer_registry_type,
)
from components.settings import SettingsError, StackSettings

CLOUD_PROVIDER = "onprem"
BROKER = "redis"
REQUIRED_SECRETS = ["databasePassword"]
STORAGE_KEYS = {
    "objectStorageAccessKeyId": "AWS_ACCESS_KEY_ID",
    "objectStorageSecretAccessKey": "AWS_SECRET_ACCESS_KEY",
}


def check_secrets(settings: StackSettings) -> None:
    """Fail before any resource exists when a secret this platform needs is missing or
    unusable."""
    stack.require_secrets(settings, REQUIRED_SECRETS)
    password = stack.secret_plaintext("databasePassword")
    if password is not None and not re.fullmatch(URL_SAFE_CREDENTIAL, password):
        # Never echo the value: it is a credential.
        raise SettingsError(
            [
                f"{stack.PROJECT}:databasePassword: uses characters outside letters, digits and "
                ". _ ~ -; the password goes into the database URL, whose %-escapes break the "
                "migration's config parser (which then prints the URL). Set a password without "
                "them on the database user, then `pulumi config set --secret databasePassword`"
            ]
        )
    given = [k for k in STORAGE_KEYS if stack.secret(k) is not None]
    if len(given) == 1:
        missing = next(k for k in STORAGE_KEYS if k not in given)
        raise SettingsError(
            [
                f"{stack.PROJECT}:{missing}: set it too (object storage keys come in a pair), "
                f"with `pulumi config set --secret {missing} <value>`"
            ]
        )


def secret_env_keys(settings: StackSettings) -> list[str]:
    return [env for key, env in STORAGE_KEYS.items() if stack.secret(key) is not None]


def gpu_pools(settings: StackSettings) -> list[GpuNodePool]:
    """The operator's existing GPU node pools, as declared in gpu.pools."""
    return [
        GpuNodePool(
            name=p.name,
            accelerator=p.accelerator,
            gpus_per_node=p.gpus_per_node or p.balloon_gpus,
            min_size=p.min_size,
            max_size=p.max_size,
            balloon_replicas=p.balloon_replicas,
            balloon_gpus=p.balloon_gpus,
        )
        for p in settings.gpu.pools
    ]


def repositories(cfg: ExistingSettings) -> dict[str, str]:
    """Names relative to registryPrefix: the operator's, else the chart's own paths."""
    return {
        key: cfg.repositories.get(key, default) for key, default in INFERENCE_REPOSITORIES.items()
    }


def registry_type(cfg: ExistingSettings) -> str:
    """The operator's choice; by default a cloud registry is what the server infers from the
    prefix, and any other registry is `onprem`: the server's generic client checks images
    with anonymous HTTPS requests, which a private registry answers as "not found", so every
    LLM endpoint create would be refused."""
    if cfg.registry_type:
        return cfg.registry_type
    inferred = infer_registry_type(cfg.registry_prefix)
    return "onprem" if inferred == "generic" else inferred


def facts(settings: StackSettings) -> PlatformFacts:
    """Everything is known from the stack file, so these are also the preview facts."""
    cfg = settings.existing
    assert cfg is not None, "settings validation requires the existing block"
    storage = cfg.object_storage
    # boto3 (S3 clients) needs a region even against S3-compatible storage.
    env: dict[str, str] = {"AWS_REGION": cfg.region}
    return PlatformFacts(
        cloud_provider=CLOUD_PROVIDER,
        cluster_name=cfg.cluster_name,
        region=cfg.region,
        account_id="onprem",
        registry=Registry(
            prefix=cfg.registry_prefix,
            repositories=repositories(cfg),
            registry_type=registry_type(cfg),
        ),
        database=Database(
            host=cfg.database.host,
            port=cfg.database.port,
            name=cfg.database.name,
            user=cfg.database.user,
            ssl_mode=cfg.database.ssl_mode,
        ),
        cache=Cache(host=cfg.redis.host, port=cfg.redis.port),
        broker=Broker(kind=BROKER),
        storage=ObjectStorage(
            bucket=storage.bucket,
            fine_tune_repository=storage.fine_tune_repository
            or f"s3://{storage.bucket}/llm-ft-job-repository",
            fine_tuned_weights_prefix=storage.fine_tuned_weights_prefix
            or f"s3://{storage.bucket}/fine_tuned_weights",
            endpoint_url=storage.endpoint_url,
        ),
        identities=Identities(
            control_plane=dict(cfg.service_account_annotations),
            inference=dict(cfg.inference_service_account_annotations),
            image_builder=dict(cfg.image_builder_annotations),
        ),
        prometheus_address=cfg.prometheus_address or settings.prometheus_address,
        env=env,
    )


class ExistingPlatform(pulumi.ComponentResource):
    outputs: PlatformOutputs

    def __init__(
        self, name: str, settings: StackSettings, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:existing:Platform", name, None, opts)
        cfg = settings.existing
        assert cfg is not None, "settings validation requires the existing block"
        provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=cfg.kubeconfig,
            context=cfg.context,
            opts=pulumi.ResourceOptions(parent=self),
        )
        password = stack.secret("databasePassword")
        assert password is not None, "check_secrets ran before"
        env_secrets = {
            env: value
            for key, env in STORAGE_KEYS.items()
            if (value := stack.secret(key)) is not None
        }
        self.outputs = PlatformOutputs(
            kubernetes_provider=provider,
            facts=facts(settings),
            credentials=Credentials(database_password=password, env=env_secrets),
            gpu_pools=gpu_pools(settings),
        )
        self.register_outputs({"cluster_name": cfg.cluster_name})
