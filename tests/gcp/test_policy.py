"""The policy pack's GCP rules: each flags the unsafe resource it exists for, and passes the
resources the gcp-prod example builds."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from policy import rules
from tests.gcp.helpers import GcpRun

SQL = "gcp:sql/databaseInstance:DatabaseInstance"


def violations(validate: Any, resource_type: str, props: dict[str, Any]) -> list[str]:
    found: list[str] = []
    args = SimpleNamespace(resource_type=resource_type, props=props, name="r", urn="urn")
    validate(args, lambda message, urn=None: found.append(message))
    return found


def _with(props: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    import copy

    out = copy.deepcopy(props)
    node = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


@pytest.mark.parametrize(
    ("typ", "rule", "path", "value", "words"),
    [
        (
            SQL,
            rules.cloud_sql_is_protected,
            "settings.ipConfiguration.ipv4Enabled",
            True,
            "public IP",
        ),
        (
            SQL,
            rules.cloud_sql_is_protected,
            "settings.ipConfiguration.sslMode",
            "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
            "unencrypted",
        ),
        (
            SQL,
            rules.cloud_sql_is_protected,
            "settings.backupConfiguration.pointInTimeRecoveryEnabled",
            False,
            "point-in-time",
        ),
        (SQL, rules.cloud_sql_is_protected, "deletionProtection", False, "deletion protection"),
        (
            "gcp:redis/instance:Instance",
            rules.memorystore_is_private,
            "connectMode",
            "DIRECT_PEERING",
            "private services access",
        ),
        (
            "gcp:redis/instance:Instance",
            rules.memorystore_is_private,
            "persistenceConfig.persistenceMode",
            "DISABLED",
            "RDB",
        ),
        (
            "gcp:storage/bucket:Bucket",
            rules.gcs_bucket_is_private,
            "publicAccessPrevention",
            "inherited",
            "public access prevention",
        ),
        (
            "gcp:storage/bucket:Bucket",
            rules.gcs_bucket_is_private,
            "uniformBucketLevelAccess",
            False,
            "uniform",
        ),
        (
            "gcp:container/cluster:Cluster",
            rules.gke_is_private,
            "privateClusterConfig.enablePrivateNodes",
            False,
            "nodes must be private",
        ),
        (
            "gcp:container/cluster:Cluster",
            rules.gke_is_private,
            "masterAuthorizedNetworksConfig.cidrBlocks",
            [{"cidrBlock": "0.0.0.0/0"}],
            "whole internet",
        ),
        (
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            rules.gcp_iam_is_not_public,
            "member",
            "allUsers",
            "allUsers",
        ),
        (
            "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
            rules.gcp_iam_is_not_public,
            "member",
            "allAuthenticatedUsers",
            "allAuthenticatedUsers",
        ),
    ],
)
def test_rule_flags_what_the_example_does_not_do(
    prod: GcpRun, typ: str, rule: Any, path: str, value: Any, words: str
) -> None:
    resource = prod.of_type(typ)[0]
    assert violations(rule, typ, resource.inputs) == []
    bad = _with(resource.inputs, path, value)
    assert any(words in m for m in violations(rule, typ, bad)), violations(rule, typ, bad)


def test_every_gcp_rule_is_in_the_pack() -> None:
    names = {p.name for p in rules.POLICIES}
    assert {
        "cloudsql-private-tls-backed-up",
        "memorystore-private-persistent",
        "gcs-bucket-private-versioned",
        "gcp-iam-not-public",
        "gke-private-workload-identity",
    } <= names
