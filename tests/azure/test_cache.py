"""Managed Redis: non-cluster, TLS, Entra only, and a host name that fits one DNS label."""

from __future__ import annotations

from tests.azure.helpers import AzureRun, azure_config, run_azure


def test_redis_is_non_cluster_tls_entra_only(prod: AzureRun) -> None:
    db = prod.one("azure-native:redisenterprise:Database", "platform-cache-db").inputs
    assert db["clusteringPolicy"] == "NoCluster"
    assert db["clientProtocol"] == "Encrypted"
    assert db["accessKeysAuthentication"] == "Disabled"
    cluster = prod.one("azure-native:redisenterprise:RedisEnterprise", "platform-cache-redis")
    assert cluster.inputs["publicNetworkAccess"] == "Disabled"


def test_managed_redis_name_and_region_fit_one_dns_label() -> None:
    config = azure_config()
    config["model-engine-infra:environment"] = "customer-production-west-europe-secondary"
    config["model-engine-infra:azure"]["location"] = "germanywestcentral"
    run = run_azure(config)
    host = run.state("azure-native:redisenterprise:RedisEnterprise", "platform-cache-redis")[
        "hostName"
    ]
    name, region = host.split(".")[:2]
    assert len(f"{name}.{region}") <= 63
