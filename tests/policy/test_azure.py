"""The Azure rules (policy/azure.py): each flags exactly the property it exists for, on the
azure-prod example's resources, and the unsafe settings it exists for."""

from __future__ import annotations

from typing import Any

import pytest

from policy import azure
from policy.common import Rule
from tests.policy.engine import Breaks, Change, Flags, set_, to_wire, unset, violations

BREAKS: Breaks = {
    "azure-postgresql-private-backed-up": [
        ("public", set_("network.publicNetworkAccess", "Enabled"), "internet"),
        ("short-backups", set_("backup.backupRetentionDays", 3), "at least 7 days"),
        ("old-version", set_("version", "14"), "16 or later"),
    ],
    "azure-redis-tls": [("tls-1.0", set_("minimumTlsVersion", "1.0"), "TLS 1.2")],
    "azure-redis-database-entra-only": [
        ("plaintext", set_("clientProtocol", "Plaintext"), "clientProtocol Encrypted"),
        ("access-keys", set_("accessKeysAuthentication", "Enabled"), "access keys"),
        ("cluster", set_("clusteringPolicy", "OSSCluster"), "NoCluster"),
    ],
    "azure-storage-private": [
        ("public-blobs", set_("allowBlobPublicAccess", True), "public blob access"),
        ("shared-key", set_("allowSharedKeyAccess", True), "shared-key access"),
        ("tls-1.0", set_("minimumTlsVersion", "TLS1_0"), "TLS 1.2"),
        ("http", set_("enableHttpsTrafficOnly", False), "HTTPS only"),
    ],
    "azure-key-vault-protected": [
        ("access-policies", set_("properties.enableRbacAuthorization", False), "RBAC"),
        ("no-soft-delete", set_("properties.enableSoftDelete", False), "soft delete"),
        ("no-purge-protection", unset("properties.enablePurgeProtection"), "purge protection"),
    ],
    "azure-service-bus-entra-only": [
        ("sas", set_("disableLocalAuth", False), "local (SAS) auth"),
        ("tls-1.0", set_("minimumTlsVersion", "1.0"), "TLS 1.2"),
    ],
    "azure-acr-no-admin-user": [
        ("admin", set_("adminUserEnabled", True), "admin user"),
        ("anonymous", set_("anonymousPullEnabled", True), "anonymous pull"),
    ],
    "azure-role-assignments-scoped": [
        ("subscription", set_("scope", "/subscriptions/0000"), "scoped to one resource"),
    ],
    "azure-aks-entra-only": [
        ("local-accounts", set_("disableLocalAccounts", False), "local accounts"),
        ("no-azure-rbac", set_("aadProfile.enableAzureRBAC", False), "Azure RBAC"),
        (
            "no-workload-identity",
            set_("securityProfile.workloadIdentity.enabled", False),
            "workload identity",
        ),
        (
            "open-api",
            set_("apiServerAccessProfile.authorizedIPRanges", ["0.0.0.0/0"]),
            "whole internet",
        ),
    ],
    "azure-blob-roles-per-container": [
        (
            "blob-role-off-a-container",
            set_(
                "roleDefinitionId",
                "/subscriptions/0/providers/Microsoft.Authorization/roleDefinitions/"
                "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
            ),
            "one container",
        ),
    ],
    "azure-aks-deployable": [
        ("dns-prefix-underscore", set_("dnsPrefix", "model_engine"), "dnsPrefix"),
        ("dns-prefix-too-long", set_("dnsPrefix", "a" * 55), "dnsPrefix"),
        (
            "system-pool-untainted",
            set_("agentPoolProfiles", [{"name": "system", "mode": "System"}]),
            "CriticalAddonsOnly",
        ),
    ],
}


def test_blob_roles_match_the_program_roles() -> None:
    from components.azure.common import ROLES

    assert set(azure.BLOB_DATA_ROLES) == {
        ROLES["Storage Blob Data Contributor"],
        ROLES["Storage Blob Data Reader"],
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",  # Storage Blob Data Owner, unused here
    }


def test_rule_flags_exactly_the_broken_property(
    flags: Flags, policy: str, change: Change, words: str
) -> None:
    flags(policy, change, words)


AKS = "azure-native:containerservice:ManagedCluster"


