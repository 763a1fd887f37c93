"""The policy pack: each rule catches what it exists for, and the example stacks pass.

Rules are called the way the policy engine calls them: the props are built from the
resource's protobuf Struct exactly as pulumi_policy's analyzer server does (its own
read-only Mapping/Sequence proxies, secrets unwrapped, unknowns raising), never as plain
dicts a rule could get away with treating as `dict`/`list`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format, struct_pb2
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from plan.simulator import ProgramRun, RecordedResource, run_program
from policy import rules

ROOT = Path(__file__).resolve().parent.parent
Props = dict[str, Any]


def engine_args(resource_type: str, wire: struct_pb2.Struct) -> ResourceValidationArgs:
    """What pulumi_policy's analyzer (`_PolicyAnalyzerServicer.Analyze`) hands a rule."""
    props = unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(wire)))
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    return ResourceValidationArgs(resource_type, props, "urn", "r", opts, None)


def to_wire(props: Props) -> struct_pb2.Struct:
    return json_format.ParseDict(props, struct_pb2.Struct())


def violations(rule: rules.Rule, resource_type: str, wire: struct_pb2.Struct) -> list[str]:
    found: list[str] = []
    rule(engine_args(resource_type, wire), lambda message, urn=None: found.append(message))
    return found


@pytest.fixture(scope="module")
def stack_runs() -> dict[str, ProgramRun]:
    runs = {}
    for path in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        config = yaml.safe_load(path.read_text())["config"]
        runs[path.name] = run_program(config)
    return runs


def _example(runs: dict[str, ProgramRun], resource_type: str) -> RecordedResource:
    """The first resource of this type in the example stacks (the rules' real input)."""
    for run in runs.values():
        if run.of_type(resource_type):
            return run.of_type(resource_type)[0]
    raise AssertionError(f"no example stack creates a {resource_type}")


# -- what makes each rule fail ------------------------------------------------------------

Change = Callable[[Props], None]


def set_(path: str, value: Any) -> Change:
    def change(props: Props) -> None:
        *parents, last = path.split(".")
        node = props
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value

    return change


def unset(path: str) -> Change:
    def change(props: Props) -> None:
        *parents, last = path.split(".")
        node = props
        for part in parents:
            node = node[part]
        del node[last]

    return change


def both(*changes: Change) -> Change:
    def change(props: Props) -> None:
        for c in changes:
            c(props)

    return change


RDS = "rds-encrypted-private-backed-up"
REDIS = "redis-encrypted-authenticated"
BUCKET = "bucket-public-access-blocked"
ECR = "registry-scan-on-push"
EKS = "eks-secrets-encrypted-endpoint-restricted"
HELM = "helm-values-no-credentials"

