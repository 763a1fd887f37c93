"""The pinned server, run on each example stack's derived configuration (marker `e2e`).

For each stack whose platform can be emulated from the package registries: derive the values
through the program, render the chart, rebuild the control plane's processes from the
rendered manifests, start the real backing services, migrate, start the gateway and the
service builder, and drive the API. Asserts are on what the server did.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plan.cli import stack_config
from tests.helpers import KEY
from tests.chart.support import example_stacks, require_chart
from tests.e2e import emulate, workloads
from tests.e2e.deployed import deploy
from tests.e2e.emulate import NOT_EMULATED
from tests.e2e.sandbox import Sandbox
from tests.e2e.server import ServerRun, derived_host_names

pytestmark = pytest.mark.e2e

BUILD_TIMEOUT_S = 240.0
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


@pytest.fixture(scope="module", params=STACKS)
def run(
    request: pytest.FixtureRequest, server_source: Path, venvs: tuple[Path, Path]
) -> Iterator[ServerRun]:
    """The stack's server, up: migrated, the gateway ready, the builder started."""
    stack = request.param
    deployed = deploy(stack, require_chart())
    with tempfile.TemporaryDirectory(prefix=f"e2e-{stack}-") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # PostgreSQL runs as its own user and reads its folder here
        fs = tmp / "fs"
        workloads.install_image_fs(fs, server_source)
        gateway = deployed.rendered.get("Deployment", deployed.rendered.release_name)
        env = workloads.rebuild(deployed, gateway, fs).env
        box = Sandbox(tmp / "sandbox", derived_host_names(deployed, env))
        run = ServerRun(deployed, box, fs, *venvs, tmp / "kube.jsonl")
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


def test_migration_applies_every_revision(run: ServerRun, server_source: Path) -> None:
    assert run.migration_rc == 0, run.box.log("migration")[-4000:]
    head, count = migration_head(server_source)
    database = run.database_name
    assert run.postgres is not None
    assert run.postgres.psql(database, "SELECT version_num FROM alembic_version") == head
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
    endpoint = run.request("POST", "/v1/model-endpoints", {
        "name": "e2e-echo", "model_bundle_id": bundle.body["model_bundle_id"],
        "endpoint_type": "sync", "metadata": {}, "cpus": 0.5, "gpus": 0, "memory": "512Mi",
        "storage": "1Gi", "min_workers": 1, "max_workers": 1, "per_worker": 1,
        "labels": {"team": "e2e", "product": "e2e"},
    })
    assert endpoint.status == 200, endpoint
    deployment = run.wait_for("the builder created no Deployment for e2e-echo",
                              lambda: named(run.kube_objects("deployments"), "e2e-echo"),
                              BUILD_TIMEOUT_S)
    launch = run.deployed.launch
    assert deployment["metadata"]["namespace"] == launch["endpoint_namespace"]


def named(objects: list[dict[str, Any]], endpoint: str) -> dict[str, Any] | None:
    for obj in objects:
        if endpoint in obj["metadata"]["name"] or endpoint in str(obj["metadata"].get("labels")):
            return obj
    return None
