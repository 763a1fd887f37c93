"""The azure package's facts.py (the role: components/platform.py): its stack checks, GPU pools,
physical names, and the facts from the subscription and the workload identities."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components import contract, waits
from components.azure import PLATFORM
from components.azure import settings as az
from components.azure.cluster import SYSTEM_POOL
from components.azure.common import (
    alnum,
    base_name,
    lift,
    trim_name,
)
from components.azure.node_pools import CPU_POOL, pool_name
from components.azure.registry import registry_prefix, repository_names
from components.azure.storage import (
    fine_tune_repository,
    fine_tuned_weights_prefix,
)
from components.contract import (
    DEFERRED_MARKER,
    AzureFacts,
    GpuNodePool,
    Identities,
    ObjectStorage,
    PlatformFacts,
)
from components.contract import (
    Broker as BrokerFacts,
)
from components.settings import PoolCapacity, StackSettings
from components.settings_base import PROJECT, SettingsError, pool_key
from components.settings_loader import require_secrets, require_url_safe_secret

BROKER = "servicebus"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
# Managed Redis serves TLS on 10000.
REDIS_PORT = 10000
# kv-<environment, 11>-<suffix>: at most 24 characters.
VAULT_SUFFIX_LENGTH = 8
# Pools the program names itself.
RESERVED_POOLS = (SYSTEM_POOL, CPU_POOL)


def _cfg(settings: StackSettings) -> az.AzureSettings:
    return PLATFORM.block(settings)


@dataclass(frozen=True)
class Names:
    """Physical names. Globally unique ones (DNS names, storage, registry, vault) carry a
    suffix derived from subscription, resource group and environment; `suffix` is an
    Output during deploy and a placeholder before it."""

    resource_group: str
    cluster: str
    control_plane_identity: str
    inference_identity: str
    suffix: pulumi.Input[str]
    cfg: az.AzureSettings
    environment: str
    # The vault's own random suffix, kept in the stack's state (see key_vault).
    vault_suffix: pulumi.Input[str]

    @classmethod
    def of(
        cls,
        settings: StackSettings,
        suffix: pulumi.Input[str],
        vault_suffix: pulumi.Input[str] | None = None,
    ) -> Names:
        cfg = _cfg(settings)
        base = base_name(settings.environment)
        return cls(
            resource_group=cfg.resource_group.name or f"rg-{base}",
            cluster=cfg.cluster.name or trim_name(base, 63),
            control_plane_identity=f"{base}-control-plane",
            inference_identity=f"{base}-inference",
            suffix=suffix,
            cfg=cfg,
            environment=settings.environment,
            vault_suffix=suffix if vault_suffix is None else vault_suffix,
        )

    def _unique(self, fn) -> pulumi.Input[str]:  # type: ignore[no-untyped-def]
        return lift(fn, self.suffix)

    @property
    def storage_account(self) -> pulumi.Input[str]:
        if self.cfg.storage.account_name:
            return self.cfg.storage.account_name
        env = alnum(self.environment, 12)
        return self._unique(lambda s: f"me{env}{s}")

    @property
    def registry(self) -> pulumi.Input[str]:
        if self.cfg.registry.name:
            return self.cfg.registry.name
        env = alnum(self.environment, 30)
        return self._unique(lambda s: f"modelengine{env}{s}")

    @property
    def key_vault(self) -> pulumi.Input[str]:
        """Purge protection keeps a deleted vault's name taken for its retention (up to 90
        days), so a name derived only from the environment would block destroy-then-recreate:
        the suffix is random, drawn once and kept in the stack's state."""
        if self.cfg.key_vault.name:
            return self.cfg.key_vault.name
        env = trim_name(self.environment, 11)
        return lift(lambda s: f"kv-{env}-{s}", self.vault_suffix)

    @property
    def upstream_vault(self) -> pulumi.Input[str]:
        """The vault ACR's credential set reads a private upstream's credentials from, when
        the main vault refuses public traffic (components/azure/registry.py says why)."""
        env = trim_name(self.environment, 8)
        return lift(lambda s: f"kvacr-{env}-{s}", self.vault_suffix)

    def dns(self, limit: int) -> pulumi.Input[str]:
        """Redis cluster, Service Bus namespace, PostgreSQL server: DNS labels."""
        stem = trim_name(base_name(self.environment), limit - 9)
        return self._unique(lambda s: f"{stem}-{s}")


