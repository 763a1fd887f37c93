"""The pinned server, run on each example stack's derived configuration (marker `e2e`).

For each stack whose platform can be emulated from the package registries: derive the values
through the program, render the chart, rebuild the control plane's processes from the
rendered manifests, start the real backing services, migrate, start the gateway and the
service builder, and drive the API. Asserts are on what the server did.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from plan.cli import stack_config
from tests.chart.support import example_stacks, require_chart
from tests.e2e import emulate, services, workloads
from tests.e2e.conftest import Prerequisites
from tests.e2e.deployed import Deployed, deploy
from tests.e2e.emulate import NOT_EMULATED
from tests.e2e.sandbox import Sandbox
from tests.e2e.server import ServerRun, derived_host_names
from tests.helpers import KEY

pytestmark = pytest.mark.e2e

BUILD_TIMEOUT_S = 240.0
LOG_DIR_ENV = "E2E_LOG_DIR"
OBJECTS_TIMEOUT_S = 120.0  # the rest of one build, after its Deployment
OPERATOR_SECRETS = (
    "its database password is the operator's (a `secure:` stack value the test cannot "
    "decrypt); `local` runs the same `existing` platform with generated credentials"
)


def platform_of(stack: str) -> str:
    return str(stack_config(stack).get(KEY + "cloud", ""))


def skip_reason(stack: str) -> str | None:
    platform = platform_of(stack)
    if platform in NOT_EMULATED:
        return NOT_EMULATED[platform]
    if stack == "existing-infra":
        return OPERATOR_SECRETS
    return None


STACKS = [
    pytest.param(s, marks=pytest.mark.skip(reason=r)) if (r := skip_reason(s)) else s
    for s in example_stacks()
]


def new_run(
    deployed: Deployed,
    tmp: Path,
    prerequisites: Prerequisites,
    hosts_from: dict[str, str] | None = None,
) -> tuple[ServerRun, dict[str, str]]:
    """A sandbox for the deployed stack, with the image's files in `tmp`; and the gateway's
    rebuilt env (its URLs name the hosts the sandbox maps, unless `hosts_from` is given)."""
    tmp.chmod(0o755)  # PostgreSQL runs as its own user and reads its folder here
    fs = tmp / "fs"
    workloads.install_image_fs(fs, prerequisites.image)
    gateway = deployed.rendered.get("Deployment", deployed.rendered.release_name)
    env = workloads.rebuild(deployed, gateway, fs).env
    box = Sandbox(tmp / "sandbox", derived_host_names(deployed, hosts_from or env))
    record = box.logs / "kube-requests.jsonl"
    run = ServerRun(deployed, box, fs, prerequisites.server_venv, prerequisites.tools_venv, record)
    return run, env


@pytest.fixture(scope="module", params=STACKS)
def run(request: pytest.FixtureRequest, prerequisites: Prerequisites) -> Iterator[ServerRun]:
    """The stack's server, up: migrated, the gateway ready, the builder started."""
    stack = request.param
    deployed = deploy(stack, require_chart())
    with tempfile.TemporaryDirectory(prefix=f"e2e-{stack}-") as tmp_name:
        tmp = Path(tmp_name)
        run, env = new_run(deployed, tmp, prerequisites)
        box = run.box
        try:
            if platform_of(stack) == "aws":
                emulate.start_aws(run, env, tmp)
            else:
                emulate.start_local(run, env, tmp)
            run.start_kube()
            run.migration_rc = run.migrate()
            if run.migration_rc == 0:
                run.start_gateway()
                run.start_builder()
            yield run
        finally:
            box.close()
            if keep := os.environ.get(LOG_DIR_ENV):  # the processes' logs, for a failed run
                shutil.copytree(box.logs, Path(keep) / stack, dirs_exist_ok=True)


def migration_head(server_source: Path) -> tuple[str, int]:
    """The head revision of the server's Alembic history, and how many revisions it has."""
    folder = server_source / "model_engine_server/db/migrations/alembic/versions"
    revisions, parents = set(), set()
    for path in folder.glob("*.py"):
        text = path.read_text()
        revisions.add(re.search(r"^revision\s*=\s*['\"](\w+)['\"]", text, re.M).group(1))  # type: ignore[union-attr]
        down = re.search(r"^down_revision\s*=\s*['\"](\w+)['\"]", text, re.M)
        if down:
            parents.add(down.group(1))
    heads = revisions - parents
    assert len(heads) == 1, f"the server's migrations have {len(heads)} heads: {heads}"
    return heads.pop(), len(revisions)


def alembic_table(server_source: Path) -> str:
    """The table the server's Alembic environment records its revision in."""
    env = (server_source / "model_engine_server/db/migrations/alembic/env.py").read_text()
    found = re.search(r"^ALEMBIC_TABLE_NAME\s*=\s*['\"](\w+)['\"]", env, re.M)
    assert found, "the server's alembic env.py names no ALEMBIC_TABLE_NAME"
    return found.group(1)


