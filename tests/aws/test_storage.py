"""S3: one private, versioned, SSE-KMS, TLS-only bucket; its name and the fine-tune URIs
flow into the chart."""

from __future__ import annotations

import json
from typing import Any

from tests.aws.helpers import AwsRun, run_aws
from tests.helpers import set_path

BUCKET = ("aws:s3/bucket:Bucket", "platform-storage-bucket")


def test_bucket_is_encrypted_versioned_private_and_tls_only(prod: AwsRun) -> None:
    bucket = prod.one(*BUCKET)
    assert bucket.protect and prod.options[BUCKET].retain_on_delete
    assert bucket.inputs.get("forceDestroy") is False
    bucket_id = prod.out(*BUCKET, "id")
    sse = prod.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs
    assert sse["bucket"] == bucket_id
    [rule] = sse["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": prod.out("aws:kms/key:Key", "platform-data-key", "arn"),
    }
    versioning = prod.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    block = prod.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k] is True
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    policy = json.loads(prod.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    [deny] = policy["Statement"]
    arn = prod.out(*BUCKET, "arn")
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [arn, f"{arn}/*"]


def test_celery_results_expire(prod: AwsRun) -> None:
    rules = prod.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs[
        "rules"
    ]
    celery = next(r for r in rules if r["filter"].get("prefix") == "tmp/celery/")
    assert celery["status"] == "Enabled" and celery["expiration"]["days"] == 7


def test_chart_gets_the_bucket_and_fine_tune_uris(prod: AwsRun) -> None:
    name = prod.out(*BUCKET, "bucket")
    assert prod.infra["s3_bucket"] == name
    assert (
        prod.launch["cloud_file_llm_fine_tune_repository"] == f"s3://{name}/llm-ft-job-repository"
    )
    assert prod.launch["hf_user_fine_tuned_weights_prefix"] == f"s3://{name}/fine_tuned_weights"


def test_an_explicit_bucket_name(config: dict[str, Any]) -> None:
    set_path(config, "aws.storage.bucketName", "acme-model-engine")
    run = run_aws(config)
    assert run.infra["s3_bucket"] == "acme-model-engine"
    assert (
        run.launch["hf_user_fine_tuned_weights_prefix"]
        == "s3://acme-model-engine/fine_tuned_weights"
    )
