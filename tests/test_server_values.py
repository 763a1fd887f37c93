"""Values the pinned server really accepts (checked against its code, not only the chart).

Each test fails on the derivation before the fix: full repository references, the dropped
infra key `s3_endpoint_url`, an S3 result backend on a Redis broker, a celery autoscaler or a
cacher that cannot run, passwords that break the migration, hosts written as URLs.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pulumi
import pytest

from components.existing import facts as existing
from components.model_engine import capabilities, guards
from components.model_engine import chart_facts as cf
from components.model_engine.derive import SecretRefs, derive
from components.settings import StackSettings
from components.settings_base import PROJECT, SettingsError
from plan.simulator import ProgramRun, run_program
from tests.aws.helpers import prod_config
from tests.gcp.helpers import gcp_config
from tests.helpers import set_path, settings_from

Values = dict[str, Any]
# The Redis broker's visibility apps use DBs 0-3 (server core/celery/app.py TaskVisibility)
# and derive puts the cache in DB 15: the result backend must use neither.
TAKEN_DBS = {0, 1, 2, 3, 15}


@pytest.fixture
def run(existing_config: dict[str, Any]) -> ProgramRun:
    return run_program(existing_config)


def _values(settings: StackSettings) -> Values:
    pools = existing.gpu_pools(settings)
    return derive(existing.preview_facts(settings), settings, pools, SecretRefs(database="db"))


def _guard_errors(values: Values, settings: StackSettings) -> dict[str, str]:
    found: dict[str, str] = {}
    for f in guards.check(values, settings, existing.gpu_pools(settings)):
        if f.level == "error":
            found[f.path] = f"{found.get(f.path, '')} {f.message}".strip()
    return found


# -- 1. repository values: names under docker_repo_prefix ------------------------------


def test_server_image_reference_does_not_double_the_host(run: ProgramRun) -> None:
    infra = run.values["config"]["values"]["infra"]
    launch = run.values["config"]["values"]["launch"]
    prefix = infra["docker_repo_prefix"]
    for key in cf.INFERENCE_REPOSITORIES:
        # What image_exists, batch jobs and the image cache build (server: prefix + "/" + name).
        reference = f"{prefix}/{launch[key]}"
        assert reference.count("harbor.acme.internal") == 1, reference


def test_operator_repository_overrides_are_relative(existing_config: dict[str, Any]) -> None:
    set_path(existing_config, "existing.repositories", {"vllm_repository": "team/vllm-0.10"})
    assert (
        run_program(existing_config).values["config"]["values"]["launch"]["vllm_repository"]
        == "team/vllm-0.10"
    )
    set_path(
        existing_config,
        "existing.repositories",
        {"vllm_repository": "harbor.acme.internal/model-engine/vllm"},
    )
    with pytest.raises(pulumi.RunError) as e:
        run_program(existing_config)
    assert f"{PROJECT}:existing" in str(e.value) and "registry host" in str(e.value)


def test_guard_names_the_override_that_carries_a_host(existing_config: dict[str, Any]) -> None:
    set_path(
        existing_config,
        "chartValues",
        {"config": {"values": {"launch": {"tgi_repository": "localhost:5000/tgi"}}}},
    )
    with pytest.raises(pulumi.RunError) as e:
        run_program(existing_config)
    message = str(e.value)
    assert "chartValues.config.values.launch.tgi_repository" in message
    assert "DockerImageNotFound" in message


# -- 2. S3-compatible storage reaches every pod the chart allows ------------------------


def test_s3_endpoint_is_the_top_level_chart_value(run: ProgramRun) -> None:
    values = run.values
    assert values["s3EndpointUrl"] == "https://minio.acme.internal"
    assert "s3_endpoint_url" not in values["config"]["values"]["infra"]
    assert "S3_ENDPOINT_URL" not in {e["name"] for e in values["extraEnvVars"]}
    # The keys: control plane through extraEnvVars, endpoint containers through envFrom.
    secret_env = {e["name"] for e in values["extraEnvVars"] if "valueFrom" in e}
    assert secret_env == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert values["extraPodEnvFrom"] == [{"secretRef": {"name": "model-engine-platform-env"}}]


@pytest.mark.parametrize("key", sorted(cf.DROPPED_INFRA_KEYS))
def test_infra_keys_the_server_drops_are_refused(existing_config: dict[str, Any], key: str) -> None:
    settings = settings_from(existing_config)
    values = _values(settings)
    values["config"]["values"]["infra"][key] = "x"
    assert f"config.values.infra.{key}" in _guard_errors(values, settings)


# -- 3. Celery on a Redis broker ------------------------------------------------------


def test_redis_broker_gets_a_result_backend_on_a_db_of_its_own(run: ProgramRun) -> None:
    values = run.values
    backend = values["celeryResultBackend"]
    match = re.fullmatch(r"redis://redis\.data\.acme\.internal:6379/(\d+)", backend)
    assert match, backend
    assert int(match.group(1)) not in TAKEN_DBS
    assert values["redisHost"] == "redis.data.acme.internal"
    # The cache URL the server reads ends in its own DB.
    cache_db = int(values["config"]["values"]["launch"]["cache_redis_onprem_url"].rsplit("/", 1)[1])
    assert cache_db != int(match.group(1))


@pytest.mark.parametrize(
    ("backend", "words"),
    [
        (None, "Missing boto3 session"),
        ("redis://redis.data.acme.internal:6379/3", "used by the broker"),
        ("redis://redis.data.acme.internal:6379/15", "used by the broker"),
        ("s3://model-engine/celery", "must be redis://"),
        ("redis://:pw@redis.data.acme.internal:6379/4", "no credentials"),
    ],
)
def test_result_backend_guard(existing_config: dict[str, Any], backend: Any, words: str) -> None:
    settings = settings_from(existing_config)
    values = _values(settings)
    if backend is None:
        del values["celeryResultBackend"]
    else:
        values["celeryResultBackend"] = backend
    found = _guard_errors(values, settings)
    assert words in found.get("celeryResultBackend", ""), found


def test_celery_autoscaler_off_on_redis_with_the_reason(run: ProgramRun) -> None:
    assert run.values["celery_autoscaler"]["enabled"] is False
    assert any(
        line.startswith("warning:") and "celery_autoscaler.enabled" in line and "SQS" in line
        for line in run.logs
    )


def test_celery_autoscaler_forced_on_redis_is_refused(existing_config: dict[str, Any]) -> None:
    set_path(existing_config, "chartValues", {"celery_autoscaler": {"enabled": True}})
    with pytest.raises(pulumi.RunError) as e:
        run_program(existing_config)
    assert "chartValues.celery_autoscaler.enabled" in str(e.value)


def test_cacher_forced_on_a_registry_without_tag_lookup_is_refused(
    existing_config: dict[str, Any],
) -> None:
    set_path(existing_config, "chartValues", {"replicaCount": {"cacher": 1}})
    with pytest.raises(pulumi.RunError) as e:
        run_program(existing_config)
    assert "NotImplementedError" in str(e.value)


# -- 4. what the server cannot do, said plainly ----------------------------------------


def test_capability_table_never_claims_async_on_redis(run: ProgramRun) -> None:
    rows = {r.feature: r for r in capabilities.capabilities(run.values)}
    assert rows["Async endpoints"].works == "no"
    assert rows["Image builds (custom bundles, kaniko)"].works == "no"
    assert rows["Cacher (endpoint state cache, image pre-pull)"].works == "no"


def test_capability_table_follows_the_values(existing_config: dict[str, Any]) -> None:
    settings = settings_from(existing_config)
    values = _values(settings)
    sqs = copy.deepcopy(values)
    sqs["celeryBrokerType"] = "sqs"
    assert {r.feature: r.works for r in capabilities.capabilities(sqs)}["Async endpoints"] == "yes"
    generic = copy.deepcopy(values)
    generic["config"]["values"]["infra"]["docker_registry_type"] = "generic"
    row = capabilities.capabilities(generic)[0]
    assert row.works == "partly" and "anonymous" in row.why


def test_readme_carries_the_capability_table_of_each_example(run: ProgramRun) -> None:
    from tests.conftest import ROOT, stack_file

    readme = (ROOT / "README.md").read_text()
    aws_values = run_program(prod_config()).values
    azure_values = run_program(stack_file("azure-prod")).values
    gcp_values = run_program(gcp_config()).values
    local_values = run_program(stack_file("local")).values
    for values in (run.values, aws_values, azure_values, gcp_values, local_values):
        assert capabilities.markdown(capabilities.capabilities(values)) in readme


def test_plan_lists_repositories_that_must_hold_images(run: ProgramRun) -> None:
    rows = dict(capabilities.must_hold_images(run.values))
    # repository:tag, the tag the stack declares (inferenceImageTags in the example).
    assert "harbor.acme.internal/model-engine/vllm:0.10.1" in rows
    aws_rows = dict(capabilities.must_hold_images(run_program(prod_config()).values))
    batch = next(r for r in aws_rows if r.endswith("llm-engine/batch-infer-vllm:0.10.1"))
    assert "before install" in aws_rows[batch]


# -- 6. database credentials that alembic's config parser accepts ----------------------


@pytest.mark.parametrize("password", ["p%40ss", "p@ss", "pa ss", "p:ss/x"])
def test_unsafe_database_password_is_refused_without_echo(
    existing_config: dict[str, Any], password: str
) -> None:
    settings = settings_from(existing_config)
    pulumi.runtime.set_all_config(
        {f"{PROJECT}:databasePassword": password}, [f"{PROJECT}:databasePassword"]
    )
    try:
        with pytest.raises(SettingsError) as e:
            existing.check(settings)
    finally:
        pulumi.runtime.set_all_config({}, [])
    assert "databasePassword" in str(e.value)
    assert password not in str(e.value)


def test_url_safe_database_password_passes(existing_config: dict[str, Any]) -> None:
    settings = settings_from(existing_config)
    pulumi.runtime.set_all_config(
        {f"{PROJECT}:databasePassword": "Abc.def_ghi~jkl-123"}, [f"{PROJECT}:databasePassword"]
    )
    try:
        existing.check(settings)
    finally:
        pulumi.runtime.set_all_config({}, [])


# -- 7. bad stack files ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("existing.database.host", "postgresql://postgres.data.acme.internal:5432"),
        ("existing.redis.host", "redis://redis.data.acme.internal"),
        ("existing.database.user", "model%engine"),
    ],
)
def test_hosts_and_users_that_are_not_bare(
    existing_config: dict[str, Any], path: str, value: str
) -> None:
    set_path(existing_config, path, value)
    with pytest.raises(pulumi.RunError) as e:
        run_program(existing_config)
    assert f"{PROJECT}:{path}" in str(e.value)


def test_unknown_aws_region_names_the_nearest() -> None:
    config = prod_config()
    set_path(config, "aws.region", "us-west-3")
    with pytest.raises(pulumi.RunError) as e:
        run_program(config)
    message = str(e.value)
    assert f"{PROJECT}:aws.region" in message and "us-west-2" in message


def test_invalid_yaml_is_one_line_naming_file_and_line(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plan import cli

    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "Pulumi.broken.yaml").write_text("config:\n  a: 1\n   b: [\n")
    monkeypatch.setattr(cli, "ROOT", tmp_path)
    with pytest.raises(SystemExit) as e:
        cli.stack_config("broken")
    message = str(e.value)
    assert message.startswith("stacks/Pulumi.broken.yaml:3:") and "\n" not in message