# policy name -> [(case id, change to a compliant example resource, words of THE violation)]
BREAKS: dict[str, list[tuple[str, Change, str]]] = {
    RDS: [
        ("unencrypted", set_("storageEncrypted", False), "storage must be encrypted"),
        ("encryption-unset", unset("storageEncrypted"), "storage must be encrypted"),
        ("no-deletion-protection", set_("deletionProtection", False), "deletion protection"),
        ("deletion-protection-unset", unset("deletionProtection"), "deletion protection"),
        ("public", set_("publiclyAccessible", True), "publicly accessible"),
        ("short-backups", set_("backupRetentionPeriod", 1), "at least 7 days"),
        ("no-final-snapshot", set_("skipFinalSnapshot", True), "final snapshot"),
    ],
    REDIS: [
        ("no-tls", set_("transitEncryptionEnabled", False), "TLS in transit"),
        ("no-at-rest", unset("atRestEncryptionEnabled"), "encryption at rest"),
        ("no-auth-token", unset("authToken"), "AUTH token"),
        ("empty-auth-token", set_("authToken", ""), "AUTH token"),
        ("no-snapshots", set_("snapshotRetentionLimit", 0), "snapshots must be kept"),
    ],
    BUCKET: [
        (flag, set_(flag, False), f"{flag} must be true")
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls")
    ]
    + [("restrict-unset", unset("restrictPublicBuckets"), "restrictPublicBuckets must be true")],
    ECR: [
        ("scan-off", set_("imageScanningConfiguration.scanOnPush", False), "scanned on push"),
        ("scan-unset", unset("imageScanningConfiguration"), "scanned on push"),
    ],
    EKS: [
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
    HELM: [
        ("literal-password", set_("values.redis.auth", "hunter2"), "values.redis.auth"),
        (
            "secret-not-named-existing",
            set_("values.s3", {"configSecret": "hunter2"}),
            "values.s3.configSecret looks like a credential",
        ),
        (
            "url-in-a-list",
            set_("values.extraEnvVars", [{"name": "DB", "value": "postgresql://u:p@h:5432/db"}]),
            "values.extraEnvVars[0].value holds a URL with credentials",
        ),
        (
            "token-in-a-list",
            set_("values.tokens", [{"apiToken": "abc"}]),
            "values.tokens[0].apiToken looks like a credential",
        ),
        (
            "credential-next-to-an-unknown",
            lambda p: p["values"].update(
                {"pending": UNKNOWN_STRING_VALUE, "x": ["redis://:pw@cache:6379/0"]}
            ),
            "values.x[0] holds a URL with credentials",
        ),
    ],
    # Azure: each case breaks one property of the azure-prod example's resource.
    "azure-postgresql-private-backed-up": [
        ("public", set_("network.publicNetworkAccess", "Enabled"), "internet"),
        ("short-backups", set_("backup.backupRetentionDays", 3), "at least 7 days"),
        ("old-version", set_("version", "14"), "16 or later"),
    ],
    "azure-redis-tls": [("tls-1.0", set_("minimumTlsVersion", "1.0"), "TLS 1.2")],
    "azure-redis-database-entra-only": [
        ("plaintext", set_("clientProtocol", "Plaintext"), "clientProtocol Encrypted"),
        ("access-keys", set_("accessKeysAuthentication", "Enabled"), "access keys"),
        ("cluster", set_("clusteringPolicy", "OSSCluster"), "NoCluster"),
    ],
    "azure-storage-private": [
        ("public-blobs", set_("allowBlobPublicAccess", True), "public blob access"),
        ("shared-key", set_("allowSharedKeyAccess", True), "shared-key access"),
        ("tls-1.0", set_("minimumTlsVersion", "TLS1_0"), "TLS 1.2"),
        ("http", set_("enableHttpsTrafficOnly", False), "HTTPS only"),
    ],
    "azure-key-vault-protected": [
        ("access-policies", set_("properties.enableRbacAuthorization", False), "RBAC"),
        ("no-soft-delete", set_("properties.enableSoftDelete", False), "soft delete"),
        ("no-purge-protection", unset("properties.enablePurgeProtection"), "purge protection"),
    ],
    "azure-service-bus-entra-only": [
        ("sas", set_("disableLocalAuth", False), "local (SAS) auth"),
        ("tls-1.0", set_("minimumTlsVersion", "1.0"), "TLS 1.2"),
    ],
    "azure-acr-no-admin-user": [
        ("admin", set_("adminUserEnabled", True), "admin user"),
        ("anonymous", set_("anonymousPullEnabled", True), "anonymous pull"),
    ],
    "azure-role-assignments-scoped": [
        ("subscription", set_("scope", "/subscriptions/0000"), "scoped to one resource"),
    ],
    "azure-aks-entra-only": [
        ("local-accounts", set_("disableLocalAccounts", False), "local accounts"),
        ("no-azure-rbac", set_("aadProfile.enableAzureRBAC", False), "Azure RBAC"),
        (
            "no-workload-identity",
            set_("securityProfile.workloadIdentity.enabled", False),
            "workload identity",
        ),
        (
            "open-api",
            set_("apiServerAccessProfile.authorizedIPRanges", ["0.0.0.0/0"]),
            "whole internet",
        ),
    ],
    # GCP: each case breaks one property of the gcp-prod example's resource.
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
}

# policy name -> [(case id, change to a compliant example resource that keeps it compliant)]
KEEPS: dict[str, list[tuple[str, Change]]] = {
    HELM: [
        (
            "secret-names",
            set_(
                "values.redis",
                {"enableAuth": True, "authSecretName": "redis-auth", "authSecretKey": "auth_token"},
            ),
        ),
        ("url-without-credentials", set_("values.x", ["redis://cache:6379/15"])),
        (
            "existing-secret-names",
            set_("values.s3", {"existingSecret": "keys", "existingConfigSecret": "s3-config"}),
        ),
    ],
    EKS: [
        (
            "private-endpoint-only",
            both(
                set_("vpcConfig.endpointPublicAccess", False),
                unset("vpcConfig.publicAccessCidrs"),
            ),
        ),
    ],
    RDS: [("longer-backups", set_("backupRetentionPeriod", 35))],
}


@pytest.mark.parametrize(
    ("policy", "change"),
    [pytest.param(p, c, id=f"{p}-{i}") for p, cases in KEEPS.items() for i, c in cases],
)
def test_rule_accepts_a_compliant_variant(
    stack_runs: dict[str, ProgramRun], policy: str, change: Change
) -> None:
    rule = rules.RULES[policy][1]
    example = _example(stack_runs, rule.resource_type)
    props = copy.deepcopy(json_format.MessageToDict(example.wire))
    change(props)
    assert violations(rule, example.type, to_wire(props)) == []


CASES = [
    pytest.param(policy, change, words, id=f"{policy}-{case}")
    for policy, cases in BREAKS.items()
    for case, change, words in cases
]


def test_every_policy_has_cases_that_break_it() -> None:
    assert set(BREAKS) == set(rules.RULES)


@pytest.mark.parametrize(("policy", "change", "words"), CASES)
def test_rule_flags_exactly_the_broken_property(
    stack_runs: dict[str, ProgramRun], policy: str, change: Change, words: str
) -> None:
    rule = rules.RULES[policy][1]
    example = _example(stack_runs, rule.resource_type)
    assert violations(rule, example.type, example.wire) == []
    props = copy.deepcopy(json_format.MessageToDict(example.wire))
    change(props)
    found = violations(rule, example.type, to_wire(props))
    assert len(found) == 1 and words in found[0], found


def test_every_check_of_every_rule_can_fail(stack_runs: dict[str, ProgramRun]) -> None:
    """A check no case trips could be made vacuous without a test noticing."""
    untripped: list[str] = []
    for policy, cases in BREAKS.items():
        rule = rules.RULES[policy][1]
        example = _example(stack_runs, rule.resource_type)
        tripped: set[str] = set()
        for _, change, _ in cases:
            props = copy.deepcopy(json_format.MessageToDict(example.wire))
            change(props)
            tripped.update(violations(rule, example.type, to_wire(props)))
        untripped += [f"{policy}: {m}" for m in rule.checks if m not in tripped]
    assert untripped == []


def test_secret_values_reach_the_rules_unwrapped(stack_runs: dict[str, ProgramRun]) -> None:
    """The AUTH token travels as a secret; the engine unwraps it before the rule reads it."""
    example = _example(stack_runs, rules.redis_is_encrypted.resource_type)
    assert "authToken" in example.secret_inputs
    props = engine_args(example.type, example.wire).props
    assert isinstance(props.get("authToken"), str) and props.get("authToken")


def test_rules_ignore_other_resource_types() -> None:
    wire = to_wire({"storageEncrypted": False, "values": {"password": "x"}})
    for _, rule in rules.RULES.values():
        assert violations(rule, "aws:ec2/vpc:Vpc", wire) == []


def test_every_example_stack_passes_every_policy(stack_runs: dict[str, ProgramRun]) -> None:
    failures: list[str] = []
    inspected = dict.fromkeys(rules.RULES, 0)
    for stack, run in stack_runs.items():
        for resource in run.resources:
            for policy, (_, rule) in rules.RULES.items():
                if resource.type == rule.resource_type:
                    inspected[policy] += 1
                where = f"{stack} {resource.name} {policy}"
                found = violations(rule, resource.type, resource.wire)
                failures += [f"{where}: {m}" for m in found]
    assert failures == []
    # A rule for a type no example stack creates would pass here forever.
    assert [p for p, n in inspected.items() if n == 0] == []


@pytest.mark.parametrize(
    ("resource_type", "path"),
    [
        ("aws:rds/instance:Instance", "backupRetentionPeriod"),
        ("azure-native:dbforpostgresql:Server", "backup.backupRetentionDays"),
    ],
)
def test_seven_days_of_backups_is_the_boundary(
    stack_runs: dict[str, ProgramRun], resource_type: str, path: str
) -> None:
    """Exactly 7 days passes and 6 fails: the minimum is inclusive."""
    (rule,) = [r for _, r in rules.RULES.values() if r.resource_type == resource_type]
    example = _example(stack_runs, resource_type)
    for days in (6, 7, 8):
        props = copy.deepcopy(json_format.MessageToDict(example.wire))
        set_(path, days)(props)
        found = violations(rule, resource_type, to_wire(props))
        if days < 7:
            assert len(found) == 1 and "at least 7 days" in found[0], (days, found)
        else:
            assert found == [], (days, found)
