"""Where each chart value comes from on Azure: the resource that provides it, read from what
the simulated cloud answered, never from the constants the platform code uses."""

from __future__ import annotations

from typing import Any

import pytest

from components.model_engine import chart_facts as cf
from plan import computed_azure
from tests.azure.helpers import IDENTITY, AzureRun

REDIS = "azure-native:redisenterprise:RedisEnterprise"
REDIS_DB = "azure-native:redisenterprise:Database"
ACR = "azure-native:containerregistry:Registry"
ACCOUNT = "azure-native:storage:StorageAccount"
VAULT = "azure-native:keyvault:Vault"
SERVICEBUS = "azure-native:servicebus:Namespace"
POSTGRES = "azure-native:dbforpostgresql:Server"


def test_azure_block_comes_from_the_identities_and_services(prod: AzureRun) -> None:
    control = prod.state(IDENTITY, "platform-identity-control-plane")
    inference = prod.state(IDENTITY, "platform-identity-inference")
    storage = prod.state(ACCOUNT, "platform-storage-account")
    container = prod.state("azure-native:storage:BlobContainer", "platform-storage-container")
    assert prod.values["azure"] == {
        "identity_name": control["name"],
        "client_id": control["clientId"],
        "object_id": control["principalId"],
        "keyvault_name": prod.state(VAULT, "platform-vault-kv")["name"],
        "abs_account_name": storage["name"],
        "abs_container_name": container["containerName"],
        "servicebus_namespace": prod.state(SERVICEBUS, "platform-broker-servicebus")["name"],
        "inference_client_id": inference["clientId"],
    }
    assert set(prod.values["azure"]) == set(cf.AZURE_KEYS)
    assert control["clientId"] != inference["clientId"]


def test_server_switches_and_no_aws_block(prod: AzureRun) -> None:
    assert prod.infra["cloud_provider"] == "azure"
    assert prod.values["celeryBrokerType"] == "servicebus"
    assert "aws" not in prod.values


def test_redis_host_carries_the_managed_redis_port(prod: AzureRun) -> None:
    host = prod.state(REDIS, "platform-cache-redis")["hostName"]
    port = int(prod.state(REDIS_DB, "platform-cache-db")["port"])
    assert host.endswith(".redis.azure.net")
    assert prod.launch["cache_redis_azure_host"] == f"{host}:{port}"
    # Only the Azure cache key: the AWS keys assert on Azure.
    assert [k for k in cf.CACHE_URL_KEYS if k in prod.launch] == ["cache_redis_azure_host"]


def test_registry_prefix_is_the_login_server_and_repositories_are_bare(prod: AzureRun) -> None:
    login = prod.state(ACR, "platform-registry-acr")["loginServer"]
    assert login.endswith(".azurecr.io")
    assert prod.infra["docker_repo_prefix"] == login
    for key in cf.INFERENCE_REPOSITORIES:
        assert cf.repository_name_problem(prod.launch[key]) is None, key


def test_cache_rules_fill_exactly_the_repositories_the_chart_names(prod: AzureRun) -> None:
    rules = {
        r.inputs["targetRepository"]: r.inputs["sourceRepository"]
        for r in prod.of_type("azure-native:containerregistry:CacheRule")
    }
    framework = [*cf.LLM_FRAMEWORK_REPOSITORIES, cf.CACHER_LATEST_TAG_REPOSITORY]
    assert set(rules) == {prod.launch[k] for k in framework}
    for target, source in rules.items():
        assert source == f"ghcr.io/customer-ml/{target}"


def test_account_region_and_cluster_come_from_azure(prod: AzureRun) -> None:
    cluster = prod.state("azure-native:containerservice:ManagedCluster", "platform-cluster-aks")
    assert prod.infra["ml_account_id"] == computed_azure.SUBSCRIPTION_ID
    assert prod.infra["default_region"] == cluster["location"]
    assert prod.infra["k8s_cluster_name"] == cluster["name"]


def test_storage_urls_are_in_the_forms_the_server_parses(prod: AzureRun) -> None:
    account = prod.state(ACCOUNT, "platform-storage-account")["name"]
    container = prod.values["azure"]["abs_container_name"]
    assert prod.launch["cloud_file_llm_fine_tune_repository"].startswith(f"azure://{container}/")
    assert prod.launch["hf_user_fine_tuned_weights_prefix"].startswith(
        f"https://{account}.blob.core.windows.net/{container}/"
    )


def test_database_url_secret_points_at_the_flexible_server(prod: AzureRun) -> None:
    fqdn = prod.state(POSTGRES, "platform-database-postgres")["fullyQualifiedDomainName"]
    secrets = [
        r
        for r in prod.of_type("kubernetes:core/v1:Secret")
        if r.inputs["metadata"]["name"] == prod.values["secrets"]["kubernetesDatabaseSecretName"]
    ]
    assert {s.inputs["metadata"]["namespace"] for s in secrets} == {"model-engine", "llm-engine"}
    for s in secrets:
        url = s.inputs["stringData"][cf.DATABASE_SECRET_KEY]
        assert f"@{fqdn}:5432/llm_engine?sslmode=require" in url
        assert "stringData" in " ".join(s.secret_inputs)


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def test_nothing_secret_reaches_values_or_exports(prod: AzureRun) -> None:
    password = prod.state(
        "random:index/randomPassword:RandomPassword", "platform-database-password"
    )["result"]
    leaves = _strings(prod.values) + _strings(prod.run.exports)
    assert not [s for s in leaves if password in s]
    # The Key Vault secret carries it, marked secret.
    kv = prod.one("azure-native:keyvault:Secret", "platform-vault-db-password")
    assert kv.inputs["properties"]["value"] == password
    assert any(p.startswith("properties") for p in kv.secret_inputs)
    server = prod.one(POSTGRES, "platform-database-postgres")
    assert "administratorLoginPassword" in server.secret_inputs


@pytest.mark.parametrize(
    "key", ["serviceAccount.annotations", "serviceTemplate.serviceAccountAnnotations"]
)
def test_service_accounts_exist_before_the_migration_hook(prod: AzureRun, key: str) -> None:
    node: Any = prod.values
    for part in key.split("."):
        node = node[part]
    assert dict(cf.SERVICE_ACCOUNT_HOOK).items() <= node.items()
