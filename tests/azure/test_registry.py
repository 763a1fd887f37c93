"""The container registry: the warm-up pulls through its login server."""

from __future__ import annotations

from typing import Any

from tests.azure.helpers import AzureRun


def test_warm_up_pulls_through_the_login_server(prod: AzureRun) -> None:
    job: Any = prod.one("kubernetes:batch/v1:Job", "platform-registry-warm-up").inputs
    login = prod.values["config"]["values"]["infra"]["docker_repo_prefix"]
    images = {c["image"] for c in job["spec"]["template"]["spec"]["containers"]}
    assert images == {f"{login}/vllm:0.10.1", f"{login}/llm-engine/batch-infer-vllm:0.10.1"}
