"""GcpPlatform: everything model-engine needs on GCP, returned as PlatformOutputs.

The Google APIs first, everything else after them; node identity -> network -> GKE cluster
-> node pools; Cloud SQL and Memorystore wait only for private services access; Artifact
Registry, GCS and the workload identities start alongside. Every fact the chart needs
comes from a resource output (private IPs, the repository's registry URI, service-account
emails, the bucket); the stack file holds only choices.
"""

from __future__ import annotations

import pulumi
from pulumi_gcp import Provider

from components import contract
from components.addons import webhooks
from components.contract import (
    Credentials,
    PlatformOutputs,
)
from components.gcp import PLATFORM
from components.gcp import settings as gcp_settings
from components.gcp.alerts import GcpAlerts, GcpAlertsArgs
from components.gcp.apis import Apis, ApisArgs, waiting_for
from components.gcp.cache import Cache, CacheArgs, CacheClients, CacheClientsArgs
from components.gcp.cluster import Cluster, ClusterArgs
from components.gcp.common import PlacedArgs
from components.gcp.database import Database, DatabaseArgs
from components.gcp.facts import (
    FactSources,
    Names,
    _cfg,
    build_facts,
    gpu_pools,
    installed_addons,
)
from components.gcp.identity import (
    Identity,
    IdentityArgs,
    NodeIdentity,
    NodeIdentityArgs,
)
from components.gcp.network import Network, NetworkArgs
from components.gcp.node_pools import NodePools, NodePoolsArgs
from components.gcp.registry import Registry, RegistryArgs
from components.gcp.storage import (
    Storage,
    StorageArgs,
)
from components.model_engine.derive import orchestrator_account_in_endpoint_namespace
from components.naming import base_name
from components.platform import PlatformArgs
from components.settings_loader import secret

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

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:gcp:Platform", name, None, opts)
        settings = args.settings
        cfg = _cfg(settings)
        names = Names.of(settings)
        protect = settings.protect
        labels = {"environment": settings.environment, **cfg.labels}
        # Where every stateful child lives and how it is kept (their Args' shared base).
        placed = vars(
            PlacedArgs(project=cfg.project, region=cfg.region, labels=labels, protect=protect)
        )
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
        plan = installed_addons(settings)

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
                control_plane_ports=webhooks.control_plane_ports(settings, plan),
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
                apis=self.apis.after,
            ),
            opts=sub,
        )
        pools = gpu_pools(settings)
        self.nodes = NodePools(
            f"{name}-nodes",
            NodePoolsArgs(
                cluster=self.cluster.name,
                version=self.cluster.cluster.master_version,
                project=cfg.project,
                location=cfg.location,
                settings=cfg.node_pools,
                service_account=node_sa,
                gpu_pools=contract.gpu_pool_specs(settings, pools, PLATFORM.cloud),
                gpu_zones=cfg.cluster.gpu_zones,
                labels=labels,
            ),
            opts=sub,
        )
        db_cfg = cfg.database
        self.database = Database(
            f"{name}-database",
            DatabaseArgs(
                **placed,
                settings=db_cfg,
                name=names.database,
                network=self.network.network_id,
                private_services=self.network.private_services,
                deletion_protection=(
                    protect if db_cfg.deletion_protection is None else db_cfg.deletion_protection
                ),
                maintenance=cfg.maintenance,
                backup_start_hour=settings.operations.maintenance.backup_start_hour,
                restore_password=(
                    secret(gcp_settings.RESTORE_PASSWORD_KEY)
                    if db_cfg.restore is not None
                    else None
                ),
            ),
            opts=sub,
        )
        self.cache = Cache(
            f"{name}-cache",
            CacheArgs(
                **placed,
                settings=cfg.redis,
                name=names.redis,
                network=self.network.network_id,
                private_services=self.network.private_services,
                maintenance=cfg.maintenance,
            ),
            opts=sub,
        )
        ns = settings.namespaces
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
        # Alert policies on the two instances, routed to the stack's channel.
        GcpAlerts(
            f"{name}-alerts",
            GcpAlertsArgs(
                base=base_name(settings.environment),
                alerts=settings.operations.alerts,
                project=cfg.project,
                region=cfg.region,
                database_instance=names.database,
                redis_instance=names.redis,
                cluster=names.cluster,
            ),
            opts=pulumi.ResourceOptions.merge(
                sub, pulumi.ResourceOptions(depends_on=[self.database, self.cache])
            ),
        )
        self.registry = Registry(
            f"{name}-registry",
            RegistryArgs(
                settings=cfg.registry,
                **placed,
            ),
            opts=sub,
        )
        self.storage = Storage(
            f"{name}-storage",
            StorageArgs(
                settings=cfg.storage,
                name=names.bucket,
                apis=self.apis.after,
                **placed,
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
                orchestrator_account_in_endpoint_namespace=(
                    orchestrator_account_in_endpoint_namespace(settings)
                ),
            ),
            opts=sub,
        )

        facts = build_facts(
            settings,
            FactSources(
                cluster_name=self.cluster.name,
                registry_prefix=self.registry.prefix,
                docker_hub_mirror=self.registry.docker_hub_mirror,
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
