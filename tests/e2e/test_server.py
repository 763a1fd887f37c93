"""The pinned server, run on each example stack's derived configuration (marker `e2e`).

For each stack whose platform can be emulated from the package registries: derive the values
through the program, render the chart, rebuild the control plane's processes from the
rendered manifests, start the real backing services, migrate, start the gateway and the
service builder, and drive the API. Asserts are on what the server did.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from components.model_engine import chart_facts as cf
from plan.cli import stack_config
from plan.simulator import ProgramRun
from tests.chart.support import example_stacks, require_chart
from tests.e2e import emulate, workloads
from tests.e2e.conftest import Prerequisites
from tests.e2e.deployed import Deployed, deploy
from tests.e2e.emulate import NOT_EMULATED
from tests.e2e.sandbox import Sandbox
from tests.e2e.server import Response, ServerRun, derived_host_names, migration_job
from tests.helpers import KEY

pytestmark = pytest.mark.e2e

BUILD_TIMEOUT_S = 240.0
LOG_DIR_ENV = "E2E_LOG_DIR"
OBJECTS_TIMEOUT_S = 120.0  # the rest of one build, after its Deployment
QUEUE_TIMEOUT_S = 60.0  # a task the gateway accepted, on its queue
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
) -> tuple[ServerRun, dict[str, str]]:
    """A sandbox for the deployed stack, with the image's files in `tmp`; and the gateway's
    rebuilt env (its URLs name the hosts the sandbox maps)."""
    tmp.chmod(0o755)  # PostgreSQL runs as its own user and reads its folder here
    fs = tmp / "fs"
    workloads.install_image_fs(fs, prerequisites.image)
    gateway = deployed.rendered.get("Deployment", deployed.rendered.release_name)
    env = workloads.rebuild(deployed, gateway, fs).env
    box = Sandbox(tmp / "sandbox", derived_host_names(deployed, env))
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


def cpu_endpoint_request(
    name: str, bundle: Response, endpoint_type: str, min_workers: int
) -> dict[str, Any]:
    """A small CPU endpoint of the echo bundle; min_workers 0 scales from zero (KEDA for a
    sync endpoint, the celery autoscaler for an async one)."""
    return {
        "name": name,
        "model_bundle_id": bundle.body["model_bundle_id"],
        "endpoint_type": endpoint_type,
        "metadata": {},
        "cpus": 0.5,
        "gpus": 0,
        "memory": "512Mi",
        "storage": "1Gi",
        "min_workers": min_workers,
        "max_workers": 1,
        "per_worker": 1,
        "labels": {"team": "e2e", "product": "e2e"},
    }


def test_cpu_endpoint_is_built(run: ServerRun) -> None:
    bundle = run.request("POST", "/v2/model-bundles", bundle_request("e2e-echo"))
    assert bundle.status == 200, bundle
    endpoint = run.request(
        "POST", "/v1/model-endpoints", cpu_endpoint_request("e2e-echo", bundle, "sync", 0)
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


def autoscaler_shard(deployment: str, namespace: str, shards: int) -> int:
    """Which of the celery autoscaler's shards scales this Deployment: the server partitions
    by the MD5 of (name, namespace) modulo the shard count (celery_autoscaler.main)."""
    digest = hashlib.md5(str((deployment, namespace)).encode(), usedforsecurity=False)
    return int(digest.hexdigest(), 16) % shards


# Counts an SQS queue's messages on the emulator (the tools venv's boto3, in the sandbox).
_QUEUE_DEPTH = """
import sys, boto3
sqs = boto3.client("sqs", endpoint_url=sys.argv[1], region_name=sys.argv[2])
url = sqs.get_queue_url(QueueName=sys.argv[3])["QueueUrl"]
names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
print("depth", *(got[n] for n in names))
"""


def queue_depth(run: ServerRun, queue: str) -> tuple[int, int]:
    """(visible, in flight) messages of the queue on the run's AWS emulator."""
    endpoint, region = run.aws
    env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "e2e", "AWS_SECRET_ACCESS_KEY": "e2e"}
    argv = [f"{run.tools_venv}/bin/python", "-c", _QUEUE_DEPTH, endpoint, region, queue]
    rc = run.box.run("queue-depth", argv, env=env, timeout=60)
    log = run.box.log("queue-depth")
    run.box.procs.pop("queue-depth", None)
    assert rc == 0, log
    visible, in_flight = log.rsplit("depth", 1)[-1].split()[:2]
    return int(visible), int(in_flight)


