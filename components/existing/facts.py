"""What the stack file alone decides for a cluster the operator has, and its facts: every one is
known from the stack file (an in-cluster service's address is its Service's DNS name), so the
preview facts are the deployed ones. Moved out of platform.py so the program's preflight never
imports the component."""

from __future__ import annotations

from components import fit
from components import settings_loader as stack
from components.contract import (
    Broker,
    Cache,
    Database,
    GpuNodePool,
    Identities,
    ObjectStorage,
    PlatformFacts,
    Registry,
)
from components.existing import PLATFORM
from components.existing.settings import ExistingSettings
from components.incluster import object_store, postgres, registry, valkey
from components.model_engine.chart_facts import (
    INFERENCE_REPOSITORIES,
    infer_registry_type,
)
from components.settings import GpuPool, StackSettings
from components.settings_base import SettingsError

BROKER = "redis"
REQUIRED_SECRETS = ["databasePassword"]
STORAGE_KEYS = {
    "objectStorageAccessKeyId": "AWS_ACCESS_KEY_ID",
    "objectStorageSecretAccessKey": "AWS_SECRET_ACCESS_KEY",
}


def check(settings: StackSettings) -> None:
    """Fail before any resource exists when a secret this platform needs is missing or
    unusable, or set for a service whose credentials the program generates."""
    cfg = _cfg(settings)
    if cfg.database.install is not None:
        _refuse_generated(["databasePassword"], "the in-cluster PostgreSQL's owner password")
    else:
        _check_database_password(settings)
    if cfg.object_storage.install is not None:
        _refuse_generated(list(STORAGE_KEYS), "the in-cluster object store's keys")
        return
    given = [k for k in STORAGE_KEYS if stack.secret(k) is not None]
    backups = cfg.database.install is not None and cfg.database.install.backups is not None
    if backups and not given:
        raise SettingsError(
            [
                f"{stack.PROJECT}:objectStorageAccessKeyId: the in-cluster PostgreSQL backs up "
                "to your object storage (existing.database.install.backups) with a key pair; "
                "set objectStorageAccessKeyId and objectStorageSecretAccessKey with `pulumi "
                "config set --secret`, or remove `backups`"
            ]
        )
    if len(given) == 1:
        missing = next(k for k in STORAGE_KEYS if k not in given)
        raise SettingsError(
            [
                f"{stack.PROJECT}:{missing}: set it too (object storage keys come in a pair), "
                f"with `pulumi config set --secret {missing} <value>`"
            ]
        )


def _check_database_password(settings: StackSettings) -> None:
    stack.require_secrets(settings, REQUIRED_SECRETS)
    stack.require_url_safe_secret(
        "databasePassword",
        "the password goes into the database URL (the migration's config parser then prints it)",
        "Set a password without them on the database user, then "
        "`pulumi config set --secret databasePassword`",
    )


def _refuse_generated(keys: list[str], what: str) -> None:
    """A config secret for a credential the program generates would be silently ignored."""
    set_keys = [k for k in keys if stack.secret(k) is not None]
    if set_keys:
        raise SettingsError(
            [
                f"{stack.PROJECT}:{k}: not used: the program generates {what}; remove it with "
                f"`pulumi config rm {k}`"
                for k in set_keys
            ]
        )


def secret_env_keys(settings: StackSettings) -> list[str]:
    if _cfg(settings).object_storage.install is not None:
        return list(STORAGE_KEYS.values())
    return [env for key, env in STORAGE_KEYS.items() if stack.secret(key) is not None]


def _cfg(settings: StackSettings) -> ExistingSettings:
    return PLATFORM.block(settings)


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
            node=_declared(p),
        )
        for p in settings.gpu.pools
    ]


def _declared(pool: GpuPool) -> fit.NodeShape | None:
    """A node's allocatable as the operator declares it; unknown (fit unchecked) without."""
    declared = pool.node_allocatable
    if declared is None:
        return None
    gpus = pool.gpus_per_node or pool.balloon_gpus
    return fit.declared_shape(
        PLATFORM.cloud, declared.cpu, declared.memory, declared.ephemeral_storage, gpus
    )


