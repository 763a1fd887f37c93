"""AzurePlatform: everything model-engine needs on Azure, returned as PlatformOutputs.

resource group + VNet + private DNS -> AKS -> node pools. PostgreSQL (VNet-integrated),
Managed Redis, Service Bus, ACR, Blob storage and Key Vault start with the network, not
after AKS (Managed Redis takes longest and starts at once); only the federated credentials
(which need the cluster's OIDC issuer) and the kubelet's AcrPull wait for the cluster.
Every fact the chart needs comes from a resource output or the deployer's client config
(subscription, tenant); the stack file holds only choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

from components import accelerators, contract
from components.addons import identities as addon_ids
from components.azure import settings as az
from components.azure.broker import Broker, BrokerArgs
from components.azure.cache import Cache, CacheArgs
from components.azure.cluster import SYSTEM_POOL, Cluster, ClusterArgs
from components.azure.common import (
    PART_OF_TAG,
    alnum,
    base_name,
    grant,
    lift,
    trim_name,
    unique_suffix,
)
from components.azure.database import Database, DatabaseArgs
from components.azure.identity import Grant, Identity, IdentityArgs, subject
from components.azure.network import Network, NetworkArgs
from components.azure.node_pools import CPU_POOL, GpuPoolSpec, NodePools, NodePoolsArgs, pool_name
from components.azure.registry import Registry, RegistryArgs, repository_names
from components.azure.storage import (
    Storage,
    StorageArgs,
    fine_tune_repository,
    fine_tuned_weights_prefix,
)
from components.azure.vault import DATABASE_PASSWORD_SECRET, Vault, VaultArgs
from components.contract import (
    DEFERRED_MARKER,
    AzureFacts,
    Credentials,
    GpuNodePool,
    Identities,
    ObjectStorage,
    PlatformFacts,
    PlatformOutputs,
    Taint,
)
from components.contract import (
    Broker as BrokerFacts,
)
from components.model_engine.chart_facts import INFERENCE_SERVICE_ACCOUNT
from components.settings import PROJECT, StackSettings
from components.settings_base import SettingsError

CLOUD_PROVIDER = "azure"
BROKER = "servicebus"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
# Managed Redis serves TLS on 10000.
REDIS_PORT = 10000
GPU_TAINT = Taint(accelerators.GPU_TAINT_KEY, "NoSchedule", "true")
# Pools the program names itself.
RESERVED_POOLS = (SYSTEM_POOL, CPU_POOL)


def _cfg(settings: StackSettings) -> az.AzureSettings:
    assert settings.azure is not None, "settings validation requires the azure block"
    return settings.azure


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

    @classmethod
    def of(cls, settings: StackSettings, suffix: pulumi.Input[str]) -> Names:
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
        if self.cfg.key_vault.name:
            return self.cfg.key_vault.name
        env = trim_name(self.environment, 11)
        return self._unique(lambda s: f"kv-{env}-{s}")

    def dns(self, limit: int) -> pulumi.Input[str]:
        """Redis cluster, Service Bus namespace, PostgreSQL server: DNS labels."""
        stem = trim_name(base_name(self.environment), limit - 9)
        return self._unique(lambda s: f"{stem}-{s}")


# ---------------------------------------------------------------------------------------
# What the stack file alone decides


def check(settings: StackSettings) -> None:
    """GPU pools must name a VM size that carries their accelerator on Azure, and fit AKS's
    pool naming."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for i, pool in enumerate(settings.gpu.pools):
        key = f"{PROJECT}:gpu.pools[{i}]"
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
        problems += accelerators.pool_problems(
            pool,
            CLOUD_PROVIDER,
            key,
            "VM size",
            absent=f"has no Azure VM size {accelerators.CATALOG_GAP}",
            foreign=f"is not an Azure VM size with {pool.accelerator} GPUs",
        )
    if problems:
        raise SettingsError(problems)


def gpu_pools(settings: StackSettings) -> list[GpuNodePool]:
    """One AKS user pool per gpu.pools entry; GPUs per node follow the VM size."""
    return contract.cloud_gpu_pools(settings.gpu.pools, CLOUD_PROVIDER, GPU_TAINT)


def kubernetes_version(settings: StackSettings) -> str:
    return _cfg(settings).cluster.version


def secret_env_keys(settings: StackSettings) -> list[str]:
    return []


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