# ---------------------------------------------------------------------------------------
# What the stack file alone decides


# AKS taints Spot pools with this; endpoint pods need it among gpu.extraTaintKeys.
SPOT_TAINT_KEY = "kubernetes.azure.com/scalesetpriority"
_CAPACITY_RESERVATION_GROUP = (
    r"/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/"
    r"Microsoft\.Compute/capacityReservationGroups/[^/]+"
)


def capacity_problems(
    zones: Sequence[str], capacity: PoolCapacity, key: str, extra_taint_keys: Sequence[str]
) -> list[str]:
    """A GPU pool's capacity and zones as AKS can honour them (which capacity types Azure
    has: the catalog's held_capacity)."""
    problems: list[str] = []
    if capacity.reservation is not None and not re.fullmatch(
        _CAPACITY_RESERVATION_GROUP, capacity.reservation
    ):
        problems.append(
            f"{key}.capacity.reservation: name the capacity reservation group by resource id "
            "(/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/"
            "capacityReservationGroups/<name>; `az capacity reservation group list`)"
        )
    if capacity.type == "spot" and SPOT_TAINT_KEY not in extra_taint_keys:
        problems.append(
            f"{key}.capacity.type: AKS taints Spot pools with {SPOT_TAINT_KEY}=spot; add "
            f"{SPOT_TAINT_KEY} to model-engine-infra:gpu.extraTaintKeys so endpoint pods "
            "tolerate it"
        )
    bad = [z for z in zones if z not in ("1", "2", "3")]
    if bad:
        problems.append(f"{key}.zones: Azure zones are 1, 2 and 3 (got {', '.join(bad)})")
    return problems


