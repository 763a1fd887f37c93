"""The policy pack: each rule catches what it exists for, and the example stacks pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from plan.simulator import ProgramRun, run_program
from policy import rules

ROOT = Path(__file__).resolve().parent.parent
Validate = Callable[[Any, Callable[[str, str | None], None]], None]


def violations(validate: Validate, resource_type: str, props: dict[str, Any]) -> list[str]:
    found: list[str] = []
    args = SimpleNamespace(resource_type=resource_type, props=props, name="r", urn="urn")
    validate(args, lambda message, urn=None: found.append(message))
    return found


def test_helm_values_with_a_credential_are_rejected() -> None:
    release = "kubernetes:helm.sh/v3:Release"
    bad = {"values": {"redis": {"auth": "hunter2"}, "x": ["postgresql://u:p@h:5432/db"]}}
    found = violations(rules.helm_values_have_no_credentials, release, bad)
    assert any("values.redis.auth" in m for m in found)
    assert any("values.x[0]" in m and "URL with credentials" in m for m in found)
    good = {
        "values": {
            "redis": {"authSecretName": "model-engine-redis-auth", "authSecretKey": "auth_token"}
        }
    }
    assert violations(rules.helm_values_have_no_credentials, release, good) == []


@pytest.mark.parametrize(
    ("validate", "resource_type", "props", "words"),
    [
        (
            rules.rds_is_protected,
            "aws:rds/instance:Instance",
            {"storageEncrypted": False},
            "encrypted",
        ),
        (
            rules.rds_is_protected,
            "aws:rds/instance:Instance",
            {"backupRetentionPeriod": 1},
            "7 days",
        ),
        (
            rules.rds_is_protected,
            "aws:rds/instance:Instance",
            {"publiclyAccessible": True},
            "publicly",
        ),
        (rules.redis_is_encrypted, "aws:elasticache/replicationGroup:ReplicationGroup", {}, "TLS"),
        (
            rules.bucket_is_private,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {"blockPublicAcls": True},
            "restrictPublicBuckets",
        ),
        (rules.registry_scans_images, "aws:ecr/repository:Repository", {}, "scanned on push"),
        (
            rules.cluster_encrypts_secrets,
            "aws:eks/cluster:Cluster",
            {"vpcConfig": {"endpointPublicAccess": True}},
            "whole internet",
        ),
    ],
)
def test_rule_flags_an_unsafe_resource(
    validate: Validate, resource_type: str, props: dict[str, Any], words: str
) -> None:
    assert any(words in m for m in violations(validate, resource_type, props))


def _stack_runs() -> list[tuple[str, ProgramRun]]:
    runs = []
    for path in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        config = yaml.safe_load(path.read_text())["config"]
        runs.append((path.name, run_program(config)))
    return runs


def test_every_example_stack_passes_every_policy() -> None:
    failures: list[str] = []
    for stack, run in _stack_runs():
        for resource in run.resources:
            args = SimpleNamespace(
                resource_type=resource.type,
                props=resource.inputs,
                name=resource.name,
                urn=resource.urn,
            )
            for policy in rules.POLICIES:
                where = f"{stack} {resource.name} {policy.name}"
                found = violations_of(policy, args)
                failures += [f"{where}: {m}" for m in found]
    assert failures == []


def violations_of(policy: Any, args: Any) -> list[str]:
    found: list[str] = []
    policy.validate(args, lambda message, urn=None: found.append(message))
    return found