def test_async_endpoint_scaled_by_the_celery_autoscaler(
    run: ServerRun, prerequisites: Prerequisites
) -> None:
    """An async endpoint: the builder's Deployment carries the autoscaler's annotations for
    the derived broker; a task sent through the gateway lands on the endpoint's queue, and
    the chart's celery autoscaler, run with its rendered env, reads that queue on the derived
    broker and scales the Deployment from 0 to 1."""
    autoscalers = [
        o for o in run.deployed.rendered.of_kind("StatefulSet") if "celery-autoscaler" in o.name
    ]
    if not autoscalers:
        pytest.skip(
            "the chart renders no celery autoscaler for this stack (off: the pinned server's "
            "autoscaler reads only SQS and Service Bus queues, and async endpoints are off on a "
            "Redis broker; see the stack's feature table)"
        )
    (autoscaler,) = autoscalers
    bundle = run.request("POST", "/v2/model-bundles", bundle_request("e2e-async"))
    assert bundle.status == 200, bundle
    endpoint = run.request(
        "POST", "/v1/model-endpoints", cpu_endpoint_request("e2e-async", bundle, "async", 0)
    )
    assert endpoint.status == 200, endpoint
    deployment = run.wait_for(
        "the builder created no Deployment for e2e-async",
        lambda: named(run.kube_objects("deployments"), "e2e-async"),
        BUILD_TIMEOUT_S,
    )
    name, namespace = deployment["metadata"]["name"], deployment["metadata"]["namespace"]
    annotations = deployment["metadata"].get("annotations") or {}
    env = run.workload("StatefulSet", autoscaler.name).env
    assert annotations.get("celery.scaleml.autoscaler/broker") == env["BROKER_NAME"], annotations
    queue = annotations["celery.scaleml.autoscaler/queue"]

    endpoint_id = deployment["metadata"]["labels"]["endpoint_id"]

    def recorded() -> bool:  # the build done: the record names the queue tasks go to
        got = run.request("GET", f"/v1/model-endpoints/{endpoint_id}")
        return got.status == 200 and got.body["destination"] == queue

    run.wait_for(f"e2e-async's record never named its queue {queue}", recorded, BUILD_TIMEOUT_S)
    # Each gateway worker process keeps endpoint records for 15 s (the server's
    # db_model_endpoint_record_repository.py CACHE_TTL_SECONDS): a worker that read the record
    # while it was being built still has destination "UNKNOWN" and sends the task there (seen
    # in a CI run: "sent to queue UNKNOWN"). The record named its queue above; wait that out.
    # (chart_facts.ENDPOINT_RECORD_CACHE_TTL_S; the README's async capability row says the same.)
    server = Path(os.environ["MODEL_ENGINE_SERVER_SOURCE"]) / "model_engine_server"
    cached = server / cf.ENDPOINT_RECORD_CACHE_SOURCE
    assert f"CACHE_TTL_SECONDS = {cf.ENDPOINT_RECORD_CACHE_TTL_S}" in cached.read_text(), cached
    time.sleep(cf.ENDPOINT_RECORD_CACHE_TTL_S + 1)
    task = run.request(
        "POST", f"/v1/async-tasks?model_endpoint_id={endpoint_id}", {"args": {"x": 1}}
    )
    assert task.status == 200, task
    # What the emulator holds before the autoscaler looks: the task, visible (it may land a
    # moment after the gateway answers; a task that never lands fails here, by name). Exact
    # counts are moto's: real SQS counts are approximate, so never point this at a live queue.
    run.wait_for(
        f"the gateway's task never reached {queue}",
        lambda: queue_depth(run, queue) != (0, 0),
        QUEUE_TIMEOUT_S,
        watch=("gateway",),
    )
    depth = queue_depth(run, queue)
    assert depth == (1, 0), f"{queue} holds (visible, in flight) = {depth} after the task"

    shards = int(env["NUM_SHARDS"])
    shard = autoscaler_shard(name, namespace, shards)
    scaler = run.workload("StatefulSet", autoscaler.name, ordinal=shard)
    run.box.start("celery-autoscaler", scaler.argv, env=run.env_of(scaler), cwd=run.cwd)
    run.wait_for(
        f"the celery autoscaler did not scale {name}",
        lambda: f"{name} Deployment updated. replicas=1" in run.box.log("celery-autoscaler"),
        OBJECTS_TIMEOUT_S,
        watch=("gateway", "builder", "celery-autoscaler"),
    )
    log = run.box.log("celery-autoscaler")
    assert re.search(rf"SQS \S*{re.escape(queue)}\S* total: .* queue size 1", log), log[-3000:]
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"
    patches = [e["body"] for e in run.kube_requests() if e["verb"] == "PATCH" and e["path"] == path]
    assert [p["spec"]["replicas"] for p in patches] == [1], patches
    run.box.stop("celery-autoscaler")