def test_migration_applies_every_revision(run: ServerRun, prerequisites: Prerequisites) -> None:
    assert run.migration_rc == 0, run.box.log("migration")[-4000:]
    head, count = migration_head(prerequisites.image)
    database = run.database_name
    assert run.postgres is not None
    table = alembic_table(prerequisites.image)
    assert run.postgres.psql(database, f"SELECT version_num FROM public.{table}") == head
    log = run.box.log("migration")
    assert log.count("Running upgrade") == count, log[-4000:]


def test_gateway_refuses_a_request_without_credentials(run: ServerRun) -> None:
    response = run.request("GET", "/v1/model-endpoints", auth=False)
    assert response.status == 401, response


def bundle_request(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "schema_location": "none",
        "flavor": {
            "flavor": "runnable_image",
            "protocol": "http",
            "repository": "docker.io/hashicorp/http-echo",
            "tag": "1.0.0",
            "command": ["/http-echo", "-listen=:5005"],
            "readiness_initial_delay_seconds": 10,
        },
    }


def test_cpu_endpoint_is_built(run: ServerRun) -> None:
    bundle = run.request("POST", "/v2/model-bundles", bundle_request("e2e-echo"))
    assert bundle.status == 200, bundle
    endpoint = run.request(
        "POST",
        "/v1/model-endpoints",
        {
            "name": "e2e-echo",
            "model_bundle_id": bundle.body["model_bundle_id"],
            "endpoint_type": "sync",
            "metadata": {},
            "cpus": 0.5,
            "gpus": 0,
            "memory": "512Mi",
            "storage": "1Gi",
            "min_workers": 0,  # scale from zero: the builder makes a KEDA ScaledObject
            "max_workers": 1,
            "per_worker": 1,
            "labels": {"team": "e2e", "product": "e2e"},
        },
    )
    assert endpoint.status == 200, endpoint
    deployment = run.wait_for(
        "the builder created no Deployment for e2e-echo",
        lambda: named(run.kube_objects("deployments"), "e2e-echo"),
        BUILD_TIMEOUT_S,
    )
    launch = run.deployed.launch
    assert deployment["metadata"]["namespace"] == launch["endpoint_namespace"]


def named(objects: list[dict[str, Any]], endpoint: str) -> dict[str, Any] | None:
    for obj in objects:
        if endpoint in obj["metadata"]["name"] or endpoint in str(obj["metadata"].get("labels")):
            return obj
    return None


def llm_request(run: ServerRun, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model_name": "e2e-model",
        "source": "hugging_face",
        "inference_framework": "vllm",
        "inference_framework_image_tag": "latest",
        "endpoint_type": "streaming",
        "num_shards": 1,
        "checkpoint_path": emulate.checkpoint_uri(run),
        "gpus": 1,
        "gpu_type": "nvidia-ampere-a10",
        "cpus": 4,
        "memory": "16Gi",
        "storage": "50Gi",
        "nodes_per_worker": 1,
        "min_workers": 1,
        "max_workers": 1,
        "per_worker": 1,
        "labels": {"team": "e2e", "product": "e2e"},
        "metadata": {},
    }


def default_vllm_tag(run: ServerRun) -> str:
    """The vLLM tag a request for "latest" gets: the chart's ConfigMap, from the derived
    values (the server reads it through the Kubernetes API)."""
    config_map = run.deployed.rendered.get(
        "ConfigMap", f"{run.deployed.rendered.release_name}-inference-framework-latest-config"
    )
    return str(config_map.body["data"]["vllm"])


def vllm_image(run: ServerRun) -> str:
    prefix = run.deployed.infra["docker_repo_prefix"]
    return f"{prefix}/{run.deployed.launch['vllm_repository']}:{default_vllm_tag(run)}"


def test_llm_endpoint_refused_without_its_image(run: ServerRun) -> None:
    """Where the server checks the registry (ECR), a missing default-tag image is refused
    with the server's own error; on-prem registries are not checked (the server assumes)."""
    if not run.aws[0]:
        pytest.skip("the on-prem registry is not checked by the server: the image is assumed")
    # The repository exists (a pull-through cache makes it on first pull), the tag does not:
    # with no repository at all the server answers 500 (RepositoryNotFoundException escapes).
    emulate.put_image(run, run.deployed.launch["vllm_repository"], None)
    response = run.request("POST", "/v1/llm/model-endpoints", llm_request(run, "e2e-llm-none"))
    assert response.status == 404, response
    assert "docker image could not be found" in str(response.body), response


