"""Security rules checked on every `pulumi preview/up --policy-pack policy`.

The program already builds resources this way; the pack is the independent check that a
later change (or a `chartValues` override) cannot quietly undo it. Each rule is a plain
function so the tests call it directly (constructing a PolicyPack would start a server).
Props use the engine's camelCase names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

_URL_WITH_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]+@")
_SECRET_KEY = re.compile(r"(password|passwd|secret|token|auth)$", re.IGNORECASE)


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")
    else:
        yield path, node


def helm_values_have_no_credentials(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "kubernetes:helm.sh/v3:Release":
        return
    for path, value in _walk(args.props.get("values") or {}):
        if not isinstance(value, str) or not value:
            continue
        leaf = re.split(r"[.\[]", path)[-1]
        if _URL_WITH_CREDENTIALS.match(value):
            report(
                f"values.{path} holds a URL with credentials; Helm stores values in plaintext", None
            )
        elif _SECRET_KEY.search(leaf) and not leaf.endswith(("SecretName", "SecretKey")):
            report(f"values.{path} looks like a credential; name a Kubernetes Secret instead", None)


def _require(
    resource_type: str, checks: Mapping[str, Callable[[Mapping[str, Any]], bool]]
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != resource_type:
            return
        for message, ok in checks.items():
            if not ok(args.props):
                report(message, None)

    return validate


def _get(props: Mapping[str, Any], path: str) -> Any:
    node: Any = props
    for part in path.split("."):
        if isinstance(node, list):
            node = node[0] if node else None
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


rds_is_protected = _require(
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

redis_is_encrypted = _require(
    "aws:elasticache/replicationGroup:ReplicationGroup",
    {
        "TLS in transit must be on": lambda p: p.get("transitEncryptionEnabled") is True,
        "encryption at rest must be on": lambda p: p.get("atRestEncryptionEnabled") is True,
        "an AUTH token must be set": lambda p: bool(p.get("authToken")),
        "snapshots must be kept": lambda p: (p.get("snapshotRetentionLimit") or 0) >= 1,
    },
)

bucket_is_private = _require(
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

registry_scans_images = _require(
    "aws:ecr/repository:Repository",
    {
        "images must be scanned on push": lambda p: (
            _get(p, "imageScanningConfiguration.scanOnPush") is True
        ),
    },
)

cluster_encrypts_secrets = _require(
    "aws:eks/cluster:Cluster",
    {
        "Kubernetes Secrets must be envelope-encrypted with KMS": lambda p: (
            "secrets" in (_get(p, "encryptionConfig.resources") or [])
        ),
        "the public endpoint must not be open to the whole internet": lambda p: (
            not (
                _get(p, "vpcConfig.endpointPublicAccess") is not False
                and "0.0.0.0/0" in (_get(p, "vpcConfig.publicAccessCidrs") or ["0.0.0.0/0"])
            )
        ),
    },
)

# -- GCP ------------------------------------------------------------------------------

cloud_sql_is_protected = _require(
    "gcp:sql/databaseInstance:DatabaseInstance",
    {
        "must have no public IP (settings.ipConfiguration.ipv4Enabled false)": lambda p: (
            _get(p, "settings.ipConfiguration.ipv4Enabled") is False
        ),
        "must sit on a private network": lambda p: bool(
            _get(p, "settings.ipConfiguration.privateNetwork")
        ),
        "must refuse unencrypted connections (sslMode ENCRYPTED_ONLY)": lambda p: (
            _get(p, "settings.ipConfiguration.sslMode")
            in ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")
        ),
        "backups must be on": lambda p: _get(p, "settings.backupConfiguration.enabled") is True,
        "point-in-time recovery must be on": lambda p: (
            _get(p, "settings.backupConfiguration.pointInTimeRecoveryEnabled") is True
        ),
        "deletion protection must be on": lambda p: (
            p.get("deletionProtection") is not False
            and _get(p, "settings.deletionProtectionEnabled") is True
        ),
    },
)

# Memorystore cannot require AUTH or TLS here: the pinned server's forwarders use neither
# (README, GCP). So it must be private and persistent.
memorystore_is_private = _require(
    "gcp:redis/instance:Instance",
    {
        "must be reached through private services access": lambda p: (
            p.get("connectMode") == "PRIVATE_SERVICE_ACCESS"
        ),
        "must be attached to the cluster's network (authorizedNetwork)": lambda p: bool(
            p.get("authorizedNetwork")
        ),
        "RDB persistence must be on": lambda p: (
            _get(p, "persistenceConfig.persistenceMode") == "RDB"
        ),
    },
)

gcs_bucket_is_private = _require(
    "gcp:storage/bucket:Bucket",
    {
        "public access prevention must be enforced": lambda p: (
            p.get("publicAccessPrevention") == "enforced"
        ),
        "uniform bucket-level access must be on": lambda p: (
            p.get("uniformBucketLevelAccess") is True
        ),
        "versioning must be on": lambda p: _get(p, "versioning.enabled") is True,
    },
)

_PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def gcp_iam_is_not_public(args: ResourceValidationArgs, report: ReportViolation) -> None:
    kind = args.resource_type
    if not (kind.startswith("gcp:") and kind.lower().endswith("iammember")):
        return
    if args.props.get("member") in _PUBLIC_MEMBERS:
        report(f"grants {args.props.get('role')} to {args.props.get('member')}", None)


gke_is_private = _require(
    "gcp:container/cluster:Cluster",
    {
        "nodes must be private": lambda p: (
            _get(p, "privateClusterConfig.enablePrivateNodes") is True
        ),
        "Workload Identity must be on": lambda p: bool(
            _get(p, "workloadIdentityConfig.workloadPool")
        ),
        "legacy ABAC must be off": lambda p: p.get("enableLegacyAbac") is not True,
        "the public endpoint must not be open to the whole internet": lambda p: (
            _get(p, "privateClusterConfig.enablePrivateEndpoint") is True
            or (
                bool(_get(p, "masterAuthorizedNetworksConfig.cidrBlocks"))
                and "0.0.0.0/0"
                not in [
                    b.get("cidrBlock")
                    for b in _get(p, "masterAuthorizedNetworksConfig.cidrBlocks") or []
                    if isinstance(b, Mapping)
                ]
            )
        ),
    },
)

MANDATORY = EnforcementLevel.MANDATORY

POLICIES: list[Policy] = [
    ResourceValidationPolicy(
        name="helm-values-no-credentials",
        description="Credentials go into Kubernetes Secrets; Helm values name them.",
        validate=helm_values_have_no_credentials,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="rds-encrypted-private-backed-up",
        description="PostgreSQL is encrypted, private, backed up and deletion-protected.",
        validate=rds_is_protected,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="redis-encrypted-authenticated",
        description="Redis uses TLS, encryption at rest, AUTH and snapshots.",
        validate=redis_is_encrypted,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="bucket-public-access-blocked",
        description="The object-storage bucket blocks every form of public access.",
        validate=bucket_is_private,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="registry-scan-on-push",
        description="Every ECR repository scans images on push.",
        validate=registry_scans_images,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="eks-secrets-encrypted-endpoint-restricted",
        description="EKS encrypts Secrets with KMS and does not expose its API to everyone.",
        validate=cluster_encrypts_secrets,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="cloudsql-private-tls-backed-up",
        description="Cloud SQL has no public IP, requires TLS, keeps backups with PITR.",
        validate=cloud_sql_is_protected,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="memorystore-private-persistent",
        description="Memorystore is reachable only over private services access and persists.",
        validate=memorystore_is_private,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="gcs-bucket-private-versioned",
        description="The GCS bucket enforces public access prevention, UBLA and versioning.",
        validate=gcs_bucket_is_private,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="gcp-iam-not-public",
        description="No IAM grant to allUsers or allAuthenticatedUsers.",
        validate=gcp_iam_is_not_public,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="gke-private-workload-identity",
        description="GKE nodes are private, Workload Identity on, the API not open to all.",
        validate=gke_is_private,
        enforcement_level=MANDATORY,
    ),
]
