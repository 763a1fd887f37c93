"""The Azure rules: Entra-only access, private and backed-up stateful services."""

from __future__ import annotations

import re

from policy.common import Rule, Table, get

postgres_flexible_is_protected = Rule(
    "azure-native:dbforpostgresql:Server",
    {
        "must not be reachable from the internet (network.publicNetworkAccess Disabled)": (
            lambda p: get(p, "network.publicNetworkAccess") == "Disabled"
        ),
        "backups must be kept at least 7 days": lambda p: (
            (get(p, "backup.backupRetentionDays") or 0) >= 7
        ),
        "PostgreSQL must be 16 or later": lambda p: (
            str(p.get("version") or "0").isdigit() and int(str(p.get("version"))) >= 16
        ),
    },
)

managed_redis_is_encrypted = Rule(
    "azure-native:redisenterprise:RedisEnterprise",
    {"TLS 1.2 must be the minimum": lambda p: p.get("minimumTlsVersion") == "1.2"},
)

managed_redis_database_is_entra_only = Rule(
    "azure-native:redisenterprise:Database",
    {
        "clients must use TLS (clientProtocol Encrypted)": lambda p: (
            p.get("clientProtocol") == "Encrypted"
        ),
        "access keys must be off (Entra only)": lambda p: (
            p.get("accessKeysAuthentication") == "Disabled"
        ),
        "the server speaks non-cluster Redis (clusteringPolicy NoCluster)": lambda p: (
            p.get("clusteringPolicy") == "NoCluster"
        ),
    },
)

storage_account_is_private = Rule(
    "azure-native:storage:StorageAccount",
    {
        "public blob access must be off": lambda p: p.get("allowBlobPublicAccess") is False,
        "shared-key access must be off (Entra only)": lambda p: (
            p.get("allowSharedKeyAccess") is False
        ),
        "TLS 1.2 must be the minimum": lambda p: p.get("minimumTlsVersion") == "TLS1_2",
        "HTTPS only": lambda p: p.get("enableHttpsTrafficOnly") is not False,
    },
)

key_vault_is_protected = Rule(
    "azure-native:keyvault:Vault",
    {
        "RBAC authorization must be on": lambda p: (
            get(p, "properties.enableRbacAuthorization") is True
        ),
        "soft delete must be on": lambda p: get(p, "properties.enableSoftDelete") is not False,
        "purge protection must be on": lambda p: get(p, "properties.enablePurgeProtection") is True,
    },
)

service_bus_is_entra_only = Rule(
    "azure-native:servicebus:Namespace",
    {
        "local (SAS) auth must be off": lambda p: p.get("disableLocalAuth") is True,
        "TLS 1.2 must be the minimum": lambda p: p.get("minimumTlsVersion") == "1.2",
    },
)

acr_has_no_admin_user = Rule(
    "azure-native:containerregistry:Registry",
    {
        "the admin user must be off": lambda p: p.get("adminUserEnabled") is not True,
        "anonymous pull must be off": lambda p: p.get("anonymousPullEnabled") is not True,
    },
)

role_assignment_is_scoped = Rule(
    "azure-native:authorization:RoleAssignment",
    {
        "must be scoped to one resource, not a subscription or resource group": lambda p: (
            "/providers/" in str(p.get("scope") or "")
        ),
    },
)

aks_is_entra_only = Rule(
    "azure-native:containerservice:ManagedCluster",
    {
        "local accounts must be off": lambda p: p.get("disableLocalAccounts") is True,
        "Entra ID with Azure RBAC must be on": lambda p: (
            get(p, "aadProfile.enableAzureRBAC") is True
        ),
        "workload identity must be on": lambda p: (
            get(p, "securityProfile.workloadIdentity.enabled") is True
        ),
        "the API server must not be open to the whole internet": lambda p: (
            "0.0.0.0/0" not in (get(p, "apiServerAccessProfile.authorizedIPRanges") or [])
        ),
    },
)

# Blob data roles (built-in role GUIDs, the same in every subscription; a test keeps them equal
# to components/azure/common.ROLES): Contributor, Reader, Owner.
BLOB_DATA_ROLES = (
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
)
_CONTAINER_SCOPE = "/blobServices/default/containers/"

blob_data_role_is_per_container = Rule(
    "azure-native:authorization:RoleAssignment",
    {
        "a Blob data role must be scoped to one container, not the account": lambda p: (
            str(p.get("roleDefinitionId") or "").rsplit("/", 1)[-1].lower() not in BLOB_DATA_ROLES
            or _CONTAINER_SCOPE in str(p.get("scope") or "")
        ),
    },
)

# AKS: dnsPrefix is 1-54 letters, digits and hyphens, alphanumeric at both ends.
_DNS_PREFIX = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,52}[A-Za-z0-9])?$")
_SYSTEM_TAINT = "CriticalAddonsOnly=true:NoSchedule"

aks_is_deployable = Rule(
    "azure-native:containerservice:ManagedCluster",
    {
        "dnsPrefix must be 1-54 letters, digits and hyphens": lambda p: bool(
            _DNS_PREFIX.match(str(p.get("dnsPrefix") or ""))
        ),
        "system pools must be tainted CriticalAddonsOnly=true:NoSchedule (AKS's pods only)": (
            lambda p: all(
                _SYSTEM_TAINT in (pool.get("nodeTaints") or [])
                for pool in p.get("agentPoolProfiles") or []
                if pool.get("mode") == "System"
            )
        ),
    },
)


RULES: Table = {
    "azure-postgresql-private-backed-up": (
        "PostgreSQL Flexible Server is private, backed up and current.",
        postgres_flexible_is_protected,
    ),
    "azure-redis-tls": ("Managed Redis requires TLS 1.2.", managed_redis_is_encrypted),
    "azure-redis-database-entra-only": (
        "The Managed Redis database uses TLS, Entra only, non-cluster protocol.",
        managed_redis_database_is_entra_only,
    ),
    "azure-storage-private": (
        "The storage account allows no public blobs, no shared keys, TLS 1.2+.",
        storage_account_is_private,
    ),
    "azure-key-vault-protected": (
        "Key Vault uses RBAC, soft delete and purge protection.",
        key_vault_is_protected,
    ),
    "azure-service-bus-entra-only": (
        "Service Bus accepts Entra tokens only, over TLS 1.2+.",
        service_bus_is_entra_only,
    ),
    "azure-acr-no-admin-user": ("ACR has no admin user or anonymous pull.", acr_has_no_admin_user),
    "azure-role-assignments-scoped": (
        "Every role assignment is scoped to one resource.",
        role_assignment_is_scoped,
    ),
    "azure-aks-entra-only": (
        "AKS uses Entra ID with Azure RBAC, workload identity, no local accounts.",
        aks_is_entra_only,
    ),
    "azure-blob-roles-per-container": (
        "Blob data roles name one container, never a whole storage account.",
        blob_data_role_is_per_container,
    ),
    "azure-aks-deployable": (
        "AKS takes the API server name prefix, and its system pool runs only AKS's pods.",
        aks_is_deployable,
    ),
}