# --- a derived value broken on purpose fails with the server's own error -------------------
# Each test below derives the same deploy with one value broken (Deployed.broken: the same
# generated passwords and host names), rebuilds the workload that reads it and runs that in
# this stack's sandbox, against the same backing services. They run last in the module: the
# builder and gateway tests stop the healthy process they stand in for.


def break_database_tls(program: ProgramRun, values: dict[str, Any]) -> None:
    """The database URL Secret the pods read, with TLS switched off."""
    for secret in program.of_type("kubernetes:core/v1:Secret"):
        data = secret.inputs.get("stringData") or {}
        for key, value in data.items():
            if isinstance(value, str) and value.startswith("postgresql://"):
                assert re.search(r"sslmode=(require|verify-ca|verify-full)", value), value
                data[key] = re.sub(r"sslmode=[\w-]+", "sslmode=disable", value)


def test_migration_refused_on_a_database_url_without_tls(
    run: ServerRun, prerequisites: Prerequisites
) -> None:
    """The migration hook on a database URL without TLS: the database refuses it (TLS only, as
    every database the program derives a URL for), the hook fails.

    The refusal is asserted in the database's log: the pinned server swallows its own
    traceback here (model_engine_server.core.loggers points sys.excepthook at a logger that
    Alembic's fileConfig then disables, so an error raised outside env.py's try block, such
    as the connection's, leaves the Job's log empty)."""
    broken = run.deployed.broken(require_chart(), break_database_tls)
    variant = run.variant(broken, prerequisites.image, "no-tls")
    url = urlsplit(variant.workload("Job", migration_job(broken)).env["ML_INFRA_DATABASE_URL"])
    assert "sslmode=disable" in url.query, url
    assert variant.migrate("migration-no-tls") != 0
    refusal = (
        f'no pg_hba.conf entry for host "127.0.0.1", user "{unquote(url.username or "")}", '
        f'database "{url.path.lstrip("/")}", no encryption'
    )
    assert refusal in run.box.log("postgres"), run.box.log("postgres")[-3000:]
    assert "Running upgrade" not in run.box.log("migration-no-tls")


def break_cache_index(program: ProgramRun, values: dict[str, Any]) -> None:
    """The cache Redis URL with a database index past the 16 that Redis (and ElastiCache)
    has by default."""
    launch = values["config"]["values"]["launch"]
    launch["cache_redis_onprem_url"] = re.sub(r"/\d+$", "/16", launch["cache_redis_onprem_url"])


