"""Stack edits the cluster tests share."""

from __future__ import annotations

from typing import Any

from tests.helpers import set_path

EXISTING_SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]


def existing_cluster_config(config: dict[str, Any]) -> dict[str, Any]:
    set_path(config, "aws.cluster", {"existingClusterName": "shared-gpu"})
    set_path(
        config,
        "aws.vpc",
        {"vpcId": "vpc-0a1b2c3d4e5f60000", "privateSubnetIds": EXISTING_SUBNETS},
    )
    return config
