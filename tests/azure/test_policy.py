"""The Azure policy rules: each flags the unsafe setting it exists for."""

from __future__ import annotations

from typing import Any

import pytest

from policy import rules
from tests.test_policy import to_wire, violations

AKS = "azure-native:containerservice:ManagedCluster"


@pytest.mark.parametrize(
    ("validate", "resource_type", "props", "words"),
    [
        (
            rules.postgres_flexible_is_protected,
            "azure-native:dbforpostgresql:Server",
            {
                "network": {"publicNetworkAccess": "Enabled"},
                "backup": {"backupRetentionDays": 7},
                "version": "16",
            },
            "internet",
        ),
        (
            rules.postgres_flexible_is_protected,
            "azure-native:dbforpostgresql:Server",
            {
                "network": {"publicNetworkAccess": "Disabled"},
                "backup": {"backupRetentionDays": 3},
                "version": "16",
            },
            "7 days",
        ),
        (
            rules.postgres_flexible_is_protected,
            "azure-native:dbforpostgresql:Server",
            {
                "network": {"publicNetworkAccess": "Disabled"},
                "backup": {"backupRetentionDays": 7},
                "version": "14",
            },
            "16 or later",
        ),
        (
            rules.managed_redis_is_encrypted,
            "azure-native:redisenterprise:RedisEnterprise",
            {"minimumTlsVersion": "1.0"},
            "TLS 1.2",
        ),
        (
            rules.managed_redis_database_is_entra_only,
            "azure-native:redisenterprise:Database",
            {
                "clientProtocol": "Encrypted",
                "accessKeysAuthentication": "Enabled",
                "clusteringPolicy": "NoCluster",
            },
            "access keys",
        ),
        (
            rules.managed_redis_database_is_entra_only,
            "azure-native:redisenterprise:Database",
            {
                "clientProtocol": "Encrypted",
                "accessKeysAuthentication": "Disabled",
                "clusteringPolicy": "OSSCluster",
            },
            "NoCluster",
        ),
        (
            rules.storage_account_is_private,
            "azure-native:storage:StorageAccount",
            {
                "allowBlobPublicAccess": False,
                "allowSharedKeyAccess": True,
                "minimumTlsVersion": "TLS1_2",
            },
            "shared-key",
        ),
        (
            rules.storage_account_is_private,
            "azure-native:storage:StorageAccount",
            {
                "allowBlobPublicAccess": True,
                "allowSharedKeyAccess": False,
                "minimumTlsVersion": "TLS1_2",
            },
            "public blob",
        ),
        (
            rules.key_vault_is_protected,
            "azure-native:keyvault:Vault",
            {"properties": {"enableRbacAuthorization": True, "enablePurgeProtection": False}},
            "purge protection",
        ),
        (
            rules.key_vault_is_protected,
            "azure-native:keyvault:Vault",
            {"properties": {"enablePurgeProtection": True}},
            "RBAC",
        ),
        (
            rules.service_bus_is_entra_only,
            "azure-native:servicebus:Namespace",
            {"disableLocalAuth": False, "minimumTlsVersion": "1.2"},
            "SAS",
        ),
        (
            rules.acr_has_no_admin_user,
            "azure-native:containerregistry:Registry",
            {"adminUserEnabled": True},
            "admin user",
        ),
        (
            rules.role_assignment_is_scoped,
            "azure-native:authorization:RoleAssignment",
            {"scope": "/subscriptions/00000000-1111-2222-3333-444444444444"},
            "one resource",
        ),
        (
            rules.role_assignment_is_scoped,
            "azure-native:authorization:RoleAssignment",
            {"scope": "/subscriptions/0000/resourceGroups/rg-model-engine"},
            "one resource",
        ),
        (rules.aks_is_entra_only, AKS, {"disableLocalAccounts": False}, "local accounts"),
        (
            rules.aks_is_entra_only,
            AKS,
            {"apiServerAccessProfile": {"authorizedIPRanges": ["0.0.0.0/0"]}},
            "whole internet",
        ),
        (rules.aks_is_entra_only, AKS, {}, "workload identity"),
    ],
)
def test_azure_rule_flags_an_unsafe_resource(
    validate: rules.Rule, resource_type: str, props: dict[str, Any], words: str
) -> None:
    found = violations(validate, resource_type, to_wire(props))
    assert any(words in m for m in found), found


def test_a_safe_resource_group_scope_free_assignment_passes() -> None:
    scope = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/me"
    assert (
        violations(
            rules.role_assignment_is_scoped,
            "azure-native:authorization:RoleAssignment",
            to_wire({"scope": scope}),
        )
        == []
    )


def test_azure_rules_are_in_the_pack() -> None:
    names = {p.name for p in rules.POLICIES}
    assert set(rules.AZURE_POLICIES) <= names
