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

# -- Azure ---------------------------------------------------------------------------------

postgres_flexible_is_protected = _require(
    "azure-native:dbforpostgresql:Server",
    {
        "must not be reachable from the internet (network.publicNetworkAccess Disabled)": (
            lambda p: _get(p, "network.publicNetworkAccess") == "Disabled"
        ),
        "backups must be kept at least 7 days": lambda p: (
            (_get(p, "backup.backupRetentionDays") or 0) >= 7
        ),
        "PostgreSQL must be 16 or later": lambda p: (
            str(p.get("version") or "0").isdigit() and int(str(p.get("version"))) >= 16
        ),
    },
)

managed_redis_is_encrypted = _require(
    "azure-native:redisenterprise:RedisEnterprise",
    {"TLS 1.2 must be the minimum": lambda p: p.get("minimumTlsVersion") == "1.2"},
)

managed_redis_database_is_entra_only = _require(
    "azure-native:redisenterprise:Database",
    {
        "clients must use TLS (clientProtocol Encrypted)": lambda p: (
            p.get("clientProtocol") == "Encrypted"
        ),
        "access keys must be off (Entra only)": lambda p: (
            p.get("accessKeysAuthentication") == "Disabled"
        ),
        "the server speaks non-cluster Redis (clusteringPolicy NoCluster)": lambda p: (
            p.get("clusteringPolicy") == "NoCluster"
        ),
    },
)

storage_account_is_private = _require(
    "azure-native:storage:StorageAccount",
    {
        "public blob access must be off": lambda p: p.get("allowBlobPublicAccess") is False,
        "shared-key access must be off (Entra only)": lambda p: (
            p.get("allowSharedKeyAccess") is False
        ),
        "TLS 1.2 must be the minimum": lambda p: p.get("minimumTlsVersion") == "TLS1_2",
        "HTTPS only": lambda p: p.get("enableHttpsTrafficOnly") is not False,
    },
)

key_vault_is_protected = _require(
    "azure-native:keyvault:Vault",
    {
        "RBAC authorization must be on": lambda p: (
            _get(p, "properties.enableRbacAuthorization") is True
        ),
        "soft delete must be on": lambda p: _get(p, "properties.enableSoftDelete") is not False,
        "purge protection must be on": lambda p: (
            _get(p, "properties.enablePurgeProtection") is True
        ),
    },
)

service_bus_is_entra_only = _require(
    "azure-native:servicebus:Namespace",
    {
        "local (SAS) auth must be off": lambda p: p.get("disableLocalAuth") is True,
        "TLS 1.2 must be the minimum": lambda p: p.get("minimumTlsVersion") == "1.2",
    },
)

acr_has_no_admin_user = _require(
    "azure-native:containerregistry:Registry",
    {
        "the admin user must be off": lambda p: p.get("adminUserEnabled") is not True,
        "anonymous pull must be off": lambda p: p.get("anonymousPullEnabled") is not True,
    },
)

role_assignment_is_scoped = _require(
    "azure-native:authorization:RoleAssignment",
    {
        "must be scoped to one resource, not a subscription or resource group": lambda p: (
            "/providers/" in str(p.get("scope") or "")
        ),
    },
)

aks_is_entra_only = _require(
    "azure-native:containerservice:ManagedCluster",
    {
        "local accounts must be off": lambda p: p.get("disableLocalAccounts") is True,
        "Entra ID with Azure RBAC must be on": lambda p: (
            _get(p, "aadProfile.enableAzureRBAC") is True
        ),
        "workload identity must be on": lambda p: (
            _get(p, "securityProfile.workloadIdentity.enabled") is True
        ),
        "the API server must not be open to the whole internet": lambda p: (
            "0.0.0.0/0" not in (_get(p, "apiServerAccessProfile.authorizedIPRanges") or [])
        ),
    },
)

AZURE_POLICIES = {
    "azure-postgresql-private-backed-up": (
        postgres_flexible_is_protected,
        "PostgreSQL Flexible Server is private, backed up and current.",
    ),
    "azure-redis-tls": (managed_redis_is_encrypted, "Managed Redis requires TLS 1.2."),
    "azure-redis-database-entra-only": (
        managed_redis_database_is_entra_only,
        "The Managed Redis database uses TLS, Entra only, non-cluster protocol.",
    ),
    "azure-storage-private": (
        storage_account_is_private,
        "The storage account allows no public blobs, no shared keys, TLS 1.2+.",
    ),
    "azure-key-vault-protected": (
        key_vault_is_protected,
        "Key Vault uses RBAC, soft delete and purge protection.",
    ),
    "azure-service-bus-entra-only": (
        service_bus_is_entra_only,
        "Service Bus accepts Entra tokens only, over TLS 1.2+.",
    ),
    "azure-acr-no-admin-user": (acr_has_no_admin_user, "ACR has no admin user or anonymous pull."),
    "azure-role-assignments-scoped": (
        role_assignment_is_scoped,
        "Every role assignment is scoped to one resource.",
    ),
    "azure-aks-entra-only": (
        aks_is_entra_only,
        "AKS uses Entra ID with Azure RBAC, workload identity, no local accounts.",
    ),
}

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
    *(
        ResourceValidationPolicy(
            name=name, description=description, validate=validate, enforcement_level=MANDATORY
        )
        for name, (validate, description) in AZURE_POLICIES.items()
    ),
]