def check(settings: StackSettings) -> None:
    """GPU pools must fit AKS's pool naming (their VM sizes and capacity types: the
    interface's Platform.pool_problems)."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for i, pool in enumerate(settings.gpu.pools):
        key = pool_key(i)
        aks_name = pool_name(pool.name)
        if not aks_name or not aks_name[0].isalpha() or aks_name in RESERVED_POOLS:
            problems.append(
                f"{key}.name: {pool.name!r} becomes AKS pool {aks_name!r}, which is empty, "
                f"starts with a digit or is reserved ({', '.join(RESERVED_POOLS)}); start the "
                "name with a letter and pick another"
            )
        elif aks_name in seen:
            problems.append(
                f"{key}.name: {pool.name!r} and {seen[aks_name]!r} both become AKS pool "
                f"{aks_name!r} (letters and digits, 12 at most); make them differ early"
            )
        seen[aks_name] = pool.name
        problems += capacity_problems(pool.zones, pool.capacity, key, settings.gpu.extra_taint_keys)
    upstream = _cfg(settings).registry.upstream
    if upstream is not None:
        problems += waits.warm_up_disk_problems(
            sorted(upstream.warm),
            _cfg(settings).node_pools.cpu.os_disk_size_gb,
            f"{PROJECT}:azure.nodePools.cpu.osDiskSizeGb",
        )
    if problems:
        raise SettingsError(problems)
    upstream = _cfg(settings).registry.upstream
    if upstream is not None and upstream.username is not None:
        require_secrets(settings, [az.UPSTREAM_TOKEN_KEY])
    if _cfg(settings).database.restore is not None:
        require_secrets(settings, [az.RESTORE_PASSWORD_KEY])
        require_url_safe_secret(
            az.RESTORE_PASSWORD_KEY,
            "the source server's administrator password goes into the database URL",
            "reset it on the source (az postgres flexible-server update --admin-password) "
            "before the restore's instant, or restore from an instant after a reset",
        )


def gpu_pools(settings: StackSettings) -> list[GpuNodePool]:
    """One AKS user pool per gpu.pools entry; GPUs per node follow the VM size."""
    return contract.cloud_gpu_pools(settings, PLATFORM.cloud)


def kubernetes_version(settings: StackSettings) -> str:
    return _cfg(settings).cluster.version


# ---------------------------------------------------------------------------------------
# Facts: the same function builds them from placeholders (preview) and Outputs (deploy)


@dataclass(frozen=True)
class FactSources:
    cluster_name: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    login_server: pulumi.Input[str]
    repositories: Mapping[str, pulumi.Input[str]]
    database_host: pulumi.Input[str]
    database_port: pulumi.Input[int]
    redis_host: pulumi.Input[str]
    redis_port: pulumi.Input[int]
    storage_account: pulumi.Input[str]
    servicebus_namespace: pulumi.Input[str]
    key_vault: pulumi.Input[str]
    control_plane_name: pulumi.Input[str]
    control_plane_client_id: pulumi.Input[str]
    control_plane_object_id: pulumi.Input[str]
    inference_client_id: pulumi.Input[str]


def warmed_tags(settings: StackSettings) -> dict[str, tuple[str, ...]]:
    """The tags the warm-up Job pulls through the cache rules before the chart installs."""
    upstream = _cfg(settings).registry.upstream
    return {} if upstream is None else {k: (tag,) for k, tag in upstream.warm.items()}


# The stack key listing them, for the errors that ask for a tag.
WARMED_TAGS_KEY = "azure.registry.upstream.warm"


def build_facts(settings: StackSettings, src: FactSources) -> PlatformFacts:
    cfg = _cfg(settings)
    container = cfg.storage.container
    return PlatformFacts(
        cloud_provider=PLATFORM.cloud_provider,
        cluster_name=src.cluster_name,
        region=cfg.location,
        account_id=src.subscription_id,
        registry=contract.Registry(
            prefix=src.login_server,
            repositories=dict(src.repositories),
            warmed_tags=warmed_tags(settings),
            warmed_tags_key=WARMED_TAGS_KEY,
        ),
        database=contract.Database(
            host=src.database_host,
            port=src.database_port,
            name=cfg.database.name,
            user=cfg.database.user,
            ssl_mode="require",
        ),
        # Entra tokens, not a password: no auth secret.
        cache=contract.Cache(host=src.redis_host, port=src.redis_port, tls=True, auth=False),
        broker=BrokerFacts(kind=BROKER),
        storage=ObjectStorage(
            # A required infra key the server reads only for S3 paths; the container is the
            # nearest thing Azure has.
            bucket=container,
            fine_tune_repository=fine_tune_repository(container),
            fine_tuned_weights_prefix=lift(
                fine_tuned_weights_prefix, src.storage_account, container
            ),
        ),
        # The chart annotates both ServiceAccounts with the client ids from the azure block.
        identities=Identities(),
        prometheus_address=settings.prometheus_address,
        azure=AzureFacts(
            identity_name=src.control_plane_name,
            client_id=src.control_plane_client_id,
            object_id=src.control_plane_object_id,
            keyvault_name=src.key_vault,
            abs_account_name=src.storage_account,
            abs_container_name=container,
            servicebus_namespace=src.servicebus_namespace,
            inference_client_id=src.inference_client_id,
        ),
    )


def _unknown(what: str) -> str:
    return f"{DEFERRED_MARKER}azure {what}>"


def preview_facts(settings: StackSettings) -> PlatformFacts:
    """The facts before any resource exists: known values plain, the rest placeholders."""
    names = Names.of(settings, _unknown("name suffix"))
    return build_facts(
        settings,
        FactSources(
            cluster_name=names.cluster,
            subscription_id=_unknown("subscription id"),
            login_server=lift(registry_prefix, names.registry),
            repositories=repository_names(),
            database_host=_unknown("postgresql fqdn"),
            database_port=5432,
            redis_host=_unknown("managed redis host name"),
            redis_port=REDIS_PORT,
            storage_account=names.storage_account,
            servicebus_namespace=names.dns(50),
            key_vault=names.key_vault,
            control_plane_name=names.control_plane_identity,
            control_plane_client_id=_unknown("control-plane client id"),
            control_plane_object_id=_unknown("control-plane principal id"),
            inference_client_id=_unknown("inference client id"),
        ),
    )
