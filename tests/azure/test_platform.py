"""The platform as a whole: every stateful service protected, what waits for what, and no
cluster autoscaler (AKS scales its own pools)."""

from __future__ import annotations

from tests.azure.helpers import CLUSTER, AzureRun, upstream_types

STATEFUL = (
    "azure-native:dbforpostgresql:Server",
    "azure-native:dbforpostgresql:Database",
    "azure-native:redisenterprise:RedisEnterprise",
    "azure-native:redisenterprise:Database",
    "azure-native:servicebus:Namespace",
    "azure-native:containerregistry:Registry",
    "azure-native:storage:StorageAccount",
    "azure-native:storage:BlobContainer",
    "azure-native:keyvault:Vault",
    CLUSTER,
)


def test_no_cluster_autoscaler_on_azure(prod: AzureRun) -> None:
    names = [r.name for r in prod.of_type("kubernetes:helm.sh/v3:Release")]
    assert not [n for n in names if "autoscaler" in n]


def test_stateful_resources_are_protected(prod: AzureRun) -> None:
    for typ in STATEFUL:
        found = prod.of_type(typ)
        assert found
        for r in found:
            assert r.protect, (typ, r.name)


def test_vault_service_bus_and_registry_refuse_local_credentials(prod: AzureRun) -> None:
    vault = prod.one("azure-native:keyvault:Vault", "platform-vault-kv").inputs["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enablePurgeProtection"] is True
    assert vault["enableSoftDelete"] is True
    sb = prod.one("azure-native:servicebus:Namespace", "platform-broker-servicebus").inputs
    assert sb["disableLocalAuth"] is True
    acr = prod.one("azure-native:containerregistry:Registry", "platform-registry-acr").inputs
    assert acr["adminUserEnabled"] is False


def test_postgres_and_redis_do_not_wait_for_aks(prod: AzureRun) -> None:
    for typ, name in (
        ("azure-native:redisenterprise:RedisEnterprise", "platform-cache-redis"),
        ("azure-native:dbforpostgresql:Server", "platform-database-postgres"),
    ):
        assert CLUSTER not in upstream_types(prod, typ, name), name
    redis = prod.one("azure-native:redisenterprise:RedisEnterprise", "platform-cache-redis")
    # Managed Redis waits for nothing but its resource group.
    assert upstream_types(
        prod, "azure-native:redisenterprise:RedisEnterprise", "platform-cache-redis"
    ) <= {"azure-native:resources:ResourceGroup"}, redis.dependencies


def test_chart_waits_for_the_identities_and_the_warm_up(prod: AzureRun) -> None:
    types = upstream_types(prod, "kubernetes:helm.sh/v3:Release", "model-engine-chart")
    assert "azure-native:managedidentity:FederatedIdentityCredential" in types
    assert "azure-native:authorization:RoleAssignment" in types
    assert "kubernetes:batch/v1:Job" in types
