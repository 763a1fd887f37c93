"""The `azure` block of the stack file: the genuine choices for the Azure platform.

Everything an Azure resource can tell us (subscription, tenant, login server, host names,
client and object ids) is derived, never typed here. Defaults are private, encrypted,
backed up and zone-redundant; an operator writes only what differs.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.azure import versions as aks_versions
from components.restore import point_in_time
from components.settings_base import (
    Model,
    PullThroughUpstream,
    StringId,
    api_allowlist,
    checked,
    known_name,
    network_cidr,
    ordered,
    postgres_identifier,
)

# Azure public-cloud regions (`az account list-locations`, names as ARM spells them). The
# server hard-codes public-cloud endpoints (vault.azure.net, servicebus.windows.net,
# blob.core.windows.net), so sovereign clouds are not offered.
AZURE_REGIONS = (
    *("eastus", "eastus2", "centralus", "northcentralus", "southcentralus", "westcentralus"),
    *("westus", "westus2", "westus3", "canadacentral", "canadaeast", "brazilsouth"),
    *("mexicocentral", "chilecentral", "northeurope", "westeurope", "uksouth", "ukwest"),
    *("francecentral", "germanywestcentral", "norwayeast", "swedencentral", "switzerlandnorth"),
    *("polandcentral", "italynorth", "spaincentral", "austriaeast", "belgiumcentral"),
    *("denmarkeast", "uaenorth", "qatarcentral", "israelcentral", "southafricanorth"),
    *("centralindia", "southindia", "westindia", "eastasia", "southeastasia", "japaneast"),
    *("japanwest", "koreacentral", "koreasouth", "australiaeast", "australiasoutheast"),
    *("australiacentral", "newzealandnorth", "indonesiacentral", "malaysiawest"),
)
_AKS_VERSION = re.compile(r"^1\.(\d+)$")
# The config secret holding a private upstream's token (components/settings_loader.SECRET_KEYS).
UPSTREAM_TOKEN_KEY = "azureUpstreamToken"
# A point-in-time restore keeps the source server's administrator password: the stack gives it.
RESTORE_PASSWORD_KEY = "azureRestoreAdminPassword"
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Azure VM size names: Standard_<family><vCPUs><features>[_<accelerator>][_v<n>].
_VM_SIZE = re.compile(r"^Standard_[A-Z][A-Za-z0-9_]+$")

# Azure Managed Redis SKUs (Microsoft.Cache/redisEnterprise, API 2025-04-01). The Enterprise
# and Enterprise Flash SKUs belong to Azure Cache for Redis Enterprise, which is retiring.
MANAGED_REDIS_SKUS = tuple(
    [f"Balanced_B{n}" for n in (0, 1, 3, 5, 10, 20, 50, 100, 150, 250, 350, 500, 700, 1000)]
    + [f"MemoryOptimized_M{n}" for n in (10, 20, 50, 100, 150, 250, 350, 500, 700, 1000)]
    + [f"MemoryOptimized_M{n}" for n in (1500, 2000)]
    + [f"ComputeOptimized_X{n}" for n in (3, 5, 10, 20, 50, 100, 150, 250, 350, 500, 700)]
    + [f"FlashOptimized_A{n}" for n in (250, 500, 700, 1000, 1500, 2000, 4500)]
)
# Balanced_B0/B1 have no high availability and are for dev/test only.
_NO_HA_REDIS = ("Balanced_B0", "Balanced_B1")
# PostgreSQL Flexible Server compute tiers and the SKU prefix each accepts.
_PG_TIERS = {
    "Burstable": "Standard_B",
    "GeneralPurpose": "Standard_D",
    "MemoryOptimized": "Standard_E",
}
# Versions Flexible Server offers; model-engine needs 14+, the issue asks 16+.
PG_VERSIONS = ("16", "17", "18")


def _name(pattern: str, what: str, rule: str) -> Callable[[str | None], str | None]:
    rx = re.compile(pattern)

    def check(v: str | None) -> str | None:
        if v is not None and not rx.fullmatch(v):
            raise ValueError(f"{v!r} is not a valid {what} name: {rule}")
        return v

    return check


class ResourceGroup(Model):
    # Default: rg-model-engine-<environment>.
    name: str | None = None
    # true: the group exists already (the program never deletes it); false: created here.
    existing: bool = False

    _valid = field_validator("name")(
        _name(
            r"[-\w.()]{0,89}[-\w()]",
            "resource group",
            "1-90 letters, digits, -_.() not ending in .",
        )
    )


# The subnet of the private endpoints endpoint pods (user code) use: model weights and results
# in Blob, the async queues in Service Bus. Every other private endpoint is in `endpoints`.
USER_CODE_ENDPOINTS_SUBNET = "user-code-endpoints"
USER_CODE_PRIVATE_SERVICES = ("blob", "servicebus")


class Network(Model):
    """A new VNet in the resource group: nodes, the PostgreSQL delegated subnet and private
    endpoints each get a subnet of it (pods use Azure CNI overlay, outside the VNet)."""

    address_space: str = "10.60.0.0/16"
    # Private endpoints and private DNS zones for Redis, Blob, Key Vault, ACR and (Premium)
    # Service Bus; public network access off. PostgreSQL is always VNet-integrated.
    private_access: bool = True

    @field_validator("address_space")
    @classmethod
    def _cidr(cls, v: str) -> str:
        return network_cidr(v, "10.60.0.0/16", " (nodes, database, two private-endpoint subnets)")

    @property
    def subnets(self) -> dict[str, str]:
        """nodes: the first half; database and private endpoints: a /24 each at the end. The
        private endpoints user code may reach (USER_CODE_PRIVATE_SERVICES: Blob, Service Bus)
        have their own /24, so that the isolation admits them and not Key Vault (the
        database password), the registry or Redis."""
        net = ipaddress.IPv4Network(self.address_space)
        halves = list(net.subnets(prefixlen_diff=1))
        tail = list(halves[1].subnets(new_prefix=24))
        return {
            "nodes": str(halves[0]),
            "database": str(tail[-2]),
            "endpoints": str(tail[-1]),
            USER_CODE_ENDPOINTS_SUBNET: str(tail[-3]),
        }


class Cluster(Model):
    # Default: model-engine-<environment>.
    name: str | None = None
    # A quoted minor version in AKS standard support (aks_versions.CALENDAR).
    version: StringId = aks_versions.DEFAULT_VERSION
    # Entra ID groups whose members get cluster-admin (Kubernetes RBAC: effective at once).
    admin_group_object_ids: list[str] = []
    # The API server is public only from these CIDRs; none = private cluster (deploy from
    # inside the VNet).
    authorized_ip_ranges: list[str] = []
    # Free, Standard (financially backed API server SLA) or Premium (long-term support).
    tier: Literal["Free", "Standard", "Premium"] = "Standard"
    # Availability zones of the system and CPU pools (GPU pools take what capacity allows);
    # empty in regions without zones.
    zones: list[Literal["1", "2", "3"]] = ["1", "2", "3"]
    # Who runs `pulumi up` (Azure CLI or OIDC login): gets AKS RBAC Cluster Admin on this
    # cluster so the program can install the add-ons and the chart. Azure refuses an
    # assignment whose principalType is not the principal's ("The PrincipalId ... has type
    # 'ServicePrincipal', which is different from specified PrincipalType 'User'"), the SDK
    # sends User when none is given, and getClientConfig does not say which the runner is:
    # unset, it follows the login (`deployer_type`).
    deployer_principal_type: Literal["User", "ServicePrincipal"] | None = None
    # How the Kubernetes provider gets its Entra token (kubelogin login mode; the kubeconfig
    # AKS returns asks for a device code, which nobody would answer): azurecli (the
    # deployer's `az login`; not CI's azure/login, whose session expires minutes into an
    # `up`: Azure/azure-cli#28708), workloadidentity (CI: .github/actions/cloud-login keeps
    # AZURE_FEDERATED_TOKEN_FILE fresh and sets AZURE_CLIENT_ID, AZURE_TENANT_ID) or spn
    # (a service principal secret in AAD_SERVICE_PRINCIPAL_CLIENT_SECRET).
    deployer_login: Literal["azurecli", "workloadidentity", "spn"] = "azurecli"
    # The deployer by id instead of whoever runs the program: set to CI's deploy identity
    # (bootstrap/ci_trust exports azureDeployPrincipalId and azureDeployClientId), so that a
    # preview or drift check run as another identity does not move the cluster-admin grant.
    deployer_object_id: str | None = None
    # Its application (client) id: kubelogin's spn mode names it.
    deployer_client_id: str | None = None
    # The deployer already holds AKS RBAC Cluster Admin on the clusters of its scope: true for
    # CI's deploy identity (bootstrap/ci_trust grants it there, and refuses it any role
    # assignment naming itself), so the program does not assign it (Azure would answer 403).
    deployer_holds_admin: bool = False

    _valid = field_validator("name")(
        _name(
            r"[A-Za-z0-9][A-Za-z0-9_-]{0,61}[A-Za-z0-9]",
            "AKS cluster",
            "1-63 letters, digits, - and _",
        )
    )

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not _AKS_VERSION.match(v):
            raise ValueError(
                f'{v!r} is not a Kubernetes minor version such as "{aks_versions.DEFAULT_VERSION}"'
            )
        day = aks_versions.today()
        supported = aks_versions.in_standard_support(day)
        if v not in supported:
            raise ValueError(
                f"{v!r} is not in AKS standard support on {day} (supported: "
                f"{', '.join(supported) or 'no version this program knows'}); use one of those"
            )
        return v

    @field_validator("admin_group_object_ids")
    @classmethod
    def _groups(cls, v: list[str]) -> list[str]:
        bad = [g for g in v if not _GUID.match(g)]
        if bad:
            raise ValueError(f"not Entra object ids (GUIDs): {', '.join(bad)}")
        return v

    @field_validator("deployer_object_id", "deployer_client_id")
    @classmethod
    def _ids(cls, v: str | None) -> str | None:
        if v is not None and not _GUID.match(v):
            raise ValueError(f"{v!r} is not an Entra id (a GUID)")
        return v

    @field_validator("authorized_ip_ranges")
    @classmethod
    def _ranges(cls, v: list[str]) -> list[str]:
        return api_allowlist(v, "a private cluster")

    @property
    def private(self) -> bool:
        return not self.authorized_ip_ranges

    @property
    def deployer_type(self) -> str:
        """The deployer's principalType: as set, else what the login says (workload identity,
        a service principal secret, or an application id all sign in a service principal),
        else User: a person's `az login`. A service principal's `az login` is one nothing
        here can see: the stack sets deployerPrincipalType (or deployerClientId) for it."""
        if self.deployer_principal_type is not None:
            return self.deployer_principal_type
        if self.deployer_login != "azurecli" or self.deployer_client_id:
            return "ServicePrincipal"
        return "User"

    @model_validator(mode="after")
    def _login(self) -> Cluster:
        if self.deployer_holds_admin and self.deployer_login == "azurecli":
            # deployerHoldsAdmin is CI's key; `az` in CI cannot renew its login after the
            # GitHub token it was given expires (Azure/azure-cli#28708), so the first
            # Kubernetes call, minutes into the first up, would fail.
            raise ValueError(
                "deployerHoldsAdmin is CI's deploy identity: set deployerLogin: "
                "workloadidentity too (README, Deploy from CI, step 6)"
            )
        if self.deployer_principal_type == "User" and self.deployer_login != "azurecli":
            raise ValueError(
                f"deployerLogin {self.deployer_login} signs in as a service principal or "
                "workload identity; set deployerPrincipalType: ServicePrincipal (or leave it "
                "unset)"
            )
        if self.deployer_principal_type == "User" and self.deployer_client_id:
            raise ValueError(
                "deployerClientId names an application, which signs in as a service "
                "principal; set deployerPrincipalType: ServicePrincipal (or leave it unset), "
                "or remove deployerClientId for a person"
            )
        if self.deployer_object_id and self.deployer_principal_type is None:
            # Azure refuses a role assignment whose principal type is wrong; guessing "User"
            # for CI's identity would fail at the first up.
            raise ValueError(
                "deployerObjectId names the deployer: set deployerPrincipalType too "
                "(ServicePrincipal for CI's deploy identity)"
            )
        if self.deployer_login == "spn" and self.deployer_object_id and not self.deployer_client_id:
            raise ValueError(
                "deployerLogin spn with deployerObjectId: set deployerClientId (the same "
                "identity's application id) for kubelogin"
            )
        return self


class NodePool(Model):
    vm_size: str
    min_count: int = Field(default=1, ge=0)
    max_count: int = Field(default=3, ge=1, le=1000)
    os_disk_size_gb: int = Field(default=128, ge=30)

    _size = field_validator("vm_size")(
        checked(_VM_SIZE.match, "{value!r} is not an Azure VM size such as Standard_D8ds_v5")
    )

    @model_validator(mode="after")
    def _sizes(self) -> NodePool:
        return ordered(self, "min_count", "max_count")


class NodePools(Model):
    # AKS's own pods only: tainted CriticalAddonsOnly and unlabelled, so nothing of
    # model-engine lands here (the chart's celery autoscaler tolerates the taint but selects
    # node-lifecycle: normal).
    system: NodePool = NodePool(vm_size="Standard_D8ds_v5", min_count=3, max_count=6)
    # The control plane (gateway, endpoint builder, cacher), the add-ons, CPU endpoints, the
    # `cpu` image cache and the registry warm-up Job (labels node-lifecycle: normal, cpu-only:
    # "true"). 200 GB of disk: the warm-up's two vLLM images take up to about 100 GB
    # (components/waits.py, warm_up_disk_problems), which 128 GB does not hold above the
    # kubelet's eviction threshold.
    cpu: NodePool = NodePool(
        vm_size="Standard_E16ds_v5", min_count=1, max_count=10, os_disk_size_gb=200
    )

    @field_validator("system")
    @classmethod
    def _system(cls, v: NodePool) -> NodePool:
        if v.min_count < 1:
            raise ValueError("the system pool needs minCount >= 1 (AKS system pods run there)")
        return v


# An ARM id of a PostgreSQL Flexible Server.
_FLEXIBLE_SERVER_ID = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
    r"Microsoft\.DBforPostgreSQL/flexibleServers/[^/]+",
    re.IGNORECASE,
)


class DatabaseRestore(Model):
    """`azure.database.restore`: create the server as a point-in-time restore of another
    Flexible Server (createMode PointInTimeRestore; components/restore.py: once, at creation).
    The restored server keeps the source's administrator login and password: `user` must be
    the source's login, and the config secret RESTORE_PASSWORD_KEY its password, which the
    chart and Key Vault then carry (README, "Restore a database")."""

    # /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.DBforPostgreSQL/
    # flexibleServers/<name>
    source_server_resource_id: str
    # Within the source's backup retention, RFC 3339 (2026-11-30T08:15:00Z).
    point_in_time_utc: str

    _when = field_validator("point_in_time_utc")(point_in_time)

    _source = field_validator("source_server_resource_id")(
        checked(
            _FLEXIBLE_SERVER_ID.fullmatch,
            "{value!r} is not a Flexible Server id such as /subscriptions/<id>/"
            "resourceGroups/<rg>/providers/Microsoft.DBforPostgreSQL/flexibleServers/<name>"
            " (az postgres flexible-server show --query id)",
        )
    )


class Database(Model):
    """PostgreSQL Flexible Server, VNet-integrated (no public endpoint)."""

    version: StringId = "16"
    tier: Literal["Burstable", "GeneralPurpose", "MemoryOptimized"] = "GeneralPurpose"
    sku_name: str = "Standard_D4ds_v5"
    storage_size_gb: Literal[32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767] = 128
    # ZoneRedundant (standby in another zone), SameZone, or Disabled.
    high_availability: Literal["ZoneRedundant", "SameZone", "Disabled"] = "ZoneRedundant"
    backup_retention_days: int = Field(default=7, ge=7, le=35)
    geo_redundant_backup: bool = False
    name: str = "llm_engine"
    # The server's administrator login, which the model-engine server uses (Kubernetes
    # Secret route; password generated, URL-safe).
    user: str = "llm_engine"
    # Create the server as a point-in-time restore of another instead of empty.
    restore: DatabaseRestore | None = None

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if v not in PG_VERSIONS:
            raise ValueError(
                f"PostgreSQL {v!r} is not offered here; use one of {', '.join(PG_VERSIONS)}"
            )
        return v

    @field_validator("name", "user")
    @classmethod
    def _ident(cls, v: str) -> str:
        postgres_identifier(v)
        if v in (
            "azure_superuser",
            "azure_pg_admin",
            "admin",
            "administrator",
            "root",
            "guest",
            "public",
        ):
            raise ValueError(f"{v!r} is reserved by Azure Database for PostgreSQL")
        return v

    @model_validator(mode="after")
    def _sku(self) -> Database:
        prefix = _PG_TIERS[self.tier]
        if not self.sku_name.startswith(prefix):
            raise ValueError(
                f"skuName {self.sku_name!r} does not belong to tier {self.tier}; "
                f"{self.tier} sizes start with {prefix} (e.g. {prefix}4ds_v5)"
            )
        if self.tier == "Burstable" and self.high_availability != "Disabled":
            raise ValueError(
                "Burstable servers have no high availability; set highAvailability: Disabled "
                "or pick another tier"
            )
        return self


class Redis(Model):
    """Azure Managed Redis (Microsoft.Cache/redisEnterprise)."""

    sku: str = "Balanced_B5"
    high_availability: bool = True

    @field_validator("sku")
    @classmethod
    def _sku(cls, v: str) -> str:
        return known_name(
            v, MANAGED_REDIS_SKUS, "an Azure Managed Redis SKU", "Balanced_B5", near=2
        )

    @model_validator(mode="after")
    def _ha(self) -> Redis:
        if self.high_availability and self.sku in _NO_HA_REDIS:
            raise ValueError(
                f"{self.sku} has no high availability; pick Balanced_B3 or larger, or set "
                "highAvailability: false"
            )
        return self


class ServiceBus(Model):
    # Premium: private endpoint, dedicated capacity, and messages up to 100 MB. The server
    # sets each async endpoint queue's max message size (20 MB) and lock duration in one
    # update_queue call (asb_queue_endpoint_resource_delegate.py); Standard caps messages at
    # 256 KB and refuses the whole update, so the lock stays at its 1-minute default and
    # tasks running longer are delivered again (capabilities: "servicebus standard").
    sku: Literal["Standard", "Premium"] = "Premium"
    # Premium messaging units.
    capacity: Literal[1, 2, 4, 8, 16] = 1


# Upstream registries ACR artifact cache reads from ("Artifact cache in Azure Container
# Registry", supported upstreams). Each serves public and private repositories; a private
# one needs a credential set (Upstream.username).
CACHE_UPSTREAMS = (
    *("docker.io", "mcr.microsoft.com", "ghcr.io", "quay.io", "registry.k8s.io"),
    *("public.ecr.aws", "nvcr.io", "gcr.io"),
)


class Upstream(PullThroughUpstream):
    """Where the inference images come from: ACR cache rules fill this registry from it on
    the first pull."""

    # A private upstream (a customer's ghcr.io organisation usually is): the user name the
    # cache signs in with; its token is the config secret azureUpstreamToken. The program
    # keeps both in the Key Vault and gives the registry an ACR credential set that reads
    # them: a cache rule without credentials gets 401 from a private upstream.
    username: str | None = None
    # The repositories pull anonymously (public images): no credentials.
    public: bool = False
    # Chart repository key -> tag pulled through the cache before the chart installs: the
    # server checks framework images exist (get_manifest_properties) before creating an
    # endpoint, which a cache rule answers only after a first pull.
    warm: dict[str, str] = {}

    @model_validator(mode="after")
    def _supported(self) -> Upstream:
        self.check_url("ghcr.io/acme")
        if self.host not in CACHE_UPSTREAMS and not self.host.endswith(".azurecr.io"):
            raise ValueError(
                f"url {self.url!r}: ACR artifact cache reads only from "
                f"{', '.join(sorted(CACHE_UPSTREAMS))} and other ACRs; copy images from other "
                "registries yourself (the plan prints the commands) and set "
                "azure.registry.imagesPushed instead"
            )
        if self.public == (self.username is not None):
            raise ValueError(
                f"url {self.url!r}: set username (and the config secret "
                f"{UPSTREAM_TOKEN_KEY}) for a private upstream, or public: true when its "
                "images pull anonymously; not both"
            )
        self.check_warm(self.warm)
        return self


class Registry(Model):
    # Default: a globally unique name derived from the environment.
    name: str | None = None
    # Premium: private endpoint, zone redundancy.
    sku: Literal["Basic", "Standard", "Premium"] = "Premium"
    upstream: Upstream | None = None
    # Without an upstream: the operator has copied the images into this registry.
    images_pushed: bool = False

    _valid = field_validator("name")(
        _name(r"[a-zA-Z0-9]{5,50}", "container registry", "5-50 letters and digits")
    )


class Storage(Model):
    # Default: a globally unique name derived from the environment.
    account_name: str | None = None
    # abs_container_name: fine-tune repository, events and weights.
    container: str = "model-engine"
    replication: Literal["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_GZRS"] = (
        "Standard_ZRS"
    )
    # Deleted blobs and containers are recoverable this long.
    soft_delete_days: int = Field(default=14, ge=1, le=365)
    # Previous versions of overwritten or deleted blobs (versioning is on) are kept this
    # long, then deleted by the lifecycle policy: without it every overwrite is kept forever.
    version_retention_days: int = Field(default=30, ge=1, le=3650)
    # Celery task results (the `celery` container): read when a client polls an async task,
    # then never again; deleted this long after they were written.
    results_retention_days: int = Field(default=7, ge=1, le=365)

    _account = field_validator("account_name")(
        _name(r"[a-z0-9]{3,24}", "storage account", "3-24 lower-case letters and digits")
    )
    _container = field_validator("container")(
        _name(
            r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]",
            "blob container",
            "3-63 lower-case letters, digits and single hyphens",
        )
    )

    @field_validator("container")
    @classmethod
    def _not_celery(cls, v: str) -> str:
        if v == "celery":
            raise ValueError(
                "`celery` is the container Celery writes task results to; give the server's "
                "own container another name"
            )
        return v


class KeyVault(Model):
    # Default: a globally unique name derived from the environment.
    name: str | None = None
    soft_delete_retention_days: int = Field(default=90, ge=7, le=90)

    _valid = field_validator("name")(
        _name(
            r"[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]",
            "Key Vault",
            "3-24 letters, digits and single hyphens, starting with a letter",
        )
    )


class AzureSettings(Model):
    location: str
    resource_group: ResourceGroup = ResourceGroup()
    network: Network = Network()
    cluster: Cluster = Cluster()
    node_pools: NodePools = NodePools()
    database: Database = Database()
    redis: Redis = Redis()
    service_bus: ServiceBus = ServiceBus()
    registry: Registry = Registry()
    storage: Storage = Storage()
    key_vault: KeyVault = KeyVault()
    # Tags on every Azure resource, besides the program's own.
    tags: dict[str, str] = {}

    @field_validator("location")
    @classmethod
    def _location(cls, v: str) -> str:
        # "East US 2" as the portal writes it suggests eastus2.
        query = v.lower().replace(" ", "")
        return known_name(v, AZURE_REGIONS, "an Azure region", "eastus2", query=query)

    @model_validator(mode="after")
    def _private(self) -> AzureSettings:
        if self.network.private_access and self.registry.sku != "Premium":
            raise ValueError(
                "network.privateAccess needs registry.sku Premium (private endpoints are a "
                "Premium feature); set registry.sku: Premium or network.privateAccess: false"
            )
        return self


def private_services(cfg: AzureSettings) -> list[str]:
    """Services reached through a private endpoint (Service Bus only on Premium)."""
    if not cfg.network.private_access:
        return []
    services = ["redis", "blob", "keyvault", "registry"]
    if cfg.service_bus.sku == "Premium":
        services.append("servicebus")
    return services
