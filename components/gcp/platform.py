"""GcpPlatform: everything model-engine needs on GCP, returned as PlatformOutputs.

The Google APIs first, everything else after them; node identity -> network -> GKE cluster
-> node pools; Cloud SQL and Memorystore wait only for private services access; Artifact
Registry, GCS and the workload identities start alongside. Every fact the chart needs
comes from a resource output (private IPs, the repository's registry URI, service-account
emails, the bucket); the stack file holds only choices.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import Provider

from components import accelerators, contract
from components import settings_loader as stack
from components.addons import addons, webhooks
from components.addons.versions import kubernetes_minors
from components.contract import (
    DEFERRED_MARKER,
    Broker,
    Credentials,
    GcpFacts,
    GpuNodePool,
    Identities,
    ObjectStorage,
    PlatformFacts,
    PlatformOutputs,
)
from components.gcp import settings as gcp_settings
from components.gcp.apis import Apis, ApisArgs, waiting_for
from components.gcp.cache import Cache, CacheArgs, CacheClients, CacheClientsArgs
from components.gcp.cluster import Cluster, ClusterArgs
from components.gcp.common import base_name, lift, trim_name
from components.gcp.database import PORT as POSTGRES_PORT
from components.gcp.database import Database, DatabaseArgs
from components.gcp.identity import (
    Identity,
    IdentityArgs,
    NodeIdentity,
    NodeIdentityArgs,
    account_email,
    account_id,
)
from components.gcp.network import Network, NetworkArgs
from components.gcp.node_pools import GPU_TAINT, GpuGroup, NodePools, NodePoolsArgs
from components.gcp.registry import Registry, RegistryArgs, registry_prefix, repository_names
from components.gcp.storage import (
    Storage,
    StorageArgs,
    bucket_name,
    fine_tune_repository,
    fine_tuned_weights_prefix,
)
from components.settings import PROJECT, StackSettings
from components.settings_base import SettingsError

CLOUD_PROVIDER = "gcp"
BROKER = "redis"
REDIS_PORT = 6379
# Secrets of other platforms that mean nothing here: the Cloud SQL password is generated.
UNUSED_SECRETS = ("databasePassword", "objectStorageAccessKeyId", "objectStorageSecretAccessKey")


def _cfg(settings: StackSettings) -> gcp_settings.GcpSettings:
    assert settings.gcp is not None, "settings validation requires the gcp block"
    return settings.gcp


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


def check(settings: StackSettings) -> None:
    """GPU pools must name a machine type GCP attaches their accelerator to; secrets of other
    platforms and add-on choices that would fight GKE are refused."""
    problems: list[str] = []
    offered = [k for k, a in accelerators.CATALOG.items() if a.instance_types(CLOUD_PROVIDER)]
    for i, pool in enumerate(settings.gpu.pools):
        key = f"{PROJECT}:gpu.pools[{i}]"
        problems += accelerators.pool_problems(
            pool,
            CLOUD_PROVIDER,
            key,
            "machine type",
            absent=(
                f"is not offered on GCP (GKE has no machine type with it); use one of "
                f"{', '.join(offered)}, or run this pool on another cloud"
            ),
            foreign=f"is not a GCP machine type with {pool.accelerator}",
        )
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
    if problems:
        raise SettingsError(problems)


def installed_addons(settings: StackSettings) -> dict[str, list[str]]:
    """The add-ons the program installs on this cluster (GKE scales nodes and runs the
    device plugin itself)."""
    return addons.planned(
        settings,
        settings.prometheus_address,
        needs_cluster_autoscaler=False,
        provides_gpu_device_plugin=True,
        has_gpu_pools=bool(settings.gpu.pools),
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
    return contract.cloud_gpu_pools(settings.gpu.pools, CLOUD_PROVIDER, GPU_TAINT)


def kubernetes_version(settings: StackSettings) -> str | None:
    """The minimum control-plane version the stack asks for; unset: the channel's."""
    return _cfg(settings).cluster.version


