"""Bad Azure stack files fail before any resource exists, naming the stack key and the fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.azure.helpers import azure_config
from tests.helpers import KEY, Edit, both, refusal, setting


def drop(where: Callable[[dict[str, Any]], dict[str, Any]], key: str) -> Edit:
    def apply(c: dict[str, Any]) -> None:
        del where(c)[key]

    return apply


def secure(key: str) -> Edit:
    def apply(c: dict[str, Any]) -> None:
        c[KEY + key] = "plaintext-value"

    return apply


# (id, edit, key the message must name, words the message must contain)
CASES: list[tuple[str, Edit, str, str]] = [
    (
        "vnet-public",
        setting("azure.network.addressSpace", "20.60.0.0/16"),
        "azure.network.addressSpace",
        "not private address space",
    ),
    (
        "region-unknown",
        setting("azure.location", "eastus3"),
        "azure.location",
        "not an Azure region",
    ),
    ("region-typo", setting("azure.location", "westeurop"), "azure.location", "westeurope"),
    (
        "vm-size-without-the-gpu",
        setting("gpu.pools[0].instanceType", "Standard_D8ds_v5"),
        "gpu.pools[0].instanceType",
        "Standard_NC24ads_A100_v4",
    ),
    (
        "vm-size-of-another-gpu",
        setting("gpu.pools[1].instanceType", "Standard_NC4as_T4_v3"),
        "gpu.pools[1].instanceType",
        "with h100 GPUs",
    ),
    (
        "gpus-per-node-wrong",
        setting("gpu.pools[0].gpusPerNode", 4),
        "gpu.pools[0].gpusPerNode",
        "exposes 1",
    ),
    (
        "pool-name-reserved",
        setting("gpu.pools[0].name", "system"),
        "gpu.pools[0].name",
        "reserved",
    ),
    (
        "system-pool-size-not-a-vm-size",
        setting("azure.nodePools.system.vmSize", "m6i.2xlarge"),
        "azure.nodePools.system.vmSize",
        "not an Azure VM size",
    ),
    (
        "redis-sku-unknown",
        setting("azure.redis.sku", "Premium_P1"),
        "azure.redis.sku",
        "Balanced_B5",
    ),
    (
        "redis-sku-retired-enterprise",
        setting("azure.redis.sku", "Enterprise_E10"),
        "azure.redis.sku",
        "not an Azure Managed Redis SKU",
    ),
    (
        "postgres-sku-off-tier",
        setting("azure.database.skuName", "Standard_E4ds_v5"),
        "azure.database",
        "does not belong to tier GeneralPurpose",
    ),
    ("postgres-too-old", setting("azure.database.version", "15"), "azure.database.version", "16"),
    (
        "backups-too-short",
        setting("azure.database.backupRetentionDays", 3),
        "azure.database.backupRetentionDays",
        "greater than or equal to 7",
    ),
    (
        "service-bus-sku-unknown",
        setting("azure.serviceBus.sku", "Basic"),
        "azure.serviceBus.sku",
        "'Standard' or 'Premium'",
    ),
    (
        "aks-version-retired",
        setting("azure.cluster.version", "1.31"),
        "azure.cluster.version",
        "not in AKS standard support on 2026-11-29 (supported: 1.34, 1.35, 1.36)",
    ),
    (
        "aks-version-not-yet-offered",
        setting("azure.cluster.version", "1.37"),
        "azure.cluster.version",
        "not in AKS standard support",
    ),
    (
        "ci-login-as-a-user",
        both(
            setting("azure.cluster.deployerLogin", "workloadidentity"),
            setting("azure.cluster.deployerPrincipalType", "User"),
        ),
        "azure.cluster",
        "deployerPrincipalType: ServicePrincipal",
    ),
    (
        "ci-deployer-on-the-cli-login",
        setting("azure.cluster.deployerHoldsAdmin", True),
        "azure.cluster",
        "set deployerLogin: workloadidentity",
    ),
    (
        "application-id-of-a-user",
        both(
            setting("azure.cluster.deployerClientId", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"),
            setting("azure.cluster.deployerPrincipalType", "User"),
        ),
        "azure.cluster",
        "deployerClientId names an application",
    ),
    (
        "ci-deployer-without-its-type",
        setting("azure.cluster.deployerObjectId", "3f2504e0-4f89-41d3-9a0c-0305e82c3301"),
        "azure.cluster",
        "set deployerPrincipalType too",
    ),
    (
        "ci-deployer-not-a-guid",
        setting("azure.cluster.deployerObjectId", "ci-deploy"),
        "azure.cluster.deployerObjectId",
        "is not an Entra id",
    ),
    (
        "upstream-private-without-username",
        drop(lambda c: c[KEY + "azure"]["registry"]["upstream"], "username"),
        "azure.registry.upstream",
        "set username",
    ),
    (
        "upstream-public-and-username",
        setting("azure.registry.upstream.public", True),
        "azure.registry.upstream",
        "not both",
    ),
    (
        "upstream-token-missing",
        drop(lambda c: c, KEY + "azureUpstreamToken"),
        "azureUpstreamToken",
        "pulumi config set --secret azureUpstreamToken",
    ),
    (
        "upstream-token-in-plaintext",
        secure("azureUpstreamToken"),
        "azureUpstreamToken",
        "must be a secret",
    ),
    (
        "api-open-to-internet",
        setting("azure.cluster.authorizedIpRanges", ["0.0.0.0/0"]),
        "azure.cluster.authorizedIpRanges",
        "whole internet",
    ),
    (
        "storage-account-name-invalid",
        setting("azure.storage.accountName", "Model_Engine"),
        "azure.storage.accountName",
        "3-24 lower-case letters and digits",
    ),
    (
        "results-container-taken",
        setting("azure.storage.container", "celery"),
        "azure.storage.container",
        "Celery writes task results",
    ),
    (
        "upstream-unsupported",
        setting("azure.registry.upstream.url", "harbor.example.com/ml"),
        "azure.registry.upstream",
        "ACR artifact cache reads only from",
    ),
    (
        "private-needs-premium-registry",
        setting("azure.registry.sku", "Standard"),
        "azure",
        "registry.sku: Premium",
    ),
    ("plaintext-secret", secure("databasePassword"), "databasePassword", "must be a secret"),
    ("unknown-key", setting("azure.redisCache", {}), "azure.redisCache", "unknown key"),
]


@pytest.mark.parametrize(
    ("edit", "key", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_azure_stack_is_rejected_before_any_resource(edit: Edit, key: str, words: str) -> None:
    config = azure_config()
    edit(config)
    refusal(config, key, words)
