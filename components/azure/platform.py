"""AzurePlatform: everything model-engine needs on Azure, returned as PlatformOutputs.

resource group + VNet + private DNS -> AKS -> node pools. PostgreSQL (VNet-integrated),
Managed Redis, Service Bus, ACR, Blob storage and Key Vault start with the network, not
after AKS (Managed Redis takes longest and starts at once); only the federated credentials
(which need the cluster's OIDC issuer) and the kubelet's AcrPull wait for the cluster.
Every fact the chart needs comes from a resource output or the deployer's client config
(subscription, tenant); the stack file holds only choices.
"""

from __future__ import annotations

import pulumi
import pulumi_random as random
from pulumi_azure_native import authorization

from components import contract
from components.addons import identities as addon_ids
from components.azure import PLATFORM
from components.azure import settings as az
from components.azure.alerts import ActionGroup, ActionGroupArgs, AlertTarget
from components.azure.broker import Broker, BrokerArgs
from components.azure.cache import Cache, CacheArgs
from components.azure.cluster import Cluster, ClusterArgs
from components.azure.common import (
    PART_OF_TAG,
    PlacedArgs,
    ServiceArgs,
    base_name,
    grant,
    trim_name,
    unique_suffix,
)
from components.azure.database import Database, DatabaseArgs
from components.azure.facts import (
    CLIENT_ID_ANNOTATION,
    VAULT_SUFFIX_LENGTH,
    FactSources,
    Names,
    _cfg,
    build_facts,
    gpu_pools,
)
from components.azure.identity import (
    Identity,
    IdentityArgs,
    control_plane_grants,
    control_plane_subjects,
    inference_grants,
    inference_subjects,
)
from components.azure.network import Network, NetworkArgs
from components.azure.node_pools import NodePools, NodePoolsArgs
from components.azure.registry import Registry, RegistryArgs
from components.azure.settings import private_services
from components.azure.storage import Storage, StorageArgs
from components.azure.vault import DATABASE_PASSWORD_SECRET, Vault, VaultArgs
from components.contract import (
    Credentials,
    PlatformOutputs,
)
from components.platform import PlatformArgs
from components.settings_loader import secret


