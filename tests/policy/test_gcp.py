"""The GCP rules (policy/gcp.py): each flags exactly the property it exists for, on the
gcp-prod example's resources."""

from __future__ import annotations

import pytest

from plan.simulator import ProgramRun
from policy import gcp
from tests.policy.engine import (
    Breaks,
    Change,
    Flags,
    both,
    changed,
    example,
    set_,
    unset,
    violations,
)

BREAKS: Breaks = {
    "cloudsql-private-tls-backed-up": [
        ("public-ip", set_("settings.ipConfiguration.ipv4Enabled", True), "no public IP"),
        ("no-network", unset("settings.ipConfiguration.privateNetwork"), "private network"),
        (
            "plain",
            set_("settings.ipConfiguration.sslMode", "ALLOW_UNENCRYPTED_AND_ENCRYPTED"),
            "unencrypted",
        ),
        ("no-backups", set_("settings.backupConfiguration.enabled", False), "backups must be on"),
        (
            "no-pitr",
            set_("settings.backupConfiguration.pointInTimeRecoveryEnabled", False),
            "point-in-time",
        ),
        ("deletable", set_("settings.deletionProtectionEnabled", False), "deletion protection"),
        ("destroyable", set_("deletionProtection", False), "deletion protection"),
    ],
    "memorystore-private-persistent": [
        ("peering", set_("connectMode", "DIRECT_PEERING"), "private services access"),
        ("no-network", unset("authorizedNetwork"), "authorizedNetwork"),
        ("no-rdb", set_("persistenceConfig.persistenceMode", "DISABLED"), "RDB persistence"),
    ],
    "gcs-bucket-private-versioned": [
        ("public", set_("publicAccessPrevention", "inherited"), "public access prevention"),
        ("acls", set_("uniformBucketLevelAccess", False), "uniform bucket-level access"),
        ("unversioned", set_("versioning.enabled", False), "versioning"),
    ],
    "gke-private-workload-identity": [
        (
            "public-nodes",
            set_("privateClusterConfig.enablePrivateNodes", False),
            "nodes must be private",
        ),
        ("no-wi", unset("workloadIdentityConfig.workloadPool"), "Workload Identity"),
        ("abac", set_("enableLegacyAbac", True), "legacy ABAC"),
        (
            "open-endpoint",
            both(
                set_("privateClusterConfig.enablePrivateEndpoint", False),
                set_("masterAuthorizedNetworksConfig.cidrBlocks", [{"cidrBlock": "0.0.0.0/0"}]),
            ),
            "whole internet",
        ),
    ],
    "gke-secrets-encrypted-policy-enforced": [
        ("plain-secrets", unset("databaseEncryption"), "Secrets must be encrypted"),
        ("no-key", unset("databaseEncryption.keyName"), "Cloud KMS key"),
        ("iptables", set_("datapathProvider", "LEGACY_DATAPATH"), "network policy"),
    ],
    "gcp-iam-not-public": [
        ("all-users", set_("member", "allUsers"), "to allUsers"),
        ("all-authenticated-users", set_("member", "allAuthenticatedUsers"), "allAuthenticated"),
    ],
}


def test_rule_flags_exactly_the_broken_property(
    flags: Flags, policy: str, change: Change, words: str
) -> None:
    flags(policy, change, words)


@pytest.mark.parametrize(
    "resource_type",
    [
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
    ],
)
def test_the_iam_rule_judges_every_iam_member_type(
    stack_runs: dict[str, ProgramRun], resource_type: str
) -> None:
    rule = gcp.gcp_iam_is_not_public
    resource = example(stack_runs, resource_type)
    assert violations(rule, resource.type, resource.wire) == []
    found = violations(rule, resource.type, changed(resource, set_("member", "allUsers")))
    assert len(found) == 1 and "to allUsers" in found[0], found