def secret_env_keys(settings: StackSettings) -> list[str]:
    return []


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


def build_facts(settings: StackSettings, src: FactSources) -> PlatformFacts:
    cfg = _cfg(settings)
    return PlatformFacts(
        cloud_provider=CLOUD_PROVIDER,
        cluster_name=src.cluster_name,
        region=cfg.region,
        account_id=cfg.project,
        registry=contract.Registry(prefix=src.registry_prefix, repositories=repository_names()),
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
        # Workload Identity annotations come from the chart's gcp block (GcpFacts).
        identities=Identities(),
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
            database_host=_unknown("cloud sql private ip"),
            cache_host=_unknown("memorystore host"),
            cache_port=REDIS_PORT,
            bucket=names.bucket,
            control_plane_email=account_email(names.control_plane_account, cfg.project),
            inference_email=account_email(names.inference_account, cfg.project),
        ),
    )


# ---------------------------------------------------------------------------------------
# The component


class GcpPlatform(pulumi.ComponentResource):
    outputs: PlatformOutputs
    apis: Apis
    node_identity: NodeIdentity
    network: Network
    cluster: Cluster
    nodes: NodePools
    database: Database
    cache: Cache
    registry: Registry
    storage: Storage
    identity: Identity
    cache_clients: CacheClients

    def __init__(
        self, name: str, settings: StackSettings, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:gcp:Platform", name, None, opts)
        cfg = _cfg(settings)
        names = Names.of(settings)
        protect = settings.protect
        labels = {"environment": settings.environment, **cfg.labels}
        # Everything lives in the stack's project and region: the provider says so once.
        provider = Provider(
            f"{name}-gcp",
            project=cfg.project,
            region=cfg.region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.apis = Apis(
            f"{name}-apis",
            ApisArgs(project=cfg.project),
            opts=pulumi.ResourceOptions(parent=self, providers=[provider]),
        )
        # Every resource below, at any depth, waits for the APIs.
        sub = pulumi.ResourceOptions(
            parent=self, providers=[provider], transformations=[waiting_for(self.apis.after)]
        )

        self.node_identity = NodeIdentity(
            f"{name}-node-identity",
            NodeIdentityArgs(project=cfg.project, environment=settings.environment),
            opts=sub,
        )
        node_sa = self.node_identity.account.email
        self.network = Network(
            f"{name}-network",
            NetworkArgs(
                settings=cfg.network,
                project=cfg.project,
                region=cfg.region,
                name=names.network,
                node_service_account=node_sa,
                control_plane_cidr=cfg.cluster.master_cidr,
                control_plane_ports=webhooks.control_plane_ports(
                    settings, installed_addons(settings)
                ),
            ),
            opts=sub,
        )
        self.cluster = Cluster(
            f"{name}-cluster",
            ClusterArgs(
                settings=cfg.cluster,
                name=names.cluster,
                project=cfg.project,
                location=cfg.location,
                network=self.network.network_id,
                subnetwork=self.network.subnetwork_id,
                pods_range_name=self.network.pods_range_name,
                services_range_name=self.network.services_range_name,
                node_service_account=node_sa,
                labels=labels,
                protect=protect,
                region=cfg.region,
                environment=settings.environment,
                maintenance=cfg.maintenance,
            ),
            opts=sub,
        )
        pools = gpu_pools(settings)
        self.nodes = NodePools(
            f"{name}-nodes",
            NodePoolsArgs(
                cluster=self.cluster.name,
                project=cfg.project,
                location=cfg.location,
                settings=cfg.node_pools,
                service_account=node_sa,
                gpu_groups=[
                    GpuGroup(
                        pool=pool,
                        machine_type=accelerators.node_type(p, CLOUD_PROVIDER),
                        initial_nodes=1 if (p.desired_size or p.min_size) else 0,
                        disk_size_gb=p.disk_size_gb,
                    )
                    for pool, p in zip(pools, settings.gpu.pools, strict=True)
                ],
                gpu_zones=cfg.cluster.gpu_zones,
                labels=labels,
            ),
            opts=sub,
        )
        db_cfg = cfg.database
        self.database = Database(
            f"{name}-database",
            DatabaseArgs(
                settings=db_cfg,
                name=names.database,
                project=cfg.project,
                region=cfg.region,
                network=self.network.network_id,
                private_services=self.network.private_services,
                deletion_protection=(
                    protect if db_cfg.deletion_protection is None else db_cfg.deletion_protection
                ),
                labels=labels,
                protect=protect,
                maintenance=cfg.maintenance,
            ),
            opts=sub,
        )
        self.cache = Cache(
            f"{name}-cache",
            CacheArgs(
                settings=cfg.redis,
                name=names.redis,
                project=cfg.project,
                region=cfg.region,
                network=self.network.network_id,
                private_services=self.network.private_services,
                labels=labels,
                protect=protect,
                maintenance=cfg.maintenance,
            ),
            opts=sub,
        )
        ns = settings.namespaces
        plan = installed_addons(settings)
        self.cache_clients = CacheClients(
            f"{name}-cache-clients",
            CacheClientsArgs(
                host=self.cache.host,
                port=self.cache.port,
                clients=[ns.release, ns.endpoints, *plan.get("keda", [])],
                provider=self.cluster.provider,
                # The CRD comes with Dataplane V2; the agents that enforce it run on nodes.
                after=[self.cluster.cluster, self.nodes.system],
            ),
            opts=sub,
        )
        self.registry = Registry(
            f"{name}-registry",
            RegistryArgs(
                settings=cfg.registry,
                project=cfg.project,
                region=cfg.region,
                labels=labels,
                protect=protect,
            ),
            opts=sub,
        )
        self.storage = Storage(
            f"{name}-storage",
            StorageArgs(
                settings=cfg.storage,
                name=names.bucket,
                project=cfg.project,
                region=cfg.region,
                labels=labels,
                protect=protect,
            ),
            opts=sub,
        )
        self.identity = Identity(
            f"{name}-identity",
            IdentityArgs(
                project=cfg.project,
                environment=settings.environment,
                release_namespace=ns.release,
                endpoint_namespace=ns.endpoints,
                bucket=self.storage.name,
                repository=self.registry.repository,
                mirror=self.registry.mirror,
                node_service_account=node_sa,
                cluster=self.cluster.cluster,
            ),
            opts=sub,
        )

        facts = build_facts(
            settings,
            FactSources(
                cluster_name=self.cluster.name,
                registry_prefix=self.registry.prefix,
                database_host=self.database.host,
                cache_host=self.cache.host,
                cache_port=self.cache.port,
                bucket=self.storage.name,
                control_plane_email=self.identity.control_plane.email,
                inference_email=self.identity.inference.email,
            ),
        )
        self.outputs = PlatformOutputs(
            kubernetes_provider=self.cluster.provider,
            facts=facts,
            credentials=Credentials(database_password=self.database.password),
            gpu_pools=pools,
            # Nodes must exist before Helm waits on pods; no add-on pod runs before the
            # fence around Redis.
            depends_on=[self.nodes.system, self.nodes.cpu, self.cache_clients.policy],
            # GKE's own cluster autoscaler scales every pool, GPU pools from zero.
            needs_cluster_autoscaler=False,
            kubernetes_version=kubernetes_version(settings),
            provides_gpu_device_plugin=True,
            docker_hub_mirror=self.registry.docker_hub_mirror,
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster.name,
                "database_host": self.database.host,
                "redis_host": self.cache.host,
                "bucket": self.storage.name,
                "registry_prefix": self.registry.prefix,
                "control_plane_service_account": self.identity.control_plane.email,
                "inference_service_account": self.identity.inference.email,
            }
        )
