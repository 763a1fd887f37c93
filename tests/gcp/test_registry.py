"""Artifact Registry: the protected repository and the Docker Hub mirror Istio pulls through."""

from __future__ import annotations

from tests.gcp.helpers import REPOSITORY, GcpRun, run_gcp
from tests.helpers import set_path


def test_registry_is_protected_and_cleans_untagged(prod: GcpRun) -> None:
    repo = prod.one(REPOSITORY, "platform-registry-docker")
    assert repo.inputs["format"] == "DOCKER"
    assert repo.inputs["mode"] == "STANDARD_REPOSITORY"
    [policy] = repo.inputs["cleanupPolicies"]
    assert policy["condition"]["tagState"] == "UNTAGGED"
    assert repo.protect


def test_docker_hub_is_mirrored_and_istio_pulls_through_it(prod: GcpRun) -> None:
    mirror = prod.one(REPOSITORY, "platform-registry-dockerhub")
    assert (mirror.inputs["format"], mirror.inputs["mode"]) == ("DOCKER", "REMOTE_REPOSITORY")
    remote = mirror.inputs["remoteRepositoryConfig"]
    assert remote["dockerRepository"] == {"publicRepository": "DOCKER_HUB"}
    assert mirror.inputs["repositoryId"] == "model-engine-dockerhub"
    assert mirror.inputs["location"] == "us-central1"
    # A cache: losing it loses nothing.
    assert not mirror.protect
    istiod = prod.one("kubernetes:helm.sh/v3:Release", "addons-istio-istiod")
    uri = mirror.state["registryUri"]
    assert uri == "us-central1-docker.pkg.dev/customer-llm-prod/model-engine-dockerhub"
    assert istiod.inputs["values"]["global"]["hub"] == f"{uri}/istio"


def test_the_mirror_can_be_turned_off(config: dict) -> None:
    set_path(config, "gcp.registry.dockerHubMirror", False)
    run = run_gcp(config)
    assert [r.name for r in run.of_type(REPOSITORY)] == ["platform-registry-docker"]
    istiod = run.one("kubernetes:helm.sh/v3:Release", "addons-istio-istiod")
    assert "global" not in istiod.inputs["values"]
