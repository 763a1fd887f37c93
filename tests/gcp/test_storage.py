"""The bucket: private, versioned, expiring Celery's results, optionally with a CMEK."""

from __future__ import annotations

from tests.gcp.helpers import BUCKET, GcpRun, run_gcp
from tests.helpers import set_path


def test_bucket_is_private_versioned_and_expires_celery_results(prod: GcpRun) -> None:
    b = prod.one(BUCKET, "platform-storage-bucket")
    i = b.inputs
    assert i["uniformBucketLevelAccess"] is True
    assert i["publicAccessPrevention"] == "enforced"
    assert i["versioning"] == {"enabled": True}
    assert i["forceDestroy"] is False
    rules = i["lifecycleRules"]
    celery = [r for r in rules if r["condition"].get("matchesPrefixes") == ["tmp/celery/"]]
    assert celery and celery[0]["action"]["type"] == "Delete"
    assert celery[0]["condition"]["age"] == 7
    assert "encryption" not in i
    assert b.protect


def test_cmek_is_granted_to_the_storage_agent_first(config: dict) -> None:
    key = "projects/kms-proj/locations/us-central1/keyRings/ml/cryptoKeys/bucket"
    set_path(config, "gcp.storage.kmsKeyName", key)
    run = run_gcp(config)
    bucket = run.one(BUCKET)
    assert bucket.inputs["encryption"] == {"defaultKmsKeyName": key}
    grant = run.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "platform-storage-kms")
    assert grant.inputs["cryptoKeyId"] == key
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant.inputs["member"].endswith("@gs-project-accounts.iam.gserviceaccount.com")
    assert grant.urn in bucket.dependencies
