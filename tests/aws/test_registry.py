"""ECR: the chart gets repository names under the account's bare registry host (the server
prefixes docker_repo_prefix itself); the framework and batch repositories are filled from the
operator's registry by a pull-through cache, and the batch image is pulled before install."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.model_engine.chart_facts import INFERENCE_REPOSITORIES, repository_name_problem
from components.program import check
from components.settings_base import SettingsError
from plan import computed_aws
from tests.aws.helpers import AwsRun, run_aws
from tests.helpers import CHART, delete_path, set_path, settings_from
from tests.server_source import server_file

REPO = "aws:ecr/repository:Repository"
RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
JOB = "kubernetes:batch/v1:Job"
# Read off the example stack: pathPrefix model-engine/, upstream public.ecr.aws/customer-ml.
UPSTREAM = "public.ecr.aws/customer-ml"
# The chart's paths of the images a framework endpoint or the batch job runs (values_sample).
FROM_UPSTREAM = {
    "vllm_repository": "vllm",
    "sglang_repository": "sglang",
    "tgi_repository": "text-generation-inference",
    "lightllm_repository": "lightllm",
    "tensorrt_llm_repository": "tensorrt-llm",
    "batch_inference_vllm_repository": "llm-engine/batch-infer-vllm",
}


def test_repositories_the_builder_writes_are_created_scanned_encrypted_protected(
    prod: AwsRun,
) -> None:
    repos = {
        r.inputs["name"]: r
        for r in prod.of_type(REPO)
        if not r.inputs["name"].startswith("model-engine-upstream/")
    }
    built_here = {k: p for k, p in INFERENCE_REPOSITORIES.items() if k not in FROM_UPSTREAM}
    assert set(repos) == {f"model-engine/{p}" for p in built_here.values()}
    key = prod.out("aws:kms/key:Key", "platform-data-key", "arn")
    found = repos.values()
    assert found
    for repo in found:
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key}]
        assert repo.inputs.get("forceDelete") is False
        assert repo.protect and prod.options[(REPO, repo.name)].retain_on_delete
    policies = {
        p.name: json.loads(p.inputs["policy"])
        for p in prod.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    }
    assert set(policies) == {r.name for r in repos.values()}
    cache = policies["platform-registry-model-engine-launch-docker-build-cache"]["rules"]
    assert [r["selection"]["tagStatus"] for r in cache] == ["untagged", "any"]


def test_chart_gets_names_relative_to_the_bare_registry_host(prod: AwsRun) -> None:
    host = prod.infra["docker_repo_prefix"]
    created = {r.inputs["name"] for r in prod.of_type(REPO)}
    for key, path in INFERENCE_REPOSITORIES.items():
        name = prod.launch[key]
        assert repository_name_problem(name) is None, (key, name)
        if key in FROM_UPSTREAM:
            # ECR names a cached repository <cache prefix>/<upstream repository path>.
            assert name == f"model-engine-upstream/customer-ml/{path}", key
        else:
            assert name in created and name == f"model-engine/{path}", key
    account = computed_aws.account_id()  # getCallerIdentity
    assert host == f"{account}.dkr.ecr.us-west-2.amazonaws.com"


def test_pull_through_cache_from_the_operators_registry(prod: AwsRun) -> None:
    rule = prod.one(RULE)
    assert rule.inputs["upstreamRegistryUrl"] == UPSTREAM.split("/")[0]
    assert rule.inputs["ecrRepositoryPrefix"] == "model-engine-upstream"
    template = prod.one("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")
    assert template.inputs["prefix"] == "model-engine-upstream"
    assert template.inputs["appliedFors"] == ["PULL_THROUGH_CACHE"]
    assert template.inputs["encryptionConfigurations"][0]["encryptionType"] in ("AES256", "KMS")
    # The kubelet pulls through the cache: the node role may create and import, only there.
    policy = json.loads(
        prod.one("aws:iam/rolePolicy:RolePolicy", "platform-registry-pull-through-0").inputs[
            "policy"
        ]
    )
    (statement,) = policy["Statement"]
    assert set(statement["Action"]) == {"ecr:CreateRepository", "ecr:BatchImportUpstreamImage"}
    assert statement["Resource"].endswith(":repository/model-engine-upstream/*")


def test_batch_image_is_pulled_before_the_chart_installs(prod: AwsRun) -> None:
    job = prod.one(JOB, "platform-registry-warm-up")
    containers = job.inputs["spec"]["template"]["spec"]["containers"]
    host = prod.infra["docker_repo_prefix"]
    # The example warms the batch image and one vLLM tag, each through the cache's name.
    images = {c["image"] for c in containers}
    assert images == {
        f"{host}/{prod.launch['batch_inference_vllm_repository']}:0.10.1",
        f"{host}/{prod.launch['vllm_repository']}:0.10.1",
    }
    assert all(c["command"] == ["/bin/sh", "-c", "exit 0"] for c in containers)
    assert len({c["name"] for c in containers}) == len(containers)
    assert job.urn in prod.upstream(prod.one(*CHART))
    assert prod.one(RULE).urn in prod.upstream(job)


def test_without_an_upstream_every_repository_is_created(config: dict[str, Any]) -> None:
    delete_path(config, "aws.registry.upstream")
    set_path(config, "aws.registry.imagesPushed", True)
    set_path(config, "inferenceImageTags", {"vllm_repository": "0.10.1"})
    set_path(config, "aws.registry.pathPrefix", "customer-prod/")
    run = run_aws(config)
    names = {r.inputs["name"] for r in run.of_type(REPO)}
    assert names == {f"customer-prod/{p}" for p in INFERENCE_REPOSITORIES.values()}
    assert not run.of_type(RULE) and not run.of_type(JOB)
    for key, path in INFERENCE_REPOSITORIES.items():
        assert run.launch[key] == f"customer-prod/{path}"


def test_empty_repositories_would_time_out_the_install(config: dict[str, Any]) -> None:
    delete_path(config, "aws.registry.upstream")
    with pytest.raises(SettingsError) as e:
        check(settings_from(config))
    message = str(e.value)
    assert "aws.registry.upstream" in message and "crash-loops" in message
    # Creating the repositories first, without the chart, is allowed.
    set_path(config, "chart", {"path": "../llm-engine/charts/model-engine", "install": False})
    assert check(settings_from(config)) == []
    run = run_aws(config)
    assert not [r for r in run.of_type(CHART[0]) if r.name == CHART[1]]
    assert run.of_type(REPO)


@pytest.mark.parametrize(
    ("upstream", "words"),
    [
        (
            {"url": "harbor.acme.example/ml", "warm": {"batch_inference_vllm_repository": "1"}},
            "pull-through caches read only",
        ),
        (
            {"url": "ghcr.io/acme", "warm": {"batch_inference_vllm_repository": "1"}},
            "ecr-pullthroughcache/",
        ),
        ({"url": "public.ecr.aws/acme"}, "warm.batch_inference_vllm_repository"),
        (
            {
                "url": "https://public.ecr.aws/acme",
                "warm": {"batch_inference_vllm_repository": "1"},
            },
            "without a scheme",
        ),
        (
            {
                "url": "public.ecr.aws/acme",
                "warm": {
                    "batch_inference_vllm_repository": "1",
                    "user_inference_base_repository": "1",
                },
            },
            "not filled from the upstream",
        ),
    ],
)
def test_upstream_mistakes_fail_before_any_resource(
    config: dict[str, Any], upstream: dict[str, Any], words: str
) -> None:
    set_path(config, "aws.registry.upstream", upstream)
    with pytest.raises(Exception) as e:
        run_aws(config)
    message = str(e.value)
    assert "model-engine-infra:aws.registry.upstream" in message and words in message, message


# -- frameworks nothing warms ------------------------------------------------------------------


def test_frameworks_nothing_warms_get_an_empty_repository_under_the_cache(prod: AwsRun) -> None:
    """The example warms vLLM and the batch image; the other framework repositories exist
    empty, so the server's image check answers ImageNotFound (404), not RepositoryNotFound
    (an uncaught 500)."""
    cached = {
        r.inputs["name"]: r
        for r in prod.of_type(REPO)
        if r.inputs["name"].startswith("model-engine-upstream/")
    }
    unwarmed = ("sglang", "text-generation-inference", "lightllm", "tensorrt-llm")
    assert set(cached) == {f"model-engine-upstream/customer-ml/{p}" for p in unwarmed}
    for repo in cached.values():
        assert prod.options[(REPO, repo.name)].retain_on_delete  # warming it later keeps it
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs.get("forceDelete") is False
    for key in ("tgi_repository", "sglang_repository"):
        assert prod.launch[key] in cached  # the name the server checks


def test_warming_a_framework_leaves_its_repository_to_the_cache(config: dict[str, Any]) -> None:
    set_path(config, "aws.registry.upstream.warm.tgi_repository", ["2.0.4"])
    run = run_aws(config)
    names = {r.inputs["name"] for r in run.of_type(REPO)}
    assert "model-engine-upstream/customer-ml/text-generation-inference" not in names
    assert "model-engine-upstream/customer-ml/lightllm" in names


def test_the_server_catches_only_image_not_found() -> None:
    """Why the repositories must exist: the server's check (core/docker/ecr.py) turns only
    ImageNotFoundException into "not found"; a missing repository escapes as a 500."""
    source = server_file("core/docker/ecr.py")
    check = source[source.index("def batch_image_exists(") :]
    check = check[: check.index("\ndef ")]
    assert "client.describe_images(" in check
    assert "except client.exceptions.ImageNotFoundException:" in check
    assert "RepositoryNotFoundException" not in check
