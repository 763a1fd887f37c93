"""The model-engine component on the existing platform, run as `pulumi up` would run it.

Asserts what a deployment engineer relies on: each chart value comes from the setting or
platform output it should, credentials exist only as secret Kubernetes Secrets in both
namespaces, and the Release waits for them.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.model_engine import chart_facts as cf
from components.model_engine.release import database_url, split_nulls
from plan.simulator import ProgramRun, RecordedResource, run_program
from tests.helpers import add_t4_pool, set_path

SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "kubernetes:core/v1:Namespace"
RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture
def run(existing_config: dict[str, Any]) -> ProgramRun:
    return run_program(existing_config)


def test_infra_values_come_from_the_existing_block(run: ProgramRun) -> None:
    infra = run.values["config"]["values"]["infra"]
    assert infra == {
        "cloud_provider": "onprem",
        "k8s_cluster_name": "acme-gpu",
        "dns_host_domain": "ml.acme.internal",
        "default_region": "us-east-1",
        "ml_account_id": "onprem",
        "docker_repo_prefix": "harbor.acme.internal/model-engine",
        "s3_bucket": "model-engine",
        "redis_host": "redis.data.acme.internal",
        "prometheus_server_address": "http://prometheus-server.istio-system.svc.cluster.local:80",
        "identity_service_url": "https://identity.acme.internal",
        # A private registry: image checks skipped instead of anonymous HEADs.
        "docker_registry_type": "onprem",
        "db_engine_echo": False,
        "db_engine_echo_pool": False,
        "db_engine_disconnect_strategy": "pessimistic",
    }


def test_launch_values_are_complete_and_derived(run: ProgramRun) -> None:
    launch = run.values["config"]["values"]["launch"]
    assert set(cf.REQUIRED_LAUNCH_KEYS) <= set(launch)
    assert launch["endpoint_namespace"] == "llm-engine"
    assert (
        launch["cloud_file_llm_fine_tune_repository"] == "s3://model-engine/llm-ft-job-repository"
    )
    assert launch["hf_user_fine_tuned_weights_prefix"] == "s3://model-engine/fine_tuned_weights"
    # Each inference repository is the chart's, under the operator's registry: checked against
    # the chart's values in tests/chart/test_facts.py.
    # Names under docker_repo_prefix, never references with a host (the server prefixes it).
    for key in cf.INFERENCE_REPOSITORIES:
        assert cf.repository_name_problem(launch[key]) is None, key
    # Cache in DB 15 with nothing after the index; no credentials in the URL.
    assert launch["cache_redis_onprem_url"] == "redis://redis.data.acme.internal:6379/15"
    assert launch["istio_enabled"] is True
    assert launch["dd_trace_enabled"] is False is run.values["dd_trace_enabled"]
    assert "s3_file_llm_fine_tuning_job_repository" not in launch


def test_onprem_gets_redis_broker_and_no_aws_profile(run: ProgramRun) -> None:
    values = run.values
    assert values["celeryBrokerType"] == "redis"
    assert values["celery_broker_type_redis"] is True
    # `aws` set at all would mount a ConfigMap that does not exist on onprem.
    assert "aws" not in values
    # Top-level values, so that batch jobs (and for S3, forwarders) get them as well.
    assert values["redisHost"] == "redis.data.acme.internal"
    assert values["redisPort"] == "6379"
    assert values["s3EndpointUrl"] == "https://minio.acme.internal"
    env = {e["name"]: e for e in values["extraEnvVars"]}
    assert "REDIS_HOST" not in env and "S3_ENDPOINT_URL" not in env
    assert env["AWS_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "model-engine-platform-env",
        "key": "AWS_SECRET_ACCESS_KEY",
    }
    assert values["extraPodEnvFrom"] == [{"secretRef": {"name": "model-engine-platform-env"}}]


def test_migration_on_and_service_accounts_are_hooks(run: ProgramRun) -> None:
    values = run.values
    assert values["db"] == {"runDbMigrationScript": True, "runDbInitScript": False}
    for hook in (
        values["serviceAccount"]["annotations"],
        values["serviceTemplate"]["serviceAccountAnnotations"],
    ):
        assert hook["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert hook["helm.sh/hook-weight"] == "-2"
    # The inference SA comes from serviceTemplate; listing the endpoint namespace here too
    # would render two ServiceAccount/model-engine there.
    assert values["serviceAccount"]["namespaces"] == []


# An existing cluster whose images live in ECR: the one registry type the cacher can read
# without cloud workload identity, so it runs and the image-cache devices with it.
ECR_PREFIX = "210987654321.dkr.ecr.us-east-1.amazonaws.com"


@pytest.fixture
def ecr_run(existing_config: dict[str, Any]) -> ProgramRun:
    set_path(existing_config, "existing.registryPrefix", ECR_PREFIX)
    return run_program(existing_config)


def test_gpu_values_follow_the_pools(ecr_run: ProgramRun) -> None:
    values = ecr_run.values
    assert values["balloons"] == [
        {"acceleratorName": "nvidia-ampere-a10", "replicaCount": 1, "gpuCount": 1},
        {"acceleratorName": "nvidia-hopper-h100", "replicaCount": 0, "gpuCount": 8},
        {"acceleratorName": "cpu", "replicaCount": 0},
    ]
    # A10 and H100 get no cache device: the cacher lists images for them that do not exist.
    devices = {d["name"]: d for d in values["imageCache"]["devices"]}
    assert set(devices) == {"cpu"}
    gpu_types = {t["gpu_type"] for t in values["recommendedHardware"]["byGpuMemoryGb"]}
    assert gpu_types == {"nvidia-ampere-a10", "nvidia-hopper-h100"}


def test_no_cacher_where_the_registry_cannot_tell_the_newest_tag(
    run: ProgramRun, ecr_run: ProgramRun
) -> None:
    # harbor.acme.internal: the server's onprem/generic registry clients raise
    # NotImplementedError on the newest-tag lookup the cacher makes every loop.
    assert run.values["replicaCount"]["cacher"] == 0
    assert run.values["imageCache"]["devices"] == []
    assert any("replicaCount.cacher" in line for line in run.logs)
    assert ecr_run.values["replicaCount"]["cacher"] == 1
    assert ecr_run.values["config"]["values"]["infra"]["docker_registry_type"] == "ecr"


def test_adding_a_pool_adds_its_balloon_device_and_tiers(existing_config: dict[str, Any]) -> None:
    set_path(existing_config, "existing.registryPrefix", ECR_PREFIX)
    add_t4_pool(existing_config, balloon_replicas=2)
    values = run_program(existing_config).values
    assert {"acceleratorName": "nvidia-tesla-t4", "replicaCount": 2, "gpuCount": 1} in values[
        "balloons"
    ]
    assert "t4" in {d["name"] for d in values["imageCache"]["devices"]}
    assert values["recommendedHardware"]["byGpuMemoryGb"][0]["gpu_type"] == "nvidia-tesla-t4"


def test_database_secret_in_both_namespaces_and_secret(run: ProgramRun) -> None:
    secrets = [
        r for r in run.of_type(SECRET) if r.inputs["metadata"]["name"] == "model-engine-database"
    ]
    assert sorted(s.inputs["metadata"]["namespace"] for s in secrets) == [
        "llm-engine",
        "model-engine",
    ]
    for secret in secrets:
        assert "stringData" in secret.secret_inputs
        url = secret.inputs["stringData"]["database_url"]
        # The password is the config secret (offline: `[secret]`), URL-encoded.
        assert url == (
            "postgresql://model_engine:%5Bsecret%5D@postgres.data.acme.internal:5432/llm_engine"
            "?sslmode=require"
        )
    assert run.values["secrets"] == {"kubernetesDatabaseSecretName": "model-engine-database"}


def test_database_url_encodes_credentials() -> None:
    from components.contract import Database

    class Facts:
        database = Database(
            host="db.example.com", port=5432, name="me", user="u@x", ssl_mode="verify-full"
        )

    url = database_url(Facts(), "p@ss/w:rd?#")  # type: ignore[arg-type]
    assert (
        url == "postgresql://u%40x:p%40ss%2Fw%3Ard%3F%23@db.example.com:5432/me?sslmode=verify-full"
    )
    assert url.startswith("postgresql://")


def test_no_credential_reaches_values_or_exports(run: ProgramRun) -> None:
    text = yaml.safe_dump(run.values) + yaml.safe_dump(run.exports)
    assert "[secret]" not in text
    assert "postgresql://" not in text
    assert run.release.secret_inputs == []


def test_release_waits_for_secrets_and_namespaces(run: ProgramRun) -> None:
    waits_for = set(run.release.dependencies)
    ours = [
        r
        for r in run.of_type(SECRET) + run.of_type(NAMESPACE)
        if r.name.startswith("model-engine-")
    ]
    assert len(ours) == 6
    for resource in ours:
        assert resource.urn in waits_for, resource.name


def test_release_arguments(run: ProgramRun) -> None:
    release = run.release.inputs
    assert release["chart"] == "../llm-engine/charts/model-engine"
    assert release["namespace"] == "model-engine"
    assert release["name"] == "model-engine"
    assert release["atomic"] is True
    assert release["cleanupOnFail"] is True
    assert release["waitForJobs"] is True
    # Long enough for the migration hook's 600 s deadline plus the rollout.
    assert release["timeout"] >= 900


def test_null_node_selector_reaches_helm_as_null(existing_config: dict[str, Any]) -> None:
    set_path(existing_config, "controlPlane", {"nodeSelector": None})
    run = run_program(existing_config)
    assert "nodeSelector" not in run.release.inputs["values"]  # the SDK would drop it
    overlay = yaml.safe_load(run.release.inputs["valueYamlFiles"][0].text)
    assert overlay == {"nodeSelector": None}
    assert run.values["nodeSelector"] is None


def test_split_nulls_keeps_nested_nulls() -> None:
    clean, nulls = split_nulls({"a": {"b": None, "c": 1}, "d": None, "e": [None]})
    assert clean == {"a": {"c": 1}, "e": [None]}
    assert nulls == {"a": {"b": None}, "d": None}


@pytest.mark.parametrize(
    ("chart", "expected_chart", "expected_repo"),
    [
        (
            {"repository": "oci://registry.example.com/charts", "version": "0.2.7"},
            "oci://registry.example.com/charts/model-engine",
            None,
        ),
        (
            {"repository": "https://charts.example.com", "version": "0.2.7"},
            "model-engine",
            "https://charts.example.com",
        ),
    ],
)
def test_chart_from_a_repository(
    existing_config: dict[str, Any],
    chart: dict[str, Any],
    expected_chart: str,
    expected_repo: str | None,
) -> None:
    set_path(existing_config, "chart", chart)
    release = run_program(existing_config).release.inputs
    assert release["chart"] == expected_chart
    assert release["version"] == "0.2.7"
    assert (release.get("repositoryOpts") or {}).get("repo") == expected_repo


def test_every_kubernetes_resource_uses_the_cluster_provider(run: ProgramRun) -> None:
    provider = run.one("pulumi:providers:kubernetes")
    k8s = [r for r in run.resources if r.type.startswith("kubernetes:")]
    assert k8s
    for resource in k8s:
        assert resource.provider and resource.provider.startswith(provider.urn), resource.name


def test_namespaces_get_istio_injection(run: ProgramRun) -> None:
    namespaces = {r.inputs["metadata"]["name"]: r for r in run.of_type(NAMESPACE)}
    for name in ("llm-engine", "model-engine"):
        assert namespaces[name].inputs["metadata"]["labels"]["istio-injection"] == "enabled"
    assert run.exports["gateway_urls"] == ["http://model-engine.ml.acme.internal"]
    assert run.values["virtualservice"]["hostDomains"] == ["ml.acme.internal"]


def test_istio_off_turns_off_routing_and_injection(existing_config: dict[str, Any]) -> None:
    set_path(existing_config, "istio.enabled", False)
    run = run_program(existing_config)
    namespaces = {r.inputs["metadata"]["name"]: r for r in run.of_type(NAMESPACE)}
    assert "istio-injection" not in namespaces["llm-engine"].inputs["metadata"]["labels"]
    assert run.values["virtualservice"]["enabled"] is False
    assert run.values["destinationrule"]["enabled"] is False
    assert run.values["config"]["values"]["launch"]["istio_enabled"] is False


def test_datadog_trace_sets_both_toggles(existing_config: dict[str, Any]) -> None:
    set_path(existing_config, "datadog", {"enabled": True, "trace": True, "env": "acme-prod"})
    values = run_program(existing_config).values
    assert values["dd_trace_enabled"] is True
    assert values["config"]["values"]["launch"]["dd_trace_enabled"] is True
    assert values["datadog"] == {"enabled": True, "env": "acme-prod"}


def test_operator_override_is_merged(existing_config: dict[str, Any]) -> None:
    set_path(
        existing_config, "chartValues", {"modelCache": {"enabled": True}, "service": {"port": 8080}}
    )
    values = run_program(existing_config).values
    assert values["modelCache"] == {"enabled": True}
    assert values["service"] == {"type": "ClusterIP", "port": 8080}


def test_settings_flow_into_control_plane_values(existing_config: dict[str, Any]) -> None:
    set_path(
        existing_config,
        "controlPlane",
        {
            "replicas": {"gateway": 3},
            "resources": {"requests": {"cpu": 1, "memory": "4Gi"}, "limits": {"memory": "8Gi"}},
            "podSecurityContext": {"runAsNonRoot": True, "runAsUser": 65532},
            "containerSecurityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
        },
    )
    set_path(existing_config, "security", {"celeryEnableSha256": True})
    set_path(existing_config, "databaseClient", {"echo": True, "disconnectStrategy": "optimistic"})
    set_path(existing_config, "gatewayService", {"type": "LoadBalancer", "port": 8080})
    set_path(
        existing_config, "autoscaling", {"kedaCooldownSeconds": 600, "celery": {"numShards": 5}}
    )
    set_path(existing_config, "existing.registryPrefix", ECR_PREFIX)
    values = run_program(existing_config).values
    assert values["replicaCount"] == {"gateway": 3, "cacher": 1, "builder": 1}
    assert values["resources"] == {
        "requests": {"cpu": "1", "memory": "4Gi"},
        "limits": {"memory": "8Gi"},
    }
    assert values["podSecurityContext"] == {"runAsNonRoot": True, "runAsUser": 65532}
    assert values["containerSecurityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert values["celery_enable_sha256"] is True
    infra = values["config"]["values"]["infra"]
    assert infra["db_engine_echo"] is True
    assert infra["db_engine_disconnect_strategy"] == "optimistic"
    assert values["service"] == {"type": "LoadBalancer", "port": 8080}
    assert values["keda"] == {"cooldownPeriod": 600}
    # The shard count flows, but on a Redis broker the autoscaler cannot read queue depth.
    assert values["celery_autoscaler"] == {"enabled": False, "num_shards": 5}


def _names(resources: list[RecordedResource]) -> list[str]:
    return sorted(r.name for r in resources)


def test_every_child_has_a_parent_component(run: ProgramRun) -> None:
    components = {r.urn for r in run.resources if not r.custom}
    orphans = [r.name for r in run.resources if r.custom and r.parent not in components]
    assert orphans == []
    top = [
        r for r in run.resources if not r.custom and "::pulumi:pulumi:Stack::" in (r.parent or "")
    ]
    assert _names(top) == ["addons", "model-engine", "platform"]


def test_warnings_are_reported_but_do_not_block(existing_config: dict[str, Any]) -> None:
    del existing_config["model-engine-infra:identityServiceUrl"]
    run = run_program(existing_config)
    assert any(
        line.startswith("warning: config.values.infra.identity_service_url") for line in run.logs
    )
    assert "identity_service_url" not in run.values["config"]["values"]["infra"]


def test_image_builder_account_exists_where_builds_run(existing_config: dict[str, Any]) -> None:
    set_path(
        existing_config,
        "existing.imageBuilderAnnotations",
        {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/builder"},
    )
    run = run_program(existing_config)
    account = run.one("kubernetes:core/v1:ServiceAccount", "model-engine-image-builder-sa")
    assert account.inputs["metadata"]["name"] == "kaniko"
    assert account.inputs["metadata"]["namespace"] == "default"
    assert account.inputs["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/builder"
    }


def test_kubeconfig_path_expands_home(existing_config: dict[str, Any]) -> None:
    import os

    run = run_program(existing_config)
    provider = run.one("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == os.path.expanduser("~/.kube/config")
    assert provider.inputs["context"] == "acme-gpu"