def test_builder_fails_on_a_cache_database_index_out_of_range(
    run: ServerRun, prerequisites: Prerequisites
) -> None:
    """A build by a builder whose cache URL names a database Redis does not have fails with
    Redis's refusal, as the builder reports it."""
    if "cache_redis_onprem_url" not in run.deployed.launch:
        pytest.skip(
            "the cache URL is a Secrets Manager secret here (not in the service config); "
            "`local` breaks the same index in its service config"
        )
    broken = run.deployed.broken(require_chart(), break_cache_index)
    assert broken.launch["cache_redis_onprem_url"].endswith("/16")
    variant = run.variant(broken, prerequisites.image, "cache-index")
    run.box.stop("builder")  # the broken builder takes the build task
    variant.start_builder("builder-cache-index")
    bundle = run.request("POST", "/v2/model-bundles", bundle_request("e2e-cache-index"))
    assert bundle.status == 200, bundle
    endpoint = run.request(
        "POST", "/v1/model-endpoints", cpu_endpoint_request("e2e-cache-index", bundle, "sync", 1)
    )
    assert endpoint.status == 200, endpoint
    run.wait_for(
        "the broken builder reported no Redis error",
        # Celery's report of the build task, with the Redis client's error
        lambda: (
            "raised unexpected: ResponseError('DB index is out of range')"
            in run.box.log("builder-cache-index")
        ),
        BUILD_TIMEOUT_S,
        watch=("builder-cache-index",),
    )
    run.box.stop("builder-cache-index")


def break_broker_port(program: ProgramRun, values: dict[str, Any]) -> None:
    """The Redis broker's port (the server builds the broker URL from REDIS_HOST:REDIS_PORT)
    pointing where no broker listens."""
    values["redisPort"] = str(int(values.get("redisPort") or 6379) + 1)


def test_builder_fails_on_a_broken_broker_url(run: ServerRun, prerequisites: Prerequisites) -> None:
    """The service builder (a Celery worker) on a broker URL where no broker listens:
    Celery's own refusal, naming the URL."""
    if run.deployed.values.get("celeryBrokerType") != "redis":
        pytest.skip(
            "the SQS broker URL is the server's constant `sqs://` (region and credentials come "
            "from the pod's identity, which moto does not check); `local` breaks the Redis one"
        )
    broken = run.deployed.broken(require_chart(), break_broker_port)
    variant = run.variant(broken, prerequisites.image, "broker")
    env = variant.workload("Deployment", f"{broken.rendered.release_name}-endpoint-builder").env
    host, port = env["REDIS_HOST"], env["REDIS_PORT"]
    assert port != run.deployed.values.get("redisPort", "6379")
    run.box.stop("builder")
    variant.start_builder("builder-broker")
    refusal = f"Cannot connect to redis://{host}:{port}/"
    run.wait_for(
        "the builder on a broken broker URL reported no connection error",
        lambda: refusal in run.box.log("builder-broker"),
        OBJECTS_TIMEOUT_S,
        watch=("builder-broker",),
    )
    run.box.stop("builder-broker")


def break_vllm_repository(program: ProgramRun, values: dict[str, Any]) -> None:
    """The vLLM repository name the server looks images up in, misspelt."""
    launch = values["config"]["values"]["launch"]
    launch["vllm_repository"] = launch["vllm_repository"] + "-e2e-misspelt"


def test_llm_endpoint_fails_on_a_broken_repository_name(
    run: ServerRun, prerequisites: Prerequisites
) -> None:
    """A gateway whose vLLM repository name is wrong looks for the default tag in a repository
    the registry does not have. The pinned server answers 500 (its ECR lookup lets
    RepositoryNotFoundException escape: a known server defect); the error is in its log."""
    if not run.aws[0]:
        pytest.skip("the on-prem registry is not checked by the server: the image is assumed")
    emulate.put_image(run, run.deployed.launch["vllm_repository"], default_vllm_tag(run))
    broken = run.deployed.broken(require_chart(), break_vllm_repository)
    variant = run.variant(broken, prerequisites.image, "repository")
    run.box.stop("gateway")  # the broken gateway serves on the rendered port
    variant.start_gateway("gateway-repository")
    response = variant.request("POST", "/v1/llm/model-endpoints", llm_request(run, "e2e-repo"))
    assert response.status == 500, response
    log = run.box.log("gateway-repository")
    assert "RepositoryNotFoundException" in log, log[-3000:]
    assert broken.launch["vllm_repository"] in log, log[-3000:]
    run.box.stop("gateway-repository")
