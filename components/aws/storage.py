"""S3: the bucket for Celery results, build contexts, builder logs and fine-tune artifacts.
SSE-KMS with the platform key, versioned, public access blocked, TLS only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.aws import settings as aws_settings
from components.aws.common import child, stateful
from components.sdk import lazy

if TYPE_CHECKING:
    import pulumi_aws as aws
else:
    aws = lazy("pulumi_aws")

CELERY_RESULTS_PREFIX = "tmp/celery/"
FINE_TUNE_REPOSITORY = "llm-ft-job-repository"
FINE_TUNED_WEIGHTS = "fine_tuned_weights"


def fine_tune_repository(bucket: str) -> str:
    return f"s3://{bucket}/{FINE_TUNE_REPOSITORY}"


def fine_tuned_weights_prefix(bucket: str) -> str:
    return f"s3://{bucket}/{FINE_TUNED_WEIGHTS}"


def tls_only_policy(bucket_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


@dataclass
class StorageArgs:
    settings: aws_settings.Storage
    kms_key_arn: pulumi.Input[str]
    protect: bool


class Storage(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:aws:Storage", name, None, opts)
        cfg = args.settings
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=cfg.bucket_name,
            force_destroy=False,
            opts=stateful(self, args.protect),
        )
        bucket_id = self.bucket.id
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child(self),
        )
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child(self),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child(self),
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child(self),
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket_id,
            policy=self.bucket.arn.apply(tls_only_policy),
            opts=child(self, depends_on=[public_block]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="celery-results",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(
                        prefix=CELERY_RESULTS_PREFIX
                    ),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=cfg.celery_results_expiry_days
                    ),
                ),
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="old-versions-and-uploads",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=cfg.noncurrent_version_expiry_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    ),
                ),
            ],
            opts=child(self, depends_on=[versioning]),
        )
        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"bucket": self.name, "arn": self.arn})
