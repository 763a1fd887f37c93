"""ECR: one repository per inference image the chart names; their URLs are the chart's
repository values and the account's ECR host its docker_repo_prefix."""

from __future__ import annotations

import json
from typing import Any

from plan.simulator import deferred
from tests.aws.helpers import AwsRun, run_aws
from tests.chart.support import chart_repositories
from tests.helpers import set_path

REPO = "aws:ecr/repository:Repository"


def test_one_scanned_encrypted_protected_repository_per_image(prod: AwsRun) -> None:
    repos = {r.inputs["name"]: r for r in prod.of_type(REPO)}
    # One repository per image the server is told to pull, and no other.
    named = set(prod.launch.values())
    used = {
        r.inputs["name"]
        for r in prod.of_type(REPO)
        if named & {deferred(REPO, r.name, a) for a in ("repositoryUrl", "name")}
    }
    assert used == set(repos) and repos
    key = prod.out("aws:kms/key:Key", "platform-data-key", "arn")
    for repo in repos.values():
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key}]
        assert repo.inputs.get("forceDelete") is False
        assert repo.protect and prod.options[(REPO, repo.name)].retain_on_delete
    policies = {
        p.name: json.loads(p.inputs["policy"])
        for p in prod.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    }
    assert set(policies) == {r.name for r in repos.values()}
    cache = policies["platform-registry-launch-docker-build-cache"]["rules"]
    assert [r["selection"]["tagStatus"] for r in cache] == ["untagged", "any"]


def test_chart_repositories_are_the_repository_urls(prod: AwsRun) -> None:
    by_path = {r.inputs["name"]: r.name for r in prod.of_type(REPO)}
    for key, path in chart_repositories().items():
        assert prod.launch[key] == prod.out(REPO, by_path[path], "repositoryUrl"), key
    assert prod.infra["docker_repo_prefix"] == "123456789012.dkr.ecr.us-west-2.amazonaws.com"


def test_path_prefix_for_shared_accounts(config: dict[str, Any]) -> None:
    set_path(config, "aws.registry.pathPrefix", "customer-prod/")
    names = {r.inputs["name"] for r in run_aws(config).of_type(REPO)}
    assert names and all(n.startswith("customer-prod/") for n in names)
    assert {f"customer-prod/{p}" for p in chart_repositories().values()} <= names
