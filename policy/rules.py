"""Security rules checked on every `pulumi preview/up --policy-pack policy`.

The program already builds resources this way; the pack is the independent check that a
later change (or a `chartValues` override) cannot quietly undo it. Each rule is a plain
callable so the tests call it directly (constructing a PolicyPack would start a server).
Props use the engine's camelCase names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

_URL_WITH_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]+@")
_SECRET_KEY = re.compile(r"(password|passwd|secret|token|auth)$", re.IGNORECASE)
# Charts' convention for naming a Secret that already exists (`existingSecret`,
# `existingConfigSecret`): the value is a Secret's name, which is what the rule asks for.
_SECRET_REFERENCE = re.compile(r"^existing\w*secret$", re.IGNORECASE)

# The policy engine hands rules its own read-only Mapping/Sequence proxies (not dict/list),
# and raises UnknownValueError when a rule reads a value only a deploy will know.
Check = Callable[[Mapping[str, Any]], bool]


def _is_sequence(node: Any) -> bool:
    return isinstance(node, Sequence) and not isinstance(node, (str, bytes))


def _items(node: Any) -> Iterator[tuple[str, Any]]:
    """Children of a mapping or sequence; a child not known until deploy is skipped."""
    keys: Iterable[Any] = list(node) if isinstance(node, Mapping) else range(len(node))
    for key in keys:
        try:
            value = node[key]
        except UnknownValueError:
            continue
        yield (f"[{key}]" if isinstance(key, int) else str(key)), value


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping) or _is_sequence(node):
        for key, value in _items(node):
            child = path + key if key.startswith("[") else (f"{path}.{key}" if path else key)
            yield from _walk(value, child)
    else:
        yield path, node


@dataclass(frozen=True)
class Rule:
    """A validate function for one resource type; `checks` maps a violation to its test.

    The resource type is data so that the tests can prove each rule meets a resource of
    its type in an example stack (a rule for a type nothing creates would pass forever).
    """

    resource_type: str
    checks: Mapping[str, Check] = field(default_factory=dict)
    custom: Callable[[Mapping[str, Any]], Iterator[str]] | None = None

    def __call__(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != self.resource_type:
            return
        for message, ok in self.checks.items():
            if not ok(args.props):
                report(message, None)
        if self.custom is not None:
            for message in self.custom(args.props):
                report(message, None)


def _helm_credentials(props: Mapping[str, Any]) -> Iterator[str]:
    try:
        values = props.get("values") or {}
    except UnknownValueError:
        return
    for path, value in _walk(values):
        if not isinstance(value, str) or not value:
            continue
        leaf = re.split(r"[.\[]", path)[-1]
        if _URL_WITH_CREDENTIALS.match(value):
            yield f"values.{path} holds a URL with credentials; Helm stores values in plaintext"
        elif _SECRET_KEY.search(leaf) and not _SECRET_REFERENCE.match(leaf):
            yield f"values.{path} looks like a credential; name a Kubernetes Secret instead"


helm_values_have_no_credentials = Rule("kubernetes:helm.sh/v3:Release", custom=_helm_credentials)


def _get(props: Mapping[str, Any], path: str) -> Any:
    """A nested value, None when any level is missing or not a mapping (so a check that
    needs the value fails rather than passes)."""
    node: Any = props
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _contains(node: Any, item: str) -> bool:
    return _is_sequence(node) and item in node


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
            _get(p, "imageScanningConfiguration.scanOnPush") is True
        ),
    },
)


def _public_to_everyone(p: Mapping[str, Any]) -> bool:
    if _get(p, "vpcConfig.endpointPublicAccess") is False:
        return False
    cidrs = _get(p, "vpcConfig.publicAccessCidrs")
    # Unset CIDRs mean 0.0.0.0/0 to EKS.
    return not _is_sequence(cidrs) or len(cidrs) == 0 or "0.0.0.0/0" in cidrs


cluster_encrypts_secrets = Rule(
    "aws:eks/cluster:Cluster",
    {
        "Kubernetes Secrets must be envelope-encrypted with KMS": lambda p: (
            _contains(_get(p, "encryptionConfig.resources"), "secrets")
            and bool(_get(p, "encryptionConfig.provider.keyArn"))
        ),
        "the public endpoint must not be open to the whole internet": lambda p: (
            not _public_to_everyone(p)
        ),
    },
)

# -- Azure ---------------------------------------------------------------------------------

postgres_flexible_is_protected = Rule(
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

managed_redis_is_encrypted = Rule(
    "azure-native:redisenterprise:RedisEnterprise",
    {"TLS 1.2 must be the minimum": lambda p: p.get("minimumTlsVersion") == "1.2"},
)

managed_redis_database_is_entra_only = Rule(
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

storage_account_is_private = Rule(
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

key_vault_is_protected = Rule(
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

service_bus_is_entra_only = Rule(
    "azure-native:servicebus:Namespace",
    {
        "local (SAS) auth must be off": lambda p: p.get("disableLocalAuth") is True,
        "TLS 1.2 must be the minimum": lambda p: p.get("minimumTlsVersion") == "1.2",
    },
)

acr_has_no_admin_user = Rule(
    "azure-native:containerregistry:Registry",
    {
        "the admin user must be off": lambda p: p.get("adminUserEnabled") is not True,
        "anonymous pull must be off": lambda p: p.get("anonymousPullEnabled") is not True,
    },
)

role_assignment_is_scoped = Rule(
    "azure-native:authorization:RoleAssignment",
    {
        "must be scoped to one resource, not a subscription or resource group": lambda p: (
            "/providers/" in str(p.get("scope") or "")
        ),
    },
)

aks_is_entra_only = Rule(
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

# -- GCP ------------------------------------------------------------------------------

cloud_sql_is_protected = Rule(
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
            _get(p, "persistenceConfig.persistenceMode") == "RDB"
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


gke_is_private = Rule(
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


# Policy name -> (description, rule).
RULES: dict[str, tuple[str, Rule]] = {
    "helm-values-no-credentials": (
        "Credentials go into Kubernetes Secrets; Helm values name them.",
        helm_values_have_no_credentials,
    ),
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
RULES.update({name: (description, rule) for name, (rule, description) in AZURE_POLICIES.items()})

RULES.update(
    {
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
    }
)

POLICIES: list[Policy] = [
    *(
        ResourceValidationPolicy(
            name=name,
            description=description,
            validate=rule,
            enforcement_level=EnforcementLevel.MANDATORY,
        )
        for name, (description, rule) in RULES.items()
    ),
    # Spans every IAM-member resource type, so it is a plain validate function.
    ResourceValidationPolicy(
        name="gcp-iam-not-public",
        description="No IAM grant to allUsers or allAuthenticatedUsers.",
        validate=gcp_iam_is_not_public,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]
