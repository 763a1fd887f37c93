"""GCS: the bucket for Celery results, build logs and fine-tune artifacts. Uniform
bucket-level access, public access prevention enforced, versioned, `tmp/celery/` expiring,
optional customer-managed key (CMEK)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.gcp import settings as gcp_settings
from components.gcp.apis import after_apis
from components.gcp.common import (
    KMS_ENCRYPTER,
    PART_OF_LABEL,
    PlacedArgs,
    child,
    service_account_member,
    stateful,
    trim_name,
)
from components.sdk import lazy

if TYPE_CHECKING:
    import pulumi_gcp.storage as gcs
    from pulumi_gcp import kms
else:
    kms = lazy("pulumi_gcp.kms")
    gcs = lazy("pulumi_gcp.storage")

CELERY_RESULTS_PREFIX = "tmp/celery/"
FINE_TUNE_REPOSITORY = "llm-ft-job-repository"
FINE_TUNED_WEIGHTS = "fine_tuned_weights"


def bucket_name(project: str, environment: str) -> str:
    """Globally unique through the project id; at most 63 characters (a long one ends in a
    hash of the whole name, so two environments never share a bucket)."""
    return trim_name(f"{project}-model-engine-{environment}", 63)


def fine_tune_repository(bucket: str) -> str:
    return f"gs://{bucket}/{FINE_TUNE_REPOSITORY}"


def fine_tuned_weights_prefix(bucket: str) -> str:
    return f"gs://{bucket}/{FINE_TUNED_WEIGHTS}"


@dataclass
class StorageArgs(PlacedArgs):
    settings: gcp_settings.Storage
    name: str
    # The API services: the service-agent lookup waits for them (apis.after_apis).
    apis: Sequence[pulumi.Resource] = ()


class Storage(pulumi.ComponentResource):
    bucket: gcs.Bucket
    name: pulumi.Output[str]

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:gcp:Storage", name, None, opts)
        cfg = args.settings
        depends_on: list[pulumi.Resource] = []
        encryption = None
        if cfg.kms_key_name:
            # Cloud Storage's service agent encrypts with the key; it needs the grant first.
            agent = gcs.get_project_service_account_output(
                project=args.project, opts=after_apis(self, args.apis)
            )
            depends_on.append(
                kms.CryptoKeyIAMMember(
                    f"{name}-kms",
                    crypto_key_id=cfg.kms_key_name,
                    role=KMS_ENCRYPTER,
                    member=agent.email_address.apply(service_account_member),
                    opts=child(self),
                )
            )
            encryption = gcs.BucketEncryptionArgs(default_kms_key_name=cfg.kms_key_name)
        self.bucket = gcs.Bucket(
            f"{name}-bucket",
            name=args.name,
            project=args.project,
            location=args.region.upper(),
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning=gcs.BucketVersioningArgs(enabled=True),
            encryption=encryption,
            lifecycle_rules=[
                gcs.BucketLifecycleRuleArgs(
                    action=gcs.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcs.BucketLifecycleRuleConditionArgs(
                        age=cfg.celery_results_expiry_days,
                        matches_prefixes=[CELERY_RESULTS_PREFIX],
                    ),
                ),
                gcs.BucketLifecycleRuleArgs(
                    action=gcs.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcs.BucketLifecycleRuleConditionArgs(
                        days_since_noncurrent_time=cfg.noncurrent_version_expiry_days,
                        with_state="ARCHIVED",
                    ),
                ),
                gcs.BucketLifecycleRuleArgs(
                    action=gcs.BucketLifecycleRuleActionArgs(type="AbortIncompleteMultipartUpload"),
                    condition=gcs.BucketLifecycleRuleConditionArgs(age=1),
                ),
            ],
            force_destroy=False,
            labels={**PART_OF_LABEL, **args.labels},
            opts=stateful(self, args.protect, depends_on=depends_on),
        )
        self.name = self.bucket.name
        self.register_outputs({"name": self.name, "url": self.bucket.url})
