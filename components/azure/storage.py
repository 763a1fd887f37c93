"""Blob storage: the server's container (fine-tune repository, events, weights) and Celery's
result container `celery`.

TLS 1.2+, HTTPS only, no public blob access, shared-key access off (Entra only), encrypted
at rest, soft delete for blobs and containers, versioning. The server's Celery backend
creates `celery` on first use; it is created here so the identity never needs to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import storage

from components.azure import settings as az
from components.azure.common import child, stateful

# Celery's default result container (celery/app/defaults.py azureblockblob_container_name):
# the server's ABS backend writes results there, not to abs_container_name.
CELERY_RESULTS_CONTAINER = "celery"
FINE_TUNE_REPOSITORY = "hosted-model-inference/llm-ft-job-repository"
FINE_TUNED_WEIGHTS = "hosted-model-inference/fine_tuned_weights"


def fine_tune_repository(container: str) -> str:
    """`azure://CONTAINER/key`: the form the server's ABS fine-tune repository parses."""
    return f"azure://{container}/{FINE_TUNE_REPOSITORY}"


def fine_tuned_weights_prefix(account: str, container: str) -> str:
    """Only the https form yields the account (the azure:// form gives https://None...)."""
    return f"https://{account}.blob.core.windows.net/{container}/{FINE_TUNED_WEIGHTS}"


@dataclass
class StorageArgs:
    settings: az.Storage
    account_name: pulumi.Input[str]
    location: str
    resource_group_name: pulumi.Input[str]
    private: bool
    protect: bool
    tags: Mapping[str, str]


class Storage(pulumi.ComponentResource):
    account: storage.StorageAccount
    name: pulumi.Output[str]
    container: storage.BlobContainer
    results_container: storage.BlobContainer

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:azure:Storage", name, None, opts)
        cfg = args.settings
        self.account = storage.StorageAccount(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="StorageV2",
            sku=storage.SkuArgs(name=cfg.replication),
            access_tier=storage.AccessTier.HOT,
            minimum_tls_version="TLS1_2",
            enable_https_traffic_only=True,
            allow_blob_public_access=False,
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            allow_cross_tenant_replication=False,
            public_network_access="Disabled" if args.private else "Enabled",
            encryption=storage.EncryptionArgs(
                key_source="Microsoft.Storage",
                require_infrastructure_encryption=True,
                services=storage.EncryptionServicesArgs(
                    blob=storage.EncryptionServiceArgs(enabled=True, key_type="Account")
                ),
            ),
            tags=dict(args.tags),
            opts=stateful(self, args.protect),
        )
        self.name = self.account.name
        retention = storage.DeleteRetentionPolicyArgs(enabled=True, days=cfg.soft_delete_days)
        storage.BlobServiceProperties(
            f"{name}-blob-service",
            account_name=self.account.name,
            resource_group_name=args.resource_group_name,
            blob_services_name="default",
            delete_retention_policy=retention,
            container_delete_retention_policy=retention,
            is_versioning_enabled=True,
            opts=child(self),
        )
        self.container = storage.BlobContainer(
            f"{name}-container",
            container_name=cfg.container,
            account_name=self.account.name,
            resource_group_name=args.resource_group_name,
            public_access=storage.PublicAccess.NONE,
            opts=stateful(self, args.protect),
        )
        self.results_container = storage.BlobContainer(
            f"{name}-celery",
            container_name=CELERY_RESULTS_CONTAINER,
            account_name=self.account.name,
            resource_group_name=args.resource_group_name,
            public_access=storage.PublicAccess.NONE,
            opts=stateful(self, args.protect),
        )
        self.register_outputs(
            {"account": self.name, "containers": [cfg.container, CELERY_RESULTS_CONTAINER]}
        )