@pytest.mark.parametrize(
    ("validate", "resource_type", "props", "words"),
    [
        (
            azure.postgres_flexible_is_protected,
            "azure-native:dbforpostgresql:Server",
            {
                "network": {"publicNetworkAccess": "Enabled"},
                "backup": {"backupRetentionDays": 7},
                "version": "16",
            },
            "internet",
        ),
        (
            azure.postgres_flexible_is_protected,
            "azure-native:dbforpostgresql:Server",
            {
                "network": {"publicNetworkAccess": "Disabled"},
                "backup": {"backupRetentionDays": 3},
                "version": "16",
            },
            "7 days",
        ),
        (
            azure.postgres_flexible_is_protected,
            "azure-native:dbforpostgresql:Server",
            {
                "network": {"publicNetworkAccess": "Disabled"},
                "backup": {"backupRetentionDays": 7},
                "version": "14",
            },
            "16 or later",
        ),
        (
            azure.managed_redis_is_encrypted,
            "azure-native:redisenterprise:RedisEnterprise",
            {"minimumTlsVersion": "1.0"},
            "TLS 1.2",
        ),
        (
            azure.managed_redis_database_is_entra_only,
            "azure-native:redisenterprise:Database",
            {
                "clientProtocol": "Encrypted",
                "accessKeysAuthentication": "Enabled",
                "clusteringPolicy": "NoCluster",
            },
            "access keys",
        ),
        (
            azure.managed_redis_database_is_entra_only,
            "azure-native:redisenterprise:Database",
            {
                "clientProtocol": "Encrypted",
                "accessKeysAuthentication": "Disabled",
                "clusteringPolicy": "OSSCluster",
            },
            "NoCluster",
        ),
        (
            azure.storage_account_is_private,
            "azure-native:storage:StorageAccount",
            {
                "allowBlobPublicAccess": False,
                "allowSharedKeyAccess": True,
                "minimumTlsVersion": "TLS1_2",
            },
            "shared-key",
        ),
        (
            azure.storage_account_is_private,
            "azure-native:storage:StorageAccount",
            {
                "allowBlobPublicAccess": True,
                "allowSharedKeyAccess": False,
                "minimumTlsVersion": "TLS1_2",
            },
            "public blob",
        ),
        (
            azure.key_vault_is_protected,
            "azure-native:keyvault:Vault",
            {"properties": {"enableRbacAuthorization": True, "enablePurgeProtection": False}},
            "purge protection",
        ),
        (
            azure.key_vault_is_protected,
            "azure-native:keyvault:Vault",
            {"properties": {"enablePurgeProtection": True}},
            "RBAC",
        ),
        (
            azure.service_bus_is_entra_only,
            "azure-native:servicebus:Namespace",
            {"disableLocalAuth": False, "minimumTlsVersion": "1.2"},
            "SAS",
        ),
        (
            azure.acr_has_no_admin_user,
            "azure-native:containerregistry:Registry",
            {"adminUserEnabled": True},
            "admin user",
        ),
        (
            azure.role_assignment_is_scoped,
            "azure-native:authorization:RoleAssignment",
            {"scope": "/subscriptions/00000000-1111-2222-3333-444444444444"},
            "one resource",
        ),
        (
            azure.role_assignment_is_scoped,
            "azure-native:authorization:RoleAssignment",
            {"scope": "/subscriptions/0000/resourceGroups/rg-model-engine"},
            "one resource",
        ),
        (azure.aks_is_entra_only, AKS, {"disableLocalAccounts": False}, "local accounts"),
        (
            azure.aks_is_entra_only,
            AKS,
            {"apiServerAccessProfile": {"authorizedIPRanges": ["0.0.0.0/0"]}},
            "whole internet",
        ),
        (azure.aks_is_entra_only, AKS, {}, "workload identity"),
    ],
)
def test_azure_rule_flags_an_unsafe_resource(
    validate: Rule, resource_type: str, props: dict[str, Any], words: str
) -> None:
    found = violations(validate, resource_type, to_wire(props))
    assert any(words in m for m in found), found


def test_a_safe_resource_group_scope_free_assignment_passes() -> None:
    scope = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/me"
    assert (
        violations(
            azure.role_assignment_is_scoped,
            "azure-native:authorization:RoleAssignment",
            to_wire({"scope": scope}),
        )
        == []
    )