def test_llm_endpoint_built_with_the_default_tag(run: ServerRun) -> None:
    if run.aws[0]:
        emulate.put_image(run, run.deployed.launch["vllm_repository"], default_vllm_tag(run))
    response = run.request("POST", "/v1/llm/model-endpoints", llm_request(run, "e2e-llm"))
    assert response.status == 200, response
    deployment = run.wait_for(
        "the builder created no Deployment for e2e-llm",
        lambda: named(run.kube_objects("deployments"), "e2e-llm"),
        BUILD_TIMEOUT_S,
    )
    images = [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]]
    assert vllm_image(run) in images, images


@pytest.mark.skip(
    reason="unfinished: the migration exits non-zero on a URL without TLS, but its refusal "
    "does not reach the captured log yet, so the server's own error is not asserted"
)
def test_migration_fails_on_a_database_url_without_tls(prerequisites: Prerequisites) -> None:
    """A derived database URL broken on purpose (TLS off) fails the migration hook with the
    database's refusal, as it would in the cluster: the e2e can see a bad derivation."""
    deployed = deploy("local", require_chart())
    secret = next(
        r.inputs["stringData"]
        for r in deployed.run.of_type("kubernetes:core/v1:Secret")
        if "database_url" in (r.inputs.get("stringData") or {})
        and r.inputs["metadata"]["namespace"] == deployed.rendered.namespace
    )
    assert "sslmode=require" in secret["database_url"]
    good = secret["database_url"]
    secret["database_url"] = good.replace("sslmode=require", "sslmode=disable")
    # not pytest's tmp_path: its parents are private to root, and PostgreSQL runs as postgres
    with tempfile.TemporaryDirectory(prefix="e2e-broken-tls-") as tmp_name:
        tmp = Path(tmp_name)
        run, _ = new_run(deployed, tmp, prerequisites, hosts_from={"DB": good})
        try:
            run.postgres = services.start_postgres(run.box, tmp / "postgres", good)
            assert run.migrate() != 0
            log = run.box.log("migration")
            assert "no pg_hba.conf entry" in log and "no encryption" in log, log[-3000:]
        finally:
            run.box.close()


def cache_url(run: ServerRun) -> str:
    """The Redis URL the server's endpoint cache and KEDA use, as derived: in the service
    config on-prem, in the Secrets Manager secret the program writes on AWS."""
    launch = run.deployed.launch
    if "cache_redis_aws_secret_name" in launch:
        secret = emulate.program_secrets(run)[launch["cache_redis_aws_secret_name"]]
        return str(next(iter(json.loads(secret).values())))
    return str(launch["cache_redis_onprem_url"])


def test_builder_objects_carry_the_derived_configuration(run: ServerRun) -> None:
    """What the builder asked the Kubernetes API to create for the scale-from-zero CPU
    endpoint (test_cpu_endpoint_is_built) carries the derived images, service account, env,
    KEDA trigger and Istio routes."""
    values, launch = run.deployed.values, run.deployed.launch
    deployment = named(run.kube_objects("deployments"), "e2e-echo")
    assert deployment is not None, "no Deployment for e2e-echo (test_cpu_endpoint_is_built)"
    resource = deployment["metadata"]["name"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccount"] == values["serviceTemplate"]["serviceAccountName"]
    containers = {c["name"]: c for c in pod["containers"]}
    forwarder = f"{values['image']['forwarderRepository']}:{values['tag']}"
    assert containers["http-forwarder"]["image"] == forwarder
    assert containers["main"]["image"] == "docker.io/hashicorp/http-echo:1.0.0"
    # the template's `with`: an empty extraPodEnvFrom renders no envFrom at all
    assert containers["main"].get("envFrom") == (values.get("extraPodEnvFrom") or None)

    scaled = run.wait_for(
        "no KEDA ScaledObject for the scale-from-zero endpoint",
        lambda: named(run.kube_objects("scaledobjects"), "e2e-echo"),
        OBJECTS_TIMEOUT_S,
    )
    redis = next(t["metadata"] for t in scaled["spec"]["triggers"] if t["type"] == "redis")
    url = urlsplit(cache_url(run))
    assert redis["address"] == f"{url.hostname}:{url.port or 6379}"
    assert redis["databaseIndex"] == url.path.lstrip("/")
    assert redis["enableTLS"] == ("true" if url.scheme == "rediss" else "false")

    virtual = run.wait_for(
        "no Istio VirtualService",
        lambda: named(run.kube_objects("virtualservices"), "e2e-echo"),
        OBJECTS_TIMEOUT_S,
    )
    assert virtual["spec"]["hosts"] == [f"{resource}.{run.deployed.infra['dns_host_domain']}"]
    assert virtual["spec"]["gateways"] == values["virtualservice"]["gateways"]
    rule = run.wait_for(
        "no Istio DestinationRule",
        lambda: named(run.kube_objects("destinationrules"), "e2e-echo"),
        OBJECTS_TIMEOUT_S,
    )
    assert rule["spec"]["host"].startswith(f"{resource}.{launch['endpoint_namespace']}.svc")