def repositories(cfg: ExistingSettings) -> dict[str, str]:
    """Names relative to the registry prefix: the operator's, else the chart's own paths."""
    return {
        key: cfg.repositories.get(key, default) for key, default in INFERENCE_REPOSITORIES.items()
    }


def registry_prefix(cfg: ExistingSettings) -> str:
    if cfg.registry is not None:
        return registry.prefix(cfg.registry.install)
    assert cfg.registry_prefix is not None, "settings validation requires one of the two"
    return cfg.registry_prefix


def registry_type(cfg: ExistingSettings) -> str:
    """The operator's choice; by default a cloud registry is what the server infers from the
    prefix, and any other registry (the in-cluster one included) is `onprem`: the server's
    generic client checks images with anonymous HTTPS requests, which a private or plain-HTTP
    registry answers as "not found", so every LLM endpoint create would be refused."""
    if cfg.registry_type:
        return cfg.registry_type
    inferred = infer_registry_type(registry_prefix(cfg))
    return "onprem" if inferred == "generic" else inferred


def database(cfg: ExistingSettings) -> Database:
    db = cfg.database
    if db.install is not None:
        return Database(
            host=postgres.host(cfg.data_namespace),
            port=postgres.PORT,
            name=postgres.DATABASE,
            user=postgres.OWNER,
            ssl_mode=postgres.SSL_MODE,
        )
    assert db.host is not None and db.user is not None, "validated: host and user are set"
    return Database(
        host=db.host,
        port=db.port or 5432,
        name=db.name or "llm_engine",
        user=db.user,
        ssl_mode=db.ssl_mode or "require",
    )


def cache(cfg: ExistingSettings) -> Cache:
    if cfg.redis.install is not None:
        return Cache(host=valkey.host(cfg.data_namespace, cfg.redis.install), port=valkey.PORT)
    assert cfg.redis.host is not None, "validated: host is set"
    return Cache(host=cfg.redis.host, port=cfg.redis.port or 6379)


def storage(cfg: ExistingSettings) -> ObjectStorage:
    block = cfg.object_storage
    if block.install is not None:
        bucket, endpoint = block.install.bucket, object_store.endpoint_url(cfg.data_namespace)
    else:
        assert block.bucket is not None, "validated: bucket is set"
        bucket, endpoint = block.bucket, block.endpoint_url
    return ObjectStorage(
        bucket=bucket,
        fine_tune_repository=block.fine_tune_repository or f"s3://{bucket}/llm-ft-job-repository",
        fine_tuned_weights_prefix=block.fine_tuned_weights_prefix
        or f"s3://{bucket}/fine_tuned_weights",
        endpoint_url=endpoint,
    )


def preview_facts(settings: StackSettings) -> PlatformFacts:
    """Everything is known from the stack file, so these are also the preview facts."""
    cfg = _cfg(settings)
    # boto3 (S3 clients) needs a region even against S3-compatible storage.
    env: dict[str, str] = {"AWS_REGION": cfg.region}
    objects = storage(cfg)
    endpoint = objects.endpoint_url
    if endpoint:
        # The server's S3FilesystemGateway (Files API content, batch-job progress, endpoint
        # schemas) builds a plain boto3 client without S3_ENDPOINT_URL; boto3 >= 1.28 takes
        # the endpoint from this variable instead of calling AWS (path-style URLs).
        env["AWS_ENDPOINT_URL_S3"] = str(endpoint)
    return PlatformFacts(
        cloud_provider=PLATFORM.cloud_provider,
        cluster_name=cfg.cluster_name,
        region=cfg.region,
        account_id="onprem",
        registry=Registry(
            prefix=registry_prefix(cfg),
            repositories=repositories(cfg),
            registry_type=registry_type(cfg),
        ),
        database=database(cfg),
        cache=cache(cfg),
        broker=Broker(kind=BROKER),
        storage=objects,
        identities=Identities(
            control_plane=dict(cfg.service_account_annotations),
            inference=dict(cfg.inference_service_account_annotations),
            image_builder=dict(cfg.image_builder_annotations),
        ),
        prometheus_address=cfg.prometheus_address or settings.prometheus_address,
        env=env,
    )


def kubernetes_version(settings: StackSettings) -> None:
    """The operator's cluster: the stack file does not state its version."""
    return None
