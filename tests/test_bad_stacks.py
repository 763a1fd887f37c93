"""Bad stack files: each fails before any resource is registered, naming the key and the fix.

Every case runs the real program (`__main__.py`) against the simulated cloud, exactly as
`pulumi up` would run it, and checks three things an operator relies on: the run fails
with a clean message (pulumi.RunError, no traceback), the message names the stack key as
written in the stack file, and nothing at all was registered.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from plan.simulator import RecordedResource, run_program
from tests.helpers import KEY, Edit, both, removed, set_path, setting

POOL = {"name": "t4", "accelerator": "t4", "maxSize": 2}

# (id, edit, key the message must name, words the message must contain)
CASES: list[tuple[str, Edit, str, str]] = [
    ("cloud-missing", removed("cloud"), "cloud", "required"),
    ("cloud-unsupported", setting("cloud", "openstack"), "cloud", "'aws'"),
    ("domain-missing", removed("domain"), "domain", "required"),
    ("domain-invalid", setting("domain", "not a domain"), "domain", "DNS domain"),
    ("environment-circleci", setting("environment", "circleci"), "environment", "fake clients"),
    ("environment-invalid", setting("environment", "Prod_1"), "environment", "Kubernetes name"),
    (
        "namespaces-equal",
        setting("namespaces", {"release": "ml", "endpoints": "ml"}),
        "namespaces",
        "must differ",
    ),
    (
        "namespace-invalid",
        setting("namespaces", {"release": "Model Engine"}),
        "namespaces.release",
        "Kubernetes name",
    ),
    (
        "chart-two-sources",
        setting("chart", {"path": "./c", "repository": "oci://r.example.com/charts"}),
        "chart",
        "exactly one",
    ),
    ("chart-no-source", setting("chart", {"version": "0.2.7"}), "chart", "exactly one"),
    (
        "chart-bad-repository",
        setting("chart", {"repository": "ftp://x"}),
        "chart",
        "https:// or oci://",
    ),
    # At least the Release's worst case: the 600 s migration hook, 5 GB of model-engine image
    # through a cold cache (250 s at 20 MB/s, 100 s unpacking at 50 MB/s), a 300 s rollout,
    # and a minute of margin (components/waits.py).
    ("chart-short-timeout", setting("chart.timeoutSeconds", 300), "chart.timeoutSeconds", "1310"),
    ("chart-unknown-key", setting("chart.verison", "1"), "chart.verison", "did you mean `version`"),
    (
        "image-cacher-repository",
        setting("image.cacherRepository", "registry.example.com/cacher"),
        "image.cacherRepository",
        "gateway image",
    ),
    ("image-missing", removed("image"), "image", "required"),
    ("image-tag-float", setting("image.tag", 1.1), "image.tag", "quote the value"),
    ("image-tag-bool", setting("image.tag", True), "image.tag", "boolean"),
    ("image-tag-invalid", setting("image.tag", "has space"), "image.tag", "not a valid image tag"),
    ("image-pull-policy", setting("image.pullPolicy", "Sometimes"), "image.pullPolicy", "'Always'"),
    ("top-level-typo", setting("gpus", {"pools": []}), "gpus", "did you mean `gpu`"),
    (
        "node-selector-empty",
        setting("controlPlane", {"nodeSelector": {}}),
        "controlPlane.nodeSelector",
        "nodeSelector: null",
    ),
    (
        "replicas-zero",
        setting("controlPlane", {"replicas": {"gateway": 0}}),
        "controlPlane.replicas.gateway",
        "greater than or equal to 1",
    ),
    (
        "hpa-bounds",
        setting("autoscaling", {"gateway": {"minReplicas": 5, "maxReplicas": 2}}),
        "autoscaling.gateway",
        "minReplicas must not exceed maxReplicas",
    ),
    (
        "istio-gateway-format",
        setting("istio.gateways", ["internal-gateway"]),
        "istio.gateways",
        "<namespace>/<gateway-name>",
    ),
    (
        "pool-unknown-accelerator",
        setting("gpu.pools[0].accelerator", "v100"),
        "gpu.pools[0].accelerator",
        "unknown accelerator 'v100'",
    ),
    (
        "pool-sizes",
        setting("gpu.pools[0].minSize", 9),
        "gpu.pools[0]",
        "minSize must not exceed maxSize",
    ),
    (
        "pool-duplicate-names",
        setting("gpu.pools", [POOL, {**POOL, "accelerator": "a10"}]),
        "gpu",
        "pool names must be unique",
    ),
    (
        "pool-same-accelerator-balloon-gpus-differ",
        setting(
            "gpu.pools",
            [
                {**POOL, "gpusPerNode": 4, "balloonReplicas": 1},
                {**POOL, "name": "t4-b", "gpusPerNode": 4, "balloonReplicas": 1, "balloonGpus": 2},
            ],
        ),
        "gpu",
        "give their balloonGpus one value (t4)",
    ),
    (
        "pool-balloons-exceed",
        setting("gpu.pools[0].balloonReplicas", 9),
        "gpu.pools[0]",
        "cannot exceed maxSize",
    ),
    (
        "pool-balloon-gpus",
        setting("gpu.pools[1].balloonGpus", 16),
        "gpu.pools[1]",
        "balloonGpus cannot exceed gpusPerNode",
    ),
    (
        "hardware-unknown-gpu",
        setting(
            "gpu.recommendedHardware",
            {
                "byGpuMemoryGb": [
                    {
                        "gpu_memory_le": 24,
                        "cpus": 4,
                        "gpus": 1,
                        "memory": "24Gi",
                        "storage": "80Gi",
                        "gpu_type": "v100",
                    }
                ]
            },
        ),
        "gpu.recommendedHardware.byGpuMemoryGb[0].gpu_type",
        "unknown GPU type",
    ),
    (
        "existing-block-missing",
        removed("existing"),
        "model-engine-infra:",
        "`existing` block is missing",
    ),
    (
        "wrong-platform-block",
        setting("aws", {"region": "us-east-1"}),
        "model-engine-infra:",
        "the `aws` block is set",
    ),
    (
        "registry-prefix-scheme",
        setting("existing.registryPrefix", "https://harbor.example.com"),
        "existing.registryPrefix",
        "no scheme",
    ),
    (
        "database-port",
        setting("existing.database.port", 70000),
        "existing.database.port",
        "less than or equal to 65535",
    ),
    (
        "database-sslmode",
        setting("existing.database.sslMode", "maybe"),
        "existing.database.sslMode",
        "'require'",
    ),
    (
        "database-user-missing",
        removed("existing.database.user"),
        "existing.database",
        "set user (your own PostgreSQL), or `install: {}`",
    ),
    (
        "bucket-name",
        setting("existing.objectStorage.bucket", "My_Bucket"),
        "existing.objectStorage.bucket",
        "valid bucket name",
    ),
    (
        "repositories-unknown",
        setting("existing.repositories", {"vlm_repository": "r.example.com/vllm"}),
        "existing",
        "unknown image keys vlm_repository",
    ),
    (
        "identity-url",
        setting("identityServiceUrl", "identity.internal"),
        "identityServiceUrl",
        "http:// or https:// URL",
    ),
    (
        "gateway-auth-without-istio",
        both(
            setting("istio.enabled", False),
            setting(
                "isolation.gatewayAuth",
                {
                    "issuer": "https://id.example",
                    "jwksUri": "https://id.example/k",
                    "audiences": ["a"],
                },
            ),
        ),
        "isolation.gatewayAuth",
        "istio.enabled: true",
    ),
    (
        "gateway-auth-jwks-not-a-url",
        setting(
            "isolation.gatewayAuth",
            {"issuer": "https://id.example", "jwksUri": "id.example/k", "audiences": ["a"]},
        ),
        "isolation.gatewayAuth.jwksUri",
        "http:// or https:// URL",
    ),
    (
        "gateway-auth-no-audience",
        setting(
            "isolation.gatewayAuth",
            {"issuer": "https://id.example", "jwksUri": "https://id.example/k", "audiences": []},
        ),
        "isolation.gatewayAuth.audiences",
        "at least one audience",
    ),
    (
        "redis-password",
        setting("redisPassword", {"secure": "v1:x"}),
        "redisPassword",
        "plaintext",
    ),
    (
        "database-password-missing",
        removed("databasePassword"),
        "databasePassword",
        "pulumi config set --secret",
    ),
    (
        "database-password-plaintext",
        setting("databasePassword", "hunter2"),
        "databasePassword",
        "must be a secret",
    ),
    (
        "storage-key-unpaired",
        removed("objectStorageSecretAccessKey"),
        "objectStorageSecretAccessKey",
        "come in a pair",
    ),
    (
        "override-disables-migration",
        setting("chartValues", {"db": {"runDbMigrationScript": False}}),
        "chartValues.db.runDbMigrationScript",
        "no schema",
    ),
    (
        "override-pool-size",
        setting("chartValues", {"config": {"values": {"infra": {"db_engine_pool_size": 20}}}}),
        "chartValues.config.values.infra.db_engine_pool_size",
        "TypeError",
    ),
    (
        "prometheus-missing",
        both(
            removed("existing.prometheusAddress"),
            setting(
                "addons",
                {"prometheus": {"enabled": False}, "prometheusAdapter": {"enabled": False}},
            ),
        ),
        "prometheusAddress",
        "never scale up from zero",
    ),
    ("numeric-tag", setting("image.tag", "1234567"), "image.tag", "number or boolean"),
    ("numeric-environment", setting("environment", "2024"), "environment", "number or boolean"),
    (
        "vertical-autoscaling-typo",
        setting("autoscaling", {"vertical": {"enabled": True, "minAlowed": {}}}),
        "autoscaling.vertical.minAlowed",
        "did you mean `minAllowed`",
    ),
]


@pytest.mark.parametrize(
    ("edit", "key", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_stack_is_rejected_before_any_resource(
    existing_config: dict[str, Any], edit: Edit, key: str, words: str
) -> None:
    edit(existing_config)
    registered: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as failure:
        run_program(existing_config, recorded=registered)
    message = str(failure.value)
    expected_key = key if key.startswith(KEY) else KEY + key
    assert expected_key in message, message
    assert words in message, message
    assert registered == [], [r.name for r in registered]


def test_there_are_at_least_thirty_distinct_bad_stacks() -> None:
    assert len({c[0] for c in CASES}) == len(CASES) >= 30


def test_every_problem_is_reported_at_once(existing_config: dict[str, Any]) -> None:
    """An operator fixes a stack file in one pass, not one error per `pulumi up`."""
    set_path(existing_config, "domain", "bad domain")
    set_path(existing_config, "image.pullPolicy", "Sometimes")
    set_path(existing_config, "gpu.pools[0].accelerator", "v100")
    with pytest.raises(pulumi.RunError) as failure:
        run_program(existing_config)
    message = str(failure.value)
    for key in ("domain", "image.pullPolicy", "gpu.pools[0].accelerator"):
        assert KEY + key in message
    assert "3 problem(s)" in message


def test_message_has_no_traceback_or_secret(existing_config: dict[str, Any]) -> None:
    set_path(existing_config, "databasePassword", "hunter2-plaintext")
    with pytest.raises(pulumi.RunError) as failure:
        run_program(existing_config)
    message = str(failure.value)
    assert "Traceback" not in message
    assert "hunter2-plaintext" not in message
