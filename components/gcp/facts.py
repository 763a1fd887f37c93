"""The gcp package's facts.py (the role: components/platform.py): its stack checks, GPU pools,
physical names, and the facts from the project and the Google service accounts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components import contract
from components import settings_loader as stack
from components.addons import addons
from components.addons.versions import kubernetes_minors
from components.contract import (
    DEFERRED_MARKER,
    Broker,
    GcpFacts,
    GpuNodePool,
    Identities,
    ObjectStorage,
    PlatformFacts,
)
from components.gcp import PLATFORM
from components.gcp import settings as gcp_settings
from components.gcp.common import base_name, lift, trim_name
from components.gcp.database import PORT as POSTGRES_PORT
from components.gcp.identity import (
    INFERENCE_SERVICE_ACCOUNT,
    account_email,
    account_id,
)
from components.gcp.registry import mirror_id, registry_prefix, repository_names
from components.gcp.storage import (
    bucket_name,
    fine_tune_repository,
    fine_tuned_weights_prefix,
)
from components.settings import PoolCapacity, StackSettings
from components.settings_base import PROJECT, SettingsError, pool_key

BROKER = "redis"
REDIS_PORT = 6379
# Secrets of other platforms that mean nothing here: the Cloud SQL password is generated.
UNUSED_SECRETS = ("databasePassword", "objectStorageAccessKeyId", "objectStorageSecretAccessKey")


def _cfg(settings: StackSettings) -> gcp_settings.GcpSettings:
    return PLATFORM.block(settings)


@dataclass(frozen=True)
class Names:
    """Physical names, derived from the environment (or the operator's explicit choice)."""

    cluster: str
    network: str
    database: str
    redis: str
    bucket: str
    control_plane_account: str
    inference_account: str

    @classmethod
    def of(cls, settings: StackSettings) -> Names:
        cfg = _cfg(settings)
        base = base_name(settings.environment)
        return cls(
            cluster=cfg.cluster.name or trim_name(base, 40),
            # Networks, routers, addresses: 63; Cloud SQL instances: 80 (less the project);
            # Memorystore instances: 40.
            network=trim_name(base, 40),
            database=trim_name(base, 63),
            redis=trim_name(base, 40),
            bucket=cfg.storage.bucket_name or bucket_name(cfg.project, settings.environment),
            control_plane_account=account_id(settings.environment, "ctl"),
            inference_account=account_id(settings.environment, "inf"),
        )


# ---------------------------------------------------------------------------------------
# What the stack file alone decides


# A reservation in this project by name, or a shared one as projects/<p>/reservations/<name>.
_RESERVATION = re.compile(
    r"^(projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/reservations/)?[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
)


def capacity_problems(
    zones: Sequence[str], capacity: PoolCapacity, key: str, region: str
) -> list[str]:
    """A GPU pool's capacity and zones as GKE can honour them (which capacity types GCP has:
    the catalog's held_capacity)."""
    problems: list[str] = []
    if capacity.reservation is not None and not _RESERVATION.match(capacity.reservation):
        problems.append(
            f"{key}.capacity.reservation: {capacity.reservation!r} is not a reservation name "
            "(or projects/<project>/reservations/<name> for a shared one; `gcloud compute "
            "reservations list`)"
        )
    # A specific Compute Engine reservation is zonal ("Reservations of Compute Engine zonal
    # resources"): nodes in the pool's other zones find nothing to consume and fail to start.
    if capacity.type == "reservation" and not zones:
        problems.append(
            f"{key}.zones: reservation {capacity.reservation!r} lives in one zone; name it "
            "(`gcloud compute reservations describe` shows it) so the pool runs only there"
        )
    bad = [z for z in zones if not re.fullmatch(rf"{re.escape(region)}-[a-z]", z)]
    if bad:
        problems.append(
            f"{key}.zones: {', '.join(bad)} are not zones of {region} (e.g. {region}-a)"
        )
    return problems


def check(settings: StackSettings) -> None:
    """GPU pools' zones and reservations as GKE takes them (their machine types and capacity
    types: the interface's Platform.pool_problems); secrets of other platforms and add-on
    choices that would fight GKE are refused."""
    problems: list[str] = []
    for i, pool in enumerate(settings.gpu.pools):
        key = pool_key(i)
        problems += capacity_problems(pool.zones, pool.capacity, key, _cfg(settings).region)
    cfg = _cfg(settings)
    problems += version_problems(settings)
    if settings.gpu.pools and cfg.cluster.zone is None and not cfg.cluster.gpu_zones:
        problems.append(
            f"{PROJECT}:gcp.cluster.gpuZones: a regional cluster would put every GPU pool in "
            f"all zones of {cfg.region}, and GKE fails to create a pool in a zone without its "
            "GPU; list the zones that offer your accelerators (Compute Engine: GPU regions and "
            "zones), e.g. [" + f"{cfg.region}-a, {cfg.region}-c]"
        )
    nvidia = settings.addons.nvidia
    if nvidia.mode != "auto":
        problems.append(
            f"{PROJECT}:addons.nvidia.mode: GKE installs the NVIDIA driver and device plugin "
            "on GPU nodes and cuts MIG slices itself, so no device plugin or GPU operator is "
            "installed on GCP (a second one would fight GKE's); remove addons.nvidia.mode"
        )
    given = [k for k in UNUSED_SECRETS if stack.secret(k) is not None]
    problems += [
        f"{PROJECT}:{k}: not used with cloud 'gcp' (the Cloud SQL password is generated and "
        f"storage access is Workload Identity); remove it with `pulumi config rm {k}`"
        for k in given
    ]
    backup_hour = settings.operations.maintenance.backup_start_hour
    if _cfg(settings).maintenance.covers_hour(backup_hour):
        problems.append(
            f"{PROJECT}:operations.maintenance.backupStartHour: {backup_hour}:00 UTC falls inside "
            f"gcp.maintenance (from {_cfg(settings).maintenance.start_hour_utc}:00 UTC for "
            f"{_cfg(settings).maintenance.hours} h), where Cloud SQL may restart for updates "
            "during its daily backup; move one of them"
        )
    if problems:
        raise SettingsError(problems)
    if _cfg(settings).database.restore is not None:
        stack.require_secrets(settings, [gcp_settings.RESTORE_PASSWORD_KEY])
        stack.require_url_safe_secret(
            gcp_settings.RESTORE_PASSWORD_KEY,
            "the user's password goes into the database URL",
            "set a password without them on the source's user (gcloud sql users set-password) "
            "before the clone's instant",
        )


def installed_addons(settings: StackSettings) -> dict[str, list[str]]:
    """The add-ons the program installs on this cluster (GKE runs its own metrics-server and
    device plugin and scales the nodes itself)."""
    from components.gcp import PLATFORM

    return addons.planned(
        settings, settings.prometheus_address, PLATFORM, has_gpu_pools=bool(settings.gpu.pools)
    )


def version_problems(settings: StackSettings) -> list[str]:
    """The cluster's minor version is pinned (GKE would otherwise pick the channel's, and move
    it) and inside what the installed add-ons support."""
    key = f"{PROJECT}:gcp.cluster.version"
    supported = kubernetes_minors(list(installed_addons(settings)))
    version = _cfg(settings).cluster.version
    if supported is None:
        return []
    low, high = supported
    span = f"1.{low}" if low == high else f"1.{low} to 1.{high}"
    if version is None:
        return [
            f'{key}: set the Kubernetes minor version, e.g. "1.{high}": the add-ons this '
            f"stack installs support {span} only (components/addons/versions.py), and GKE "
            "would otherwise create the cluster at its channel's default and upgrade it"
        ]
    minor = int(version.split(".")[1])
    if not low <= minor <= high:
        return [
            f"{key}: {version} is outside what the installed add-ons support ({span}); pick "
            "one in that range (a cluster already newer cannot go back: keep it and pin add-ons "
            "that support it)"
        ]
    return []


def gpu_pools(settings: StackSettings) -> list[GpuNodePool]:
    """One GKE node pool per gpu.pools entry; GPUs per node follow the machine type."""
    return contract.cloud_gpu_pools(settings, PLATFORM.cloud)


def kubernetes_version(settings: StackSettings) -> str | None:
    """The minimum control-plane version the stack asks for; unset: the channel's."""
    return _cfg(settings).cluster.version


# ---------------------------------------------------------------------------------------
# Facts: the same function builds them from placeholders (preview) and Outputs (deploy)


@dataclass(frozen=True)
class FactSources:
    cluster_name: pulumi.Input[str]
    registry_prefix: pulumi.Input[str]
    database_host: pulumi.Input[str]
    cache_host: pulumi.Input[str]
    cache_port: pulumi.Input[int]
    bucket: pulumi.Input[str]
    control_plane_email: pulumi.Input[str]
    inference_email: pulumi.Input[str]
    # The Docker Hub mirror's image prefix; None when the stack turns the mirror off.
    docker_hub_mirror: pulumi.Input[str] | None = None


def build_facts(settings: StackSettings, src: FactSources) -> PlatformFacts:
    cfg = _cfg(settings)
    return PlatformFacts(
        cloud_provider=PLATFORM.cloud_provider,
        cluster_name=src.cluster_name,
        region=cfg.region,
        account_id=cfg.project,
        registry=contract.Registry(
            prefix=src.registry_prefix,
            repositories=repository_names(),
            docker_hub_mirror=src.docker_hub_mirror,
        ),
        database=contract.Database(
            host=src.database_host,
            port=POSTGRES_PORT,
            name=cfg.database.name,
            user=cfg.database.user,
            # Cloud SQL requires TLS (ENCRYPTED_ONLY); the server's client does not verify it.
            ssl_mode="require",
        ),
        # No AUTH, no TLS: the forwarders get neither at the pinned server (cache.py).
        cache=contract.Cache(host=src.cache_host, port=src.cache_port, tls=False, auth=False),
        broker=Broker(kind=BROKER),
        storage=ObjectStorage(
            bucket=src.bucket,
            fine_tune_repository=lift(fine_tune_repository, src.bucket),
            fine_tuned_weights_prefix=lift(fine_tuned_weights_prefix, src.bucket),
        ),
        # Workload Identity annotations come from the chart's gcp block (GcpFacts); the
        # inference pods get a ServiceAccount of their own (components/gcp/identity.py).
        identities=Identities(inference_service_account=INFERENCE_SERVICE_ACCOUNT),
        prometheus_address=settings.prometheus_address,
        gcp=GcpFacts(
            project_id=cfg.project,
            control_plane_service_account=src.control_plane_email,
            inference_service_account=src.inference_email,
        ),
    )


def _unknown(what: str) -> str:
    return f"{DEFERRED_MARKER}gcp {what}>"


def preview_facts(settings: StackSettings) -> PlatformFacts:
    """The facts before any resource exists: names and the registry path are known (they are
    chosen), private IPs are placeholders."""
    cfg = _cfg(settings)
    names = Names.of(settings)
    return build_facts(
        settings,
        FactSources(
            cluster_name=names.cluster,
            registry_prefix=registry_prefix(cfg.region, cfg.project, cfg.registry.repository_id),
            docker_hub_mirror=(
                registry_prefix(cfg.region, cfg.project, mirror_id(cfg.registry.repository_id))
                if cfg.registry.docker_hub_mirror
                else None
            ),
            database_host=_unknown("cloud sql private ip"),
            cache_host=_unknown("memorystore host"),
            cache_port=REDIS_PORT,
            bucket=names.bucket,
            control_plane_email=account_email(names.control_plane_account, cfg.project),
            inference_email=account_email(names.inference_account, cfg.project),
        ),
    )
