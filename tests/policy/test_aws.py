"""The AWS rules (policy/aws.py): each flags exactly the property it exists for, on the
customer-prod example's resources."""

from __future__ import annotations

from plan.simulator import ProgramRun
from policy import aws
from tests.policy.engine import (
    Breaks,
    Change,
    Flags,
    KeepCases,
    Keeps,
    both,
    engine_args,
    example,
    set_,
    unset,
)

BREAKS: Breaks = {
    "rds-encrypted-private-backed-up": [
        ("unencrypted", set_("storageEncrypted", False), "storage must be encrypted"),
        ("encryption-unset", unset("storageEncrypted"), "storage must be encrypted"),
        ("no-deletion-protection", set_("deletionProtection", False), "deletion protection"),
        ("deletion-protection-unset", unset("deletionProtection"), "deletion protection"),
        ("public", set_("publiclyAccessible", True), "publicly accessible"),
        ("short-backups", set_("backupRetentionPeriod", 1), "at least 7 days"),
        ("no-final-snapshot", set_("skipFinalSnapshot", True), "final snapshot"),
    ],
    "redis-encrypted-authenticated": [
        ("no-tls", set_("transitEncryptionEnabled", False), "TLS in transit"),
        ("no-at-rest", unset("atRestEncryptionEnabled"), "encryption at rest"),
        ("no-auth-token", unset("authToken"), "AUTH token"),
        ("empty-auth-token", set_("authToken", ""), "AUTH token"),
        ("no-snapshots", set_("snapshotRetentionLimit", 0), "snapshots must be kept"),
    ],
    "bucket-public-access-blocked": [
        (flag, set_(flag, False), f"{flag} must be true")
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls")
    ]
    + [("restrict-unset", unset("restrictPublicBuckets"), "restrictPublicBuckets must be true")],
    "registry-scan-on-push": [
        ("scan-off", set_("imageScanningConfiguration.scanOnPush", False), "scanned on push"),
        ("scan-unset", unset("imageScanningConfiguration"), "scanned on push"),
    ],
    "eks-secrets-encrypted-endpoint-restricted": [
        ("no-encryption", unset("encryptionConfig"), "envelope-encrypted"),
        ("encrypts-nothing", set_("encryptionConfig.resources", []), "envelope-encrypted"),
        ("no-key", unset("encryptionConfig.provider"), "envelope-encrypted"),
        (
            "open-to-all",
            set_("vpcConfig.publicAccessCidrs", ["10.0.0.0/8", "0.0.0.0/0"]),
            "whole internet",
        ),
        ("public-no-cidrs", unset("vpcConfig.publicAccessCidrs"), "whole internet"),
    ],
}

KEEPS: KeepCases = {
    "eks-secrets-encrypted-endpoint-restricted": [
        (
            "private-endpoint-only",
            both(
                set_("vpcConfig.endpointPublicAccess", False),
                unset("vpcConfig.publicAccessCidrs"),
            ),
        ),
    ],
    "rds-encrypted-private-backed-up": [("longer-backups", set_("backupRetentionPeriod", 35))],
}


def test_rule_flags_exactly_the_broken_property(
    flags: Flags, policy: str, change: Change, words: str
) -> None:
    flags(policy, change, words)


def test_rule_accepts_a_compliant_variant(keeps: Keeps, policy: str, change: Change) -> None:
    keeps(policy, change)


def test_secret_values_reach_the_rules_unwrapped(stack_runs: dict[str, ProgramRun]) -> None:
    """The AUTH token travels as a secret; the engine unwraps it before the rule reads it."""
    resource = example(stack_runs, aws.redis_is_encrypted.resource_type)
    assert "authToken" in resource.secret_inputs
    props = engine_args(resource.type, resource.wire).props
    assert isinstance(props.get("authToken"), str) and props.get("authToken")
