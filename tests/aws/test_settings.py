"""Bad `aws` blocks fail before any resource exists, naming the stack key and the fix."""

from __future__ import annotations

import pytest

from tests.aws.helpers import prod_config
from tests.helpers import Edit, refusal, removed, setting

# (id, edit, key the message must name, words the message must contain)
CASES: list[tuple[str, Edit, str, str]] = [
    ("region-missing", removed("aws.region"), "aws.region", "required"),
    ("region-invalid", setting("aws.region", "oregon"), "aws.region", "not an AWS region"),
    ("aws-typo", setting("aws.databse", {}), "aws.databse", "did you mean `database`"),
    (
        "backups-short",
        setting("aws.database.backupRetentionDays", 3),
        "aws.database.backupRetentionDays",
        "greater than or equal to 7",
    ),
    (
        "postgres-old",
        setting("aws.database.engineVersion", "13"),
        "aws.database.engineVersion",
        "14 or later",
    ),
    (
        "postgres-float",
        setting("aws.database.engineVersion", 16.4),
        "aws.database.engineVersion",
        "quote the value",
    ),
    (
        "storage-ceiling",
        setting("aws.database.maxAllocatedStorage", 50),
        "aws.database",
        "maxAllocatedStorage",
    ),
    (
        "eks-version-float",
        setting("aws.cluster.version", 1.3),
        "aws.cluster.version",
        "quote the value",
    ),
    (
        "eks-version-old",
        setting("aws.cluster.version", "1.24"),
        "aws.cluster.version",
        "past EKS extended support",
    ),
    (
        "api-open-to-internet",
        setting("aws.cluster.publicAccessCidrs", ["0.0.0.0/0"]),
        "aws.cluster.publicAccessCidrs",
        "whole internet",
    ),
    (
        "log-type-unknown",
        setting("aws.cluster.logTypes", ["api", "everything"]),
        "aws.cluster.logTypes",
        "'audit'",
    ),
    (
        "vpc-id-without-subnets",
        setting("aws.vpc", {"vpcId": "vpc-0123456789abcdef0"}),
        "aws.vpc",
        "privateSubnetIds",
    ),
    (
        "vpc-cidr-and-id",
        setting(
            "aws.vpc",
            {
                "cidr": "10.1.0.0/16",
                "vpcId": "vpc-0123456789abcdef0",
                "privateSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            },
        ),
        "aws.vpc",
        "either cidr",
    ),
    ("vpc-small", setting("aws.vpc.cidr", "10.0.0.0/24"), "aws.vpc.cidr", "/16 to /20"),
    # Public space: the isolation's internet rule would admit the VPC's own addresses.
    ("vpc-public", setting("aws.vpc.cidr", "11.0.0.0/16"), "aws.vpc.cidr", "172.16.0.0/12"),
    (
        "vpc-nat-kind",
        setting("aws.vpc.natGateways", "two"),
        "aws.vpc.natGateways",
        "'one' or 'per-az'",
    ),
    (
        "existing-cluster-new-vpc",
        setting("aws.cluster", {"existingClusterName": "shared"}),
        "aws",
        "vpc.vpcId",
    ),
    (
        "redis-failover-without-replica",
        setting("aws.redis.replicas", 0),
        "aws.redis",
        "multiAz needs replicas >= 1",
    ),
    (
        "node-group-mixed-arch",
        setting("aws.nodeGroups.system.instanceTypes", ["m6i.xlarge", "m7g.xlarge"]),
        "aws.nodeGroups.system.instanceTypes",
        "arm64",
    ),
    (
        "gpu-instance-wrong-accelerator",
        setting("gpu.pools[0].instanceType", "p5.48xlarge"),
        "gpu.pools[0].instanceType",
        "does not carry a10",
    ),
    (
        "eks-version-in-extended-support",
        setting("aws.cluster.version", "1.33"),
        "aws.cluster",
        "supportType: EXTENDED",
    ),
    (
        "eks-version-no-longer-created",
        setting("aws.cluster", {"version": "1.31", "supportType": "EXTENDED"}),
        "aws.cluster.version",
        "past EKS extended support; use 1.32",
    ),
    (
        "eks-version-not-in-calendar",
        setting("aws.cluster.version", "1.40"),
        "aws.cluster",
        "not in the EKS calendar",
    ),
    (
        "eks-support-type-unknown",
        setting("aws.cluster.supportType", "LONG"),
        "aws.cluster.supportType",
        "'STANDARD' or 'EXTENDED'",
    ),
    (
        "balloon-on-a-pool-at-zero",
        setting("gpu.pools[1].balloonReplicas", 1),
        "gpu.pools[1].minSize",
        "Set minSize (or desiredSize) to 1",
    ),
    (
        "gpu-pool-max-zero",
        setting("gpu.pools[0]", {"name": "a10", "accelerator": "a10", "maxSize": 0}),
        "gpu.pools[0].maxSize",
        "at least 1",
    ),
    (
        "cluster-viewer-not-an-arn",
        setting("aws.cluster.viewerPrincipalArns", ["ci-preview"]),
        "aws.cluster.viewerPrincipalArns",
        "not IAM role or user ARNs: ci-preview",
    ),
    (
        "cluster-admin-and-viewer",
        setting(
            "aws.cluster",
            {
                "adminPrincipalArns": ["arn:aws:iam::123456789012:role/ci"],
                "viewerPrincipalArns": ["arn:aws:iam::123456789012:role/ci"],
            },
        ),
        "aws.cluster",
        "in both adminPrincipalArns and viewerPrincipalArns",
    ),
    (
        "permissions-boundary-not-a-policy",
        setting("aws.permissionsBoundaryArn", "arn:aws:iam::123456789012:role/ci"),
        "aws.permissionsBoundaryArn",
        "is not an IAM policy ARN",
    ),
    (
        "gpu-count-disagrees",
        setting("gpu.pools[0].gpusPerNode", 1),
        "gpu.pools[0].gpusPerNode",
        "g5.12xlarge exposes 4",
    ),
]


@pytest.mark.parametrize(
    ("edit", "key", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_aws_block_is_rejected_before_any_resource(edit: Edit, key: str, words: str) -> None:
    config = prod_config()
    edit(config)
    refusal(config, key, words)