def build_facts(settings: StackSettings, src: FactSources) -> PlatformFacts:
    cfg = _cfg(settings)
    container = cfg.storage.container
    return PlatformFacts(
        cloud_provider=CLOUD_PROVIDER,
        cluster_name=src.cluster_name,
        region=cfg.location,
        account_id=src.subscription_id,
        registry=contract.Registry(prefix=src.login_server, repositories=dict(src.repositories)),
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
            login_server=lift(lambda r: f"{r}.azurecr.io", names.registry),
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


def private_services(cfg: az.AzureSettings) -> list[str]:
    """Services reached through a private endpoint (Service Bus only on Premium)."""
    if not cfg.network.private_access:
        return []
    services = ["redis", "blob", "keyvault", "registry"]
    if cfg.service_bus.sku == "Premium":
        services.append("servicebus")
    return services


def control_plane_subjects(settings: StackSettings) -> dict[str, str]:
    """Federated-credential name -> ServiceAccount subject for the control-plane identity."""
    ns = settings.namespaces
    keda = addon_ids.service_accounts(settings.addons)[addon_ids.KEDA_OPERATOR]
    return {
        "release-model-engine": subject(ns.release, "model-engine"),
        # Forwarders run as the inference SA with AZURE_CLIENT_ID = client_id.
        "endpoints-forwarders": subject(ns.endpoints, INFERENCE_SERVICE_ACCOUNT),
        "keda-operator": keda.subject,
    }


def inference_subjects(settings: StackSettings) -> dict[str, str]:
    return {
        "endpoints-inference": subject(settings.namespaces.endpoints, INFERENCE_SERVICE_ACCOUNT)
    }


# ---------------------------------------------------------------------------------------
# The component


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

    def __init__(
        self, name: str, settings: StackSettings, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:azure:Platform", name, None, opts)
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
        names = Names.of(settings, suffix)
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

        # Stateful services first: none of them waits for AKS.
        self.cache = Cache(
            f"{name}-cache",
            CacheArgs(
                settings=cfg.redis,
                # Managed Redis: the name and the region together make at most 63 characters.
                cluster_name=names.dns(min(60, 62 - len(location))),
                location=location,
                resource_group_name=rg,
                private=private,
                protect=protect,
                tags=tags,
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
            ),
            opts=sub,
        )
        self.broker = Broker(
            f"{name}-broker",
            BrokerArgs(
                settings=cfg.service_bus,
                namespace_name=names.dns(50),
                location=location,
                resource_group_name=rg,
                private=private,
                protect=protect,
                tags=tags,
            ),
            opts=sub,
        )
        self.registry = Registry(
            f"{name}-registry",
            RegistryArgs(
                settings=cfg.registry,
                registry_name=names.registry,
                location=location,
                resource_group_name=rg,
                private=private,
                protect=protect,
                tags=tags,
            ),
            opts=sub,
        )
        self.storage = Storage(
            f"{name}-storage",
            StorageArgs(
                settings=cfg.storage,
                account_name=names.storage_account,
                location=location,
                resource_group_name=rg,
                private=private,
                protect=protect,
                tags=tags,
            ),
            opts=sub,
        )
        self.vault = Vault(
            f"{name}-vault",
            VaultArgs(
                settings=cfg.key_vault,
                vault_name=names.key_vault,
                location=location,
                resource_group_name=rg,
                tenant_id=client.tenant_id,
                private=private,
                protect=protect,
                tags=tags,
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
                location=location,
                resource_group_name=rg,
                node_subnet_id=self.network.node_subnet_id,
                tenant_id=client.tenant_id,
                subscription_id=subscription,
                deployer_object_id=client.object_id,
                zones=cfg.cluster.zones,
                protect=protect,
                tags=tags,
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
                gpu_pools=[
                    GpuPoolSpec(
                        pool=pool,
                        vm_size=accelerators.node_type(p, CLOUD_PROVIDER),
                        initial_count=p.desired_size if p.desired_size is not None else p.min_size,
                        os_disk_size_gb=p.disk_size_gb,
                    )
                    for pool, p in zip(pools, settings.gpu.pools, strict=True)
                ],
                aks_installs_gpu_driver=not settings.addons.nvidia.install_driver,
                tags=tags,
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
                control_plane_grants=[
                    Grant("Azure Service Bus Data Owner", self.broker.namespace.id),
                    Grant("Storage Blob Data Contributor", self.storage.account.id),
                    Grant("Key Vault Secrets User", self.vault.vault.id),
                    Grant("AcrPull", registry_id),
                ],
                inference_grants=[Grant("Storage Blob Data Reader", self.storage.account.id)],
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
        depends_on: list[pulumi.Resource] = [self.nodes, self.identity, kubelet_pull]
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
            [kubelet_pull, self.nodes.cpu],
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
            # AKS scales its pools itself (from zero for GPU pools).
            needs_cluster_autoscaler=False,
            kubernetes_version=kubernetes_version(settings),
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