class AzurePlatform(pulumi.ComponentResource):
    outputs: PlatformOutputs
    network: Network
    cluster: Cluster
    nodes: NodePools
    database: Database
    cache: Cache
    broker: Broker
    registry: Registry
    storage: Storage
    vault: Vault
    identity: Identity

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:azure:Platform", name, None, opts)
        settings = args.settings
        cfg = _cfg(settings)
        protect = settings.protect
        private = cfg.network.private_access
        location = cfg.location
        tags = {
            "app.kubernetes.io/part-of": PART_OF_TAG,
            "model-engine/environment": settings.environment,
            **cfg.tags,
        }
        sub = pulumi.ResourceOptions(parent=self)
        client = authorization.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        )
        subscription = client.subscription_id
        resource_group = cfg.resource_group.name or f"rg-{base_name(settings.environment)}"
        suffix = subscription.apply(
            lambda s: unique_suffix(s, resource_group, settings.environment)
        )
        vault_suffix = random.RandomString(
            f"{name}-vault-suffix",
            length=VAULT_SUFFIX_LENGTH,
            special=False,
            upper=False,
            opts=sub,
        )
        names = Names.of(settings, suffix, vault_suffix.result)
        database_server = names.dns(63)

        self.network = Network(
            f"{name}-network",
            NetworkArgs(
                settings=cfg.network,
                resource_group=cfg.resource_group,
                resource_group_name=names.resource_group,
                location=location,
                database_zone_prefix=trim_name(base_name(settings.environment), 54),
                private_services=private_services(cfg),
                tags=tags,
            ),
            opts=sub,
        )
        rg = self.network.resource_group_name
        # Where every stateful child lives and how it is kept (their Args' shared base).
        placed = vars(
            PlacedArgs(location=location, resource_group_name=rg, protect=protect, tags=tags)
        )
        service = vars(ServiceArgs(**placed, private=private))
        ops = settings.operations
        self.action_group = ActionGroup(
            f"{name}-alerts",
            ActionGroupArgs(
                base=base_name(settings.environment),
                alerts=ops.alerts,
                resource_group_name=rg,
                tags=tags,
            ),
            opts=sub,
        )
        alerts = AlertTarget(
            self.action_group.id, ops.alerts.thresholds, rg, base_name(settings.environment)
        )

        # Stateful services first: none of them waits for AKS.
        self.cache = Cache(
            f"{name}-cache",
            CacheArgs(
                settings=cfg.redis,
                # Managed Redis: the name and the region together make at most 63 characters.
                cluster_name=names.dns(min(60, 62 - len(location))),
                **service,
                alerts=alerts,
            ),
            opts=sub,
        )
        self.database = Database(
            f"{name}-database",
            DatabaseArgs(
                settings=cfg.database,
                server_name=database_server,
                location=location,
                resource_group_name=rg,
                delegated_subnet_id=self.network.database_subnet_id,
                private_dns_zone_id=self.network.postgres_zone.id,
                zone_link=self.network.postgres_zone_link,
                protect=protect,
                tags=tags,
                maintenance=ops.maintenance,
                alerts=alerts,
                restore_password=(
                    secret(az.RESTORE_PASSWORD_KEY) if cfg.database.restore is not None else None
                ),
            ),
            opts=sub,
        )
        self.broker = Broker(
            f"{name}-broker",
            BrokerArgs(
                settings=cfg.service_bus,
                namespace_name=names.dns(50),
                **service,
                alerts=alerts,
            ),
            opts=sub,
        )
        self.vault = Vault(
            f"{name}-vault",
            VaultArgs(
                settings=cfg.key_vault,
                vault_name=names.key_vault,
                tenant_id=client.tenant_id,
                **service,
            ),
            opts=sub,
        )
        # ACR's artifact cache reads a private upstream's user name and token through the
        # credential set's identity, from Microsoft's network, not the VNet, and Key Vault's
        # trusted services admit ACR only for customer-managed keys ("Virtual network service
        # endpoints for Azure Key Vault", Trusted services: services not listed do not bypass
        # the firewall). A vault that refuses public traffic would refuse the cache, so those
        # two secrets get a vault of their own that takes it; RBAC still lets only the
        # credential set's identity read them.
        upstream_vault = self.vault
        upstream = cfg.registry.upstream
        if private and upstream is not None and upstream.username is not None:
            upstream_vault = Vault(
                f"{name}-upstream-vault",
                VaultArgs(
                    settings=cfg.key_vault,
                    vault_name=names.upstream_vault,
                    tenant_id=client.tenant_id,
                    **{**service, "private": False},
                ),
                opts=sub,
            )
        self.registry = Registry(
            f"{name}-registry",
            RegistryArgs(
                settings=cfg.registry,
                registry_name=names.registry,
                **service,
                subscription_id=subscription,
                vault=upstream_vault,
                upstream_token=secret(az.UPSTREAM_TOKEN_KEY),
            ),
            opts=sub,
        )
        self.storage = Storage(
            f"{name}-storage",
            StorageArgs(
                settings=cfg.storage,
                account_name=names.storage_account,
                **service,
            ),
            opts=sub,
        )
        self.vault.store(
            f"{name}-vault-db-password", DATABASE_PASSWORD_SECRET, self.database.password
        )
        targets: dict[str, tuple[pulumi.Resource, pulumi.Input[str]]] = {
            "redis": (self.cache, self.cache.cluster.id),
            "blob": (self.storage, self.storage.account.id),
            "keyvault": (self.vault, self.vault.vault.id),
            "registry": (self.registry, self.registry.registry.id),
            "servicebus": (self.broker, self.broker.namespace.id),
        }
        for key in private_services(cfg):
            parent, target = targets[key]
            self.network.private_endpoint(
                parent, f"{name}-{key}", key=key, target_id=target, location=location
            )

        self.cluster = Cluster(
            f"{name}-cluster",
            ClusterArgs(
                settings=cfg.cluster,
                system_pool=cfg.node_pools.system,
                name=names.cluster,
                node_subnet_id=self.network.node_subnet_id,
                tenant_id=client.tenant_id,
                subscription_id=subscription,
                deployer_object_id=cfg.cluster.deployer_object_id or client.object_id,
                deployer_client_id=cfg.cluster.deployer_client_id or client.client_id,
                zones=cfg.cluster.zones,
                maintenance=ops.maintenance,
                **placed,
            ),
            opts=sub,
        )
        pools = gpu_pools(settings)
        self.nodes = NodePools(
            f"{name}-nodes",
            NodePoolsArgs(
                cluster_name=self.cluster.name,
                resource_group_name=rg,
                node_subnet_id=self.network.node_subnet_id,
                kubernetes_version=cfg.cluster.version,
                cpu=cfg.node_pools.cpu,
                zones=cfg.cluster.zones,
                gpu_pools=contract.gpu_pool_specs(settings, pools, PLATFORM.cloud),
                aks_installs_gpu_driver=not settings.addons.nvidia.install_driver,
                tags=tags,
                after=self.cluster.maintenance,
                alerts=alerts,
                cluster_group_id=pulumi.Output.all(subscription, rg).apply(
                    lambda a: f"/subscriptions/{a[0]}/resourceGroups/{a[1]}"
                ),
                node_group_id=pulumi.Output.all(
                    subscription, self.cluster.cluster.node_resource_group
                ).apply(lambda a: f"/subscriptions/{a[0]}/resourceGroups/{a[1]}"),
            ),
            opts=sub,
        )

        registry_id = self.registry.registry.id
        self.identity = Identity(
            f"{name}-identity",
            IdentityArgs(
                location=location,
                resource_group_name=rg,
                subscription_id=subscription,
                oidc_issuer_url=self.cluster.oidc_issuer_url,
                control_plane_name=names.control_plane_identity,
                inference_name=names.inference_identity,
                control_plane_subjects=control_plane_subjects(settings),
                inference_subjects=inference_subjects(settings),
                control_plane_grants=control_plane_grants(
                    cfg, self.broker.namespace.id, self.storage.account.id, registry_id
                ),
                inference_grants=inference_grants(cfg, self.storage.account.id),
                tags=tags,
            ),
            opts=sub,
        )
        control_plane = self.identity.control_plane
        self.cache.allow(f"{name}-cache-control-plane", control_plane.principal_id, rg)
        kubelet_pull = grant(
            self,
            f"{name}-kubelet-acr-pull",
            role="AcrPull",
            scope=registry_id,
            principal_id=self.cluster.kubelet_object_id,
            subscription_id=subscription,
        )
        # The add-ons wait only for nodes, pulls and identities (KEDA's federation); the
        # data services and the warm-up Job hold back the chart alone, so the add-ons
        # install while Managed Redis (the slowest) is still being created.
        depends_on: list[pulumi.Resource] = [
            self.nodes,
            self.identity,
            kubelet_pull,
            # The gateway's internal load balancer joins the nodes' subnet.
            self.cluster.network_grant,
        ]
        chart_depends_on: list[pulumi.Resource] = [
            self.cache,
            self.storage,
            self.broker,
            self.database,
        ]
        warm = self.registry.warm_up(
            f"{name}-registry",
            cfg.registry,
            self.cluster.provider,
            pull_grants=[kubelet_pull],
            depends_on=[self.nodes.cpu],
        )
        if warm is not None:
            chart_depends_on.append(warm)

        facts = build_facts(
            settings,
            FactSources(
                cluster_name=self.cluster.name,
                subscription_id=subscription,
                login_server=self.registry.login_server,
                repositories=self.registry.names,
                database_host=self.database.host,
                database_port=self.database.port,
                redis_host=self.cache.host,
                redis_port=self.cache.port,
                storage_account=self.storage.name,
                servicebus_namespace=self.broker.name,
                key_vault=self.vault.name,
                control_plane_name=control_plane.name,
                control_plane_client_id=control_plane.client_id,
                control_plane_object_id=control_plane.principal_id,
                inference_client_id=self.identity.inference.client_id,
            ),
        )
        self.outputs = PlatformOutputs(
            kubernetes_provider=self.cluster.provider,
            facts=facts,
            credentials=Credentials(database_password=self.database.password),
            gpu_pools=pools,
            depends_on=depends_on,
            chart_depends_on=chart_depends_on,
            addon_identities={
                addon_ids.KEDA_OPERATOR: {CLIENT_ID_ANNOTATION: control_plane.client_id},
            },
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster.name,
                "database_host": self.database.host,
                "redis_host": self.cache.host,
                "storage_account": self.storage.name,
                "registry": self.registry.login_server,
                "control_plane_client_id": control_plane.client_id,
            }
        )
