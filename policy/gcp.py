"""The GCP rules: Cloud SQL, Memorystore, GCS and GKE private and backed up; no public IAM."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policy.common import Rule, Table, get

cloud_sql_is_protected = Rule(
    "gcp:sql/databaseInstance:DatabaseInstance",
    {
        "must have no public IP (settings.ipConfiguration.ipv4Enabled false)": lambda p: (
            get(p, "settings.ipConfiguration.ipv4Enabled") is False
        ),
        "must sit on a private network": lambda p: bool(
            get(p, "settings.ipConfiguration.privateNetwork")
        ),
        "must refuse unencrypted connections (sslMode ENCRYPTED_ONLY)": lambda p: (
            get(p, "settings.ipConfiguration.sslMode")
            in ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")
        ),
        "backups must be on": lambda p: get(p, "settings.backupConfiguration.enabled") is True,
        "point-in-time recovery must be on": lambda p: (
            get(p, "settings.backupConfiguration.pointInTimeRecoveryEnabled") is True
        ),
        "deletion protection must be on": lambda p: (
            p.get("deletionProtection") is not False
            and get(p, "settings.deletionProtectionEnabled") is True
        ),
    },
)

# Memorystore cannot require AUTH or TLS here: the pinned server's forwarders use neither
# (README, GCP). So it must be private and persistent.
memorystore_is_private = Rule(
    "gcp:redis/instance:Instance",
    {
        "must be reached through private services access": lambda p: (
            p.get("connectMode") == "PRIVATE_SERVICE_ACCESS"
        ),
        "must be attached to the cluster's network (authorizedNetwork)": lambda p: bool(
            p.get("authorizedNetwork")
        ),
        "RDB persistence must be on": lambda p: (
            get(p, "persistenceConfig.persistenceMode") == "RDB"
        ),
    },
)

gcs_bucket_is_private = Rule(
    "gcp:storage/bucket:Bucket",
    {
        "public access prevention must be enforced": lambda p: (
            p.get("publicAccessPrevention") == "enforced"
        ),
        "uniform bucket-level access must be on": lambda p: (
            p.get("uniformBucketLevelAccess") is True
        ),
        "versioning must be on": lambda p: get(p, "versioning.enabled") is True,
    },
)

_PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def _public_grants(props: Mapping[str, Any]) -> Iterator[str]:
    if props.get("member") in _PUBLIC_MEMBERS:
        yield f"grants {props.get('role')} to {props.get('member')}"


def _is_iam_member(resource_type: str) -> bool:
    return resource_type.startswith("gcp:") and resource_type.lower().endswith("iammember")


gcp_iam_is_not_public = Rule(
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    custom=_public_grants,
    family=_is_iam_member,
)


gke_is_private = Rule(
    "gcp:container/cluster:Cluster",
    {
        "nodes must be private": lambda p: (
            get(p, "privateClusterConfig.enablePrivateNodes") is True
        ),
        "Workload Identity must be on": lambda p: bool(
            get(p, "workloadIdentityConfig.workloadPool")
        ),
        "legacy ABAC must be off": lambda p: p.get("enableLegacyAbac") is not True,
        "the public endpoint must not be open to the whole internet": lambda p: (
            get(p, "privateClusterConfig.enablePrivateEndpoint") is True
            or (
                bool(get(p, "masterAuthorizedNetworksConfig.cidrBlocks"))
                and "0.0.0.0/0"
                not in [
                    b.get("cidrBlock")
                    for b in get(p, "masterAuthorizedNetworksConfig.cidrBlocks") or []
                    if isinstance(b, Mapping)
                ]
            )
        ),
    },
)


# The cluster's Secrets hold the database URLs; Memorystore has no AUTH, so only enforced
# network policy keeps it to its clients (components/gcp/cache.py).
gke_secrets_encrypted_policy_enforced = Rule(
    "gcp:container/cluster:Cluster",
    {
        "Secrets must be encrypted with a Cloud KMS key (databaseEncryption)": lambda p: (
            get(p, "databaseEncryption.state") == "ENCRYPTED"
            and bool(get(p, "databaseEncryption.keyName"))
        ),
        "network policy must be enforced (Dataplane V2)": lambda p: (
            p.get("datapathProvider") == "ADVANCED_DATAPATH"
            or get(p, "networkPolicy.enabled") is True
        ),
    },
)

RULES: Table = {
    "cloudsql-private-tls-backed-up": (
        "Cloud SQL has no public IP, requires TLS, keeps backups with PITR.",
        cloud_sql_is_protected,
    ),
    "memorystore-private-persistent": (
        "Memorystore is reachable only over private services access and persists.",
        memorystore_is_private,
    ),
    "gcs-bucket-private-versioned": (
        "The GCS bucket enforces public access prevention, UBLA and versioning.",
        gcs_bucket_is_private,
    ),
    "gke-private-workload-identity": (
        "GKE nodes are private, Workload Identity on, the API not open to all.",
        gke_is_private,
    ),
    "gcp-iam-not-public": (
        "No IAM grant to allUsers or allAuthenticatedUsers.",
        gcp_iam_is_not_public,
    ),
    "gke-secrets-encrypted-policy-enforced": (
        "GKE encrypts Secrets with a Cloud KMS key and enforces network policy.",
        gke_secrets_encrypted_policy_enforced,
    ),
}
