"""Bad `gcp` stack files fail before any resource exists, naming the stack key and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gcp.helpers import gcp_config
from tests.helpers import KEY, Edit, refusal, removed, setting


def secret(key: str, value: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c[KEY + key] = value

    return edit


A10 = {"name": "a10", "accelerator": "a10", "maxSize": 2}

# (id, edit, key the message must name, words the message must contain)
CASES: list[tuple[str, Edit, str, str]] = [
    ("project-missing", removed("gcp.project"), "gcp.project", "required"),
    ("project-name", setting("gcp.project", "My Project"), "gcp.project", "not a GCP project id"),
    ("region-unknown", setting("gcp.region", "us-central2"), "gcp.region", "did you mean"),
    ("region-aws", setting("gcp.region", "us-west-2"), "gcp.region", "not a GCP region"),
    (
        "zone-elsewhere",
        setting("gcp.cluster.gpuZones", ["europe-west4-a"]),
        "gcp",
        "not in region us-central1",
    ),
    (
        "machine-type-aws",
        setting("gcp.nodePools.system.machineType", "m6i.2xlarge"),
        "gcp.nodePools.system.machineType",
        "not a Compute Engine machine type",
    ),
    (
        "accelerator-gcp-lacks",
        lambda c: c[KEY + "gpu"]["pools"].append(A10),
        "gpu.pools[2].accelerator",
        "'a10' is not offered on GCP",
    ),
    (
        "gpu-machine-wrong-accelerator",
        setting("gpu.pools[0].instanceType", "a3-highgpu-8g"),
        "gpu.pools[0].instanceType",
        "not a GCP machine type with t4; use one of n1-standard-16",
    ),
    (
        "gpu-count-disagrees",
        setting("gpu.pools[0].gpusPerNode", 1),
        "gpu.pools[0].gpusPerNode",
        "n1-standard-16 exposes 2",
    ),
    (
        "cloud-sql-tier",
        setting("gcp.database.tier", "db.r6g.large"),
        "gcp.database.tier",
        "db-custom-<vCPUs>-<MiB>",
    ),
    (
        "cloud-sql-memory",
        setting("gcp.database.tier", "db-custom-4-1024"),
        "gcp.database.tier",
        "0.9 to 6.5 GiB per vCPU",
    ),
    ("postgres-old", setting("gcp.database.version", "14"), "gcp.database.version", "16"),
    (
        "backups-short",
        setting("gcp.database.retainedBackups", 3),
        "gcp.database.retainedBackups",
        "greater than or equal to 7",
    ),
    ("redis-tier", setting("gcp.redis.tier", "PREMIUM"), "gcp.redis.tier", "STANDARD_HA"),
    ("redis-version", setting("gcp.redis.version", "REDIS_5_0"), "gcp.redis.version", "7_2"),
    (
        "cidrs-overlap",
        setting("gcp.network.podsCidr", "10.40.0.0/14"),
        "gcp.network",
        "overlap",
    ),
    (
        "api-open-to-internet",
        setting("gcp.cluster.masterAuthorizedNetworks", ["0.0.0.0/0"]),
        "gcp.cluster.masterAuthorizedNetworks",
        "whole internet",
    ),
    ("gke-version-float", setting("gcp.cluster.version", 1.3), "gcp.cluster.version", "quote"),
    (
        "existing-network-half",
        setting("gcp.network.existingNetwork", "shared-vpc"),
        "gcp.network",
        "existingSubnetwork",
    ),
    (
        "cmek-not-a-key",
        setting("gcp.storage.kmsKeyName", "my-key"),
        "gcp.storage.kmsKeyName",
        "cryptoKeys",
    ),
    ("typo", setting("gcp.databse", {}), "gcp.databse", "did you mean `database`"),
    (
        "gpu-zones-missing",
        removed("gcp.cluster.gpuZones"),
        "gcp.cluster.gpuZones",
        "zones that offer your accelerators",
    ),
    (
        "gpu-operator-on-gke",
        setting("addons.nvidia.mode", "gpu-operator"),
        "addons.nvidia.mode",
        "GKE installs the NVIDIA driver",
    ),
    (
        "plaintext-secret",
        secret("databasePassword", "hunter2"),
        "databasePassword",
        "must be a secret",
    ),
    (
        "secret-of-another-platform",
        secret("databasePassword", {"secure": "v1:AAAA"}),
        "databasePassword",
        "not used with cloud 'gcp'",
    ),
    (
        "aws-block-too",
        setting("aws", {"region": "us-west-2"}),
        "",
        "the `aws` block is set but cloud is 'gcp'",
    ),
]


@pytest.mark.parametrize(
    ("edit", "key", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_gcp_stack_is_rejected_before_any_resource(edit: Edit, key: str, words: str) -> None:
    config = gcp_config()
    edit(config)
    message = refusal(config, key, words)
    # Secrets are never echoed.
    assert "hunter2" not in message


def test_every_catalog_accelerator_gcp_offers_plans(config: dict[str, Any]) -> None:
    """T4, A100 (40 and 80 GB), H100 and its MIG slices have GCP machine types; A10 not."""
    from components import accelerators
    from components.gcp import catalog

    offered = {k for k, a in accelerators.CATALOG.items() if a.instance_types("gcp")}
    assert offered == {"t4", "a100", "a100e", "h100", "h100-1g20gb", "h100-3g40gb"}
    assert catalog.accelerator_type("a100", "a2-highgpu-1g") == "nvidia-tesla-a100"
    assert catalog.accelerator_type("a100e", "a2-ultragpu-8g") == "nvidia-a100-80gb"
    assert catalog.accelerator_type("h100", "a3-highgpu-8g") == "nvidia-h100-80gb"
    assert catalog.accelerator_type("h100-3g40gb", "a3-highgpu-8g") == "nvidia-h100-80gb"
