"""Blob storage: the server's container (fine-tune repository, events, weights) and Celery's
result container `celery`.

TLS 1.2+, HTTPS only, no public blob access, shared-key access off (Entra only), encrypted
at rest, soft delete for blobs and containers, versioning bounded by a lifecycle policy
(previous versions expire; Celery results expire). The server's Celery backend creates
`celery` on first use (it tolerates ResourceExistsError); it is created here so that the
lifecycle rule and the container-scoped grants have something to name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.azure import settings as az
from components.azure.common import ServiceArgs, child, stateful
from components.sdk import lazy

if TYPE_CHECKING:
    from pulumi_azure_native import storage
else:
    storage = lazy("pulumi_azure_native.storage")

# Celery's default result container (celery/app/defaults.py azureblockblob_container_name):
# the server's ABS backend writes results there, not to abs_container_name.
CELERY_RESULTS_CONTAINER = "celery"
FINE_TUNE_REPOSITORY = "hosted-model-inference/llm-ft-job-repository"
FINE_TUNED_WEIGHTS = "hosted-model-inference/fine_tuned_weights"


def container_scope(account_id: pulumi.Input[str], container: str) -> pulumi.Output[str]:
    """The ARM id of a blob container: the narrowest scope a Blob data role takes."""
    return pulumi.Output.concat(account_id, "/blobServices/default/containers/", container)


def fine_tune_repository(container: str) -> str:
    """`azure://CONTAINER/key`: the form the server's ABS fine-tune repository parses."""
    return f"azure://{container}/{FINE_TUNE_REPOSITORY}"


def fine_tuned_weights_prefix(account: str, container: str) -> str:
    """Only the https form yields the account (the azure:// form gives https://None...)."""
    return f"https://{account}.blob.core.windows.net/{container}/{FINE_TUNED_WEIGHTS}"


def lifecycle_policy(cfg: az.Storage) -> storage.ManagementPolicySchemaArgs:
    """Bound the account's growth: results expire, previous versions expire."""
    block_blobs = ["blockBlob"]
    return storage.ManagementPolicySchemaArgs(
        rules=[
            storage.ManagementPolicyRuleArgs(
                name="expire-celery-results",
                type="Lifecycle",
                enabled=True,
                definition=storage.ManagementPolicyDefinitionArgs(
                    filters=storage.ManagementPolicyFilterArgs(
                        blob_types=block_blobs,
                        # A prefix starts with the container name.
                        prefix_match=[f"{CELERY_RESULTS_CONTAINER}/"],
                    ),
                    actions=storage.ManagementPolicyActionArgs(
                        base_blob=storage.ManagementPolicyBaseBlobArgs(
                            delete=storage.DateAfterModificationArgs(
                                days_after_modification_greater_than=cfg.results_retention_days
                            )
                        ),
                    ),
                ),
            ),
            storage.ManagementPolicyRuleArgs(
                name="expire-previous-versions",
                type="Lifecycle",
                enabled=True,
                definition=storage.ManagementPolicyDefinitionArgs(
                    filters=storage.ManagementPolicyFilterArgs(blob_types=block_blobs),
                    actions=storage.ManagementPolicyActionArgs(
                        version=storage.ManagementPolicyVersionArgs(
                            delete=storage.DateAfterCreationArgs(
                                days_after_creation_greater_than=cfg.version_retention_days
                            )
                        ),
                    ),
                ),
            ),
        ]
    )


@dataclass
class StorageArgs(ServiceArgs):
    settings: az.Storage
    account_name: pulumi.Input[str]


class Storage(pulumi.ComponentResource):
    account: storage.StorageAccount
    name: pulumi.Output[str]
    container: storage.BlobContainer
    results_container: storage.BlobContainer
    lifecycle: storage.ManagementPolicy

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
        self.lifecycle = storage.ManagementPolicy(
            f"{name}-lifecycle",
            account_name=self.account.name,
            resource_group_name=args.resource_group_name,
            # The only name a storage account's lifecycle policy may have.
            management_policy_name="default",
            policy=lifecycle_policy(cfg),
            opts=child(self),
        )
        self.register_outputs(
            {"account": self.name, "containers": [cfg.container, CELERY_RESULTS_CONTAINER]}
        )
