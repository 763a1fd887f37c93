"""Every chart value the GCP platform feeds comes from the one resource it should come from,
and nothing secret reaches the values or the exports."""

from __future__ import annotations

import json
import urllib.parse

from components.model_engine import chart_facts as cf
from tests.gcp.helpers import (
    ACCOUNT,
    BUCKET,
    CLUSTER,
    PROJECT_ID,
    REDIS,
    REGION,
    REPOSITORY,
    SQL,
    GcpRun,
    run_gcp,
)
from tests.helpers import set_path

PASSWORD = ("random:index/randomPassword:RandomPassword", "platform-database-password")


def test_server_runs_as_gcp_without_an_aws_block(prod: GcpRun) -> None:
    assert prod.infra["cloud_provider"] == "gcp"
    assert "aws" not in prod.values
    assert prod.values["celeryBrokerType"] == "redis"
    assert prod.values["celery_broker_type_redis"] is True
    # The celery autoscaler reads only SQS and Service Bus.
    assert prod.values["celery_autoscaler"]["enabled"] is False
    assert prod.infra["default_region"] == REGION
    assert prod.infra["k8s_cluster_name"] == prod.state(CLUSTER, "platform-cluster-gke", "name")


def test_gcp_block_names_the_service_accounts_and_project(prod: GcpRun) -> None:
    gcp = prod.values["gcp"]
    assert gcp["project_id"] == PROJECT_ID
    assert prod.infra["gcp_project_id"] == PROJECT_ID
    assert prod.infra["ml_account_id"] == PROJECT_ID
    assert gcp["iam_service_account"] == prod.email("platform-identity-control-plane")
    assert gcp["inference_service_account"] == prod.email("platform-identity-inference")
    assert gcp["iam_service_account"] != gcp["inference_service_account"]
    # The chart writes iam.gke.io/gcp-service-account from the gcp block; never twice.
    for path in ("serviceAccount", "serviceTemplate"):
        block = prod.values[path]
        annotations = block.get("annotations") or block.get("serviceAccountAnnotations")
        assert "iam.gke.io/gcp-service-account" not in annotations
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"


def test_registry_prefix_is_the_repository_uri_and_names_are_flat(prod: GcpRun) -> None:
    uri = prod.state(REPOSITORY, "platform-registry-docker", "registryUri")
    assert uri == f"{REGION}-docker.pkg.dev/{PROJECT_ID}/model-engine"
    assert prod.infra["docker_repo_prefix"] == uri
    assert "docker_registry_type" not in prod.infra  # the server infers gar from the prefix
    for key, path in cf.INFERENCE_REPOSITORIES.items():
        assert prod.launch[key] == path.replace("/", "-")
        assert "/" not in prod.launch[key]
    assert prod.launch["batch_inference_vllm_repository"] == "llm-engine-batch-infer-vllm"
    # GAR's newest-tag lookup never raises past the cacher: it runs.
    assert prod.values["replicaCount"]["cacher"] == 1


def test_redis_values_come_from_memorystore(prod: GcpRun) -> None:
    host = prod.state(REDIS, "platform-cache-redis", "host")
    assert host.startswith("10.70.")
    assert prod.infra["redis_host"] == host
    assert prod.values["redisHost"] == host
    assert prod.values["redisPort"] == "6379"
    assert prod.launch["cache_redis_gcp_url"] == f"redis://{host}:6379/{cf.CACHE_DB_INDEX}"
    # Results in a DB of their own (the server's gcp default would be DB 1, a broker DB).
    assert prod.values["celeryResultBackend"] == (
        f"redis://{host}:6379/{cf.RESULT_BACKEND_DB_INDEX}"
    )
    assert prod.values["redis"]["enableAuth"] is False
    assert prod.values["redis"]["enableTLS"] is False
    assert not any(k.startswith("cache_redis_aws") for k in prod.launch)


def test_storage_values_come_from_the_bucket(prod: GcpRun) -> None:
    bucket = prod.state(BUCKET, "platform-storage-bucket", "name")
    assert bucket == f"{PROJECT_ID}-model-engine-gcp-prod"
    assert prod.infra["s3_bucket"] == bucket
    assert prod.launch["cloud_file_llm_fine_tune_repository"] == (
        f"gs://{bucket}/llm-ft-job-repository"
    )
    assert prod.launch["hf_user_fine_tuned_weights_prefix"] == f"gs://{bucket}/fine_tuned_weights"
    assert "s3EndpointUrl" not in prod.values


def test_database_reaches_the_server_only_through_the_kubernetes_secret(prod: GcpRun) -> None:
    assert prod.values["secrets"] == {"kubernetesDatabaseSecretName": "model-engine-database"}
    ip = prod.state(SQL, "platform-database-postgres", "privateIpAddress")
    assert ip.startswith("10.70.")
    password = prod.state(*PASSWORD, "result")
    for ns in ("release", "endpoints"):
        secret = prod.one("kubernetes:core/v1:Secret", f"model-engine-database-{ns}")
        assert secret.secret_inputs == ["stringData"]
        url = secret.inputs["stringData"]["database_url"]
        # The real password is [A-Za-z0-9] (special=False); the simulator's placeholder is
        # quoted as any password would be.
        quoted = urllib.parse.quote(password, safe="")
        assert url == f"postgresql://llm_engine:{quoted}@{ip}:5432/llm_engine?sslmode=require"
    assert prod.run.exports["database_host"] == ip


def test_nothing_secret_in_values_or_exports(prod: GcpRun) -> None:
    password = prod.state(*PASSWORD, "result")
    dumped = json.dumps(prod.values)
    assert password not in dumped
    assert "postgresql://" not in dumped
    assert password not in json.dumps(prod.run.exports, default=str)
    # The Cloud SQL user carries the generated password, marked secret on the wire.
    user = prod.one("gcp:sql/user:User", "platform-database-user")
    assert user.inputs["password"] == password
    assert "password" in user.secret_inputs


def test_exports_name_what_was_built(prod: GcpRun) -> None:
    exports = prod.run.exports
    assert exports["registry_prefix"] == prod.infra["docker_repo_prefix"]
    assert exports["cluster_name"] == prod.state(CLUSTER, "platform-cluster-gke", "name")
    assert prod.email("platform-node-identity-account").startswith("me-gcp-prod-node@")
    assert len(prod.of_type(ACCOUNT)) == 3


def test_curl_jobs_pull_through_the_docker_hub_mirror(prod: GcpRun, config: dict) -> None:
    mirror = prod.state(
        "gcp:artifactregistry/repository:Repository", "platform-registry-dockerhub", "registryUri"
    )
    curl = prod.values["utilityImages"]["curl"]
    assert curl["repository"] == f"{mirror}/curlimages/curl"
    # Without a mirror the chart's default (Docker Hub) stays.
    set_path(config, "gcp.registry.dockerHubMirror", False)
    assert "utilityImages" not in run_gcp(config).values
