"""The AWS rules: RDS, ElastiCache, S3, ECR and EKS encrypted, private, backed up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policy.common import Rule, Table, contains, get, is_sequence

rds_is_protected = Rule(
    "aws:rds/instance:Instance",
    {
        "storage must be encrypted (storageEncrypted)": lambda p: p.get("storageEncrypted") is True,
        "deletion protection must be on": lambda p: p.get("deletionProtection") is True,
        "must not be publicly accessible": lambda p: p.get("publiclyAccessible") is not True,
        "backups must be kept at least 7 days": lambda p: (
            (p.get("backupRetentionPeriod") or 0) >= 7
        ),
        "a final snapshot must be taken": lambda p: p.get("skipFinalSnapshot") is not True,
    },
)

redis_is_encrypted = Rule(
    "aws:elasticache/replicationGroup:ReplicationGroup",
    {
        "TLS in transit must be on": lambda p: p.get("transitEncryptionEnabled") is True,
        "encryption at rest must be on": lambda p: p.get("atRestEncryptionEnabled") is True,
        "an AUTH token must be set": lambda p: bool(p.get("authToken")),
        "snapshots must be kept": lambda p: (p.get("snapshotRetentionLimit") or 0) >= 1,
    },
)

bucket_is_private = Rule(
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    {
        f"{flag} must be true": (lambda f: lambda p: p.get(f) is True)(flag)
        for flag in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    },
)

registry_scans_images = Rule(
    "aws:ecr/repository:Repository",
    {
        "images must be scanned on push": lambda p: (
            get(p, "imageScanningConfiguration.scanOnPush") is True
        ),
    },
)


def _public_to_everyone(p: Mapping[str, Any]) -> bool:
    if get(p, "vpcConfig.endpointPublicAccess") is False:
        return False
    cidrs = get(p, "vpcConfig.publicAccessCidrs")
    # Unset CIDRs mean 0.0.0.0/0 to EKS.
    return not is_sequence(cidrs) or len(cidrs) == 0 or "0.0.0.0/0" in cidrs


cluster_encrypts_secrets = Rule(
    "aws:eks/cluster:Cluster",
    {
        "Kubernetes Secrets must be envelope-encrypted with KMS": lambda p: (
            contains(get(p, "encryptionConfig.resources"), "secrets")
            and bool(get(p, "encryptionConfig.provider.keyArn"))
        ),
        "the public endpoint must not be open to the whole internet": lambda p: (
            not _public_to_everyone(p)
        ),
    },
)


RULES: Table = {
    "rds-encrypted-private-backed-up": (
        "PostgreSQL is encrypted, private, backed up and deletion-protected.",
        rds_is_protected,
    ),
    "redis-encrypted-authenticated": (
        "Redis uses TLS, encryption at rest, AUTH and snapshots.",
        redis_is_encrypted,
    ),
    "bucket-public-access-blocked": (
        "The object-storage bucket blocks every form of public access.",
        bucket_is_private,
    ),
    "registry-scan-on-push": (
        "Every ECR repository scans images on push.",
        registry_scans_images,
    ),
    "eks-secrets-encrypted-endpoint-restricted": (
        "EKS encrypts Secrets with KMS and does not expose its API to everyone.",
        cluster_encrypts_secrets,
    ),
}
