"""InClusterServices: the backing services a stack on an existing cluster asks the program to
install (PostgreSQL, Valkey, the object store, the registry), in one namespace. Moved from
components/existing/platform.py: it holds the in-cluster services, which live here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components import settings_loader as stack
from components.existing.facts import (
    STORAGE_KEYS,
    _cfg,
)
from components.existing.settings import ExistingSettings
from components.incluster import object_store, postgres, registry, valkey
from components.isolation import psa
from components.sdk import lazy
from components.settings import StackSettings

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")


@dataclass(frozen=True)
class InClusterServicesArgs:
    settings: StackSettings
    provider: k8s.Provider


class InClusterServices(pulumi.ComponentResource):
    """The backing services the stack file asks the program to install, in one namespace."""

    namespace: k8s.core.v1.Namespace | None
    database_password: pulumi.Output[str] | None
    # Environment variable -> secret Output, as the chart's secret env expects.
    storage_keys: dict[str, pulumi.Output[str]]
    # What the model-engine chart waits for (its migration hook needs the database).
    ready: list[pulumi.Resource]

    def __init__(
        self, name: str, args: InClusterServicesArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:existing:InClusterServices", name, None, opts)
        settings = args.settings
        cfg = _cfg(settings)
        self.namespace = None
        self.database_password = None
        self.storage_keys = {}
        self.ready = []
        if not cfg.installs_anything:
            self.register_outputs({})
            return
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            # PostgreSQL, Valkey, the object store and the registry use no host access.
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=cfg.data_namespace, labels=psa.labels("baseline", "restricted")
            ),
            # Deleting the namespace deletes every volume in it: protected like the data.
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.provider, protect=settings.protect
            ),
        )
        after_namespace: list[pulumi.Resource] = [self.namespace]
        store = self._object_store(name, cfg, args.provider, after_namespace, settings.protect)
        self._database(name, settings, store, args.provider, after_namespace)
        self._redis(name, settings, args.provider, after_namespace)
        if cfg.registry is not None:
            reg = registry.InClusterRegistry(
                f"{name}-registry",
                registry.RegistryArgs(
                    settings=cfg.registry.install,
                    namespace=cfg.data_namespace,
                    provider=args.provider,
                    depends_on=after_namespace,
                    protect=settings.protect,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.ready += reg.ready
        self.register_outputs({"namespace": cfg.data_namespace})

    def _object_store(
        self,
        name: str,
        cfg: ExistingSettings,
        provider: k8s.Provider,
        depends_on: list[pulumi.Resource],
        protect: bool,
    ) -> object_store.ObjectStore | None:
        install = cfg.object_storage.install
        if install is None:
            return None
        store = object_store.ObjectStore(
            f"{name}-object-store",
            object_store.ObjectStoreArgs(
                settings=install,
                namespace=cfg.data_namespace,
                provider=provider,
                depends_on=depends_on,
                protect=protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.storage_keys = {
            "AWS_ACCESS_KEY_ID": store.access_key_id,
            "AWS_SECRET_ACCESS_KEY": store.secret_access_key,
        }
        self.ready += store.ready
        return store

    def _database(
        self,
        name: str,
        settings: StackSettings,
        store: object_store.ObjectStore | None,
        provider: k8s.Provider,
        depends_on: list[pulumi.Resource],
    ) -> None:
        cfg = _cfg(settings)
        install = cfg.database.install
        if install is None:
            return
        db = postgres.Postgres(
            f"{name}-postgres",
            postgres.PostgresArgs(
                # A stack with `protect: false` tears everything down, this database included.
                settings=install.model_copy(
                    update={"protect": install.protect and settings.protect}
                ),
                namespace=cfg.data_namespace,
                provider=provider,
                backup_store=_backup_store(cfg, store) if install.backups else None,
                # Only backups need the store up first; otherwise both install side by side.
                depends_on=[*depends_on, *(store.ready if store and install.backups else [])],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.database_password = db.password
        self.ready += db.ready

    def _redis(
        self,
        name: str,
        settings: StackSettings,
        provider: k8s.Provider,
        depends_on: list[pulumi.Resource],
    ) -> None:
        cfg = _cfg(settings)
        install = cfg.redis.install
        if install is None:
            return
        cache_server = valkey.Valkey(
            f"{name}-valkey",
            valkey.ValkeyArgs(
                settings=install,
                namespace=cfg.data_namespace,
                provider=provider,
                client_namespaces=redis_clients(settings),
                depends_on=depends_on,
                protect=settings.protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.ready += cache_server.ready


def redis_clients(settings: StackSettings) -> list[str]:
    """Who connects to Redis: the control plane (gateway, builder, Celery), the endpoint
    pods' forwarders, and KEDA's Redis scaler. No one else may (it has no AUTH off AWS)."""
    return [
        settings.namespaces.release,
        settings.namespaces.endpoints,
        settings.addons.keda.namespace,
    ]


def _backup_store(
    cfg: ExistingSettings, store: object_store.ObjectStore | None
) -> postgres.BackupStore:
    """Where CloudNativePG writes base backups and WAL: the in-cluster store, or yours."""
    if store is not None:
        assert cfg.object_storage.install is not None
        return postgres.BackupStore(
            endpoint_url=object_store.endpoint_url(cfg.data_namespace),
            bucket=cfg.object_storage.install.bucket,
            region=cfg.region,
            access_key_id=store.access_key_id,
            secret_access_key=store.secret_access_key,
        )
    key_id, secret_key = (stack.secret(k) for k in STORAGE_KEYS)
    assert cfg.object_storage.bucket is not None
    assert key_id is not None and secret_key is not None, "check requires the pair"
    return postgres.BackupStore(
        endpoint_url=cfg.object_storage.endpoint_url,
        bucket=cfg.object_storage.bucket,
        region=cfg.region,
        access_key_id=key_id,
        secret_access_key=secret_key,
    )
