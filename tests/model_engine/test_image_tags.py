"""The framework tags the server resolves by default are tags the registry holds.

A create without inference_framework_image_tag resolves "latest" through the chart's
inferenceFramework (a pre-install ConfigMap); each key is derived from the tags the stack warms
or declares, a stack with GPU pools and no vLLM tag is refused before any resource, and the
capability rows and the must-hold list say what the server will do with the rest. The rows'
server facts are read from the pinned server and chart, so a row fails when they change.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import ValidationError

from components.aws.identity import inference_policy
from components.model_engine import capabilities, image_tags
from components.model_engine import chart_facts as cf
from components.program import check
from components.settings_base import SettingsError
from plan.simulator import ProgramRun, run_program
from tests.aws.helpers import prod_config
from tests.chart.support import require_chart
from tests.conftest import stack_file
from tests.gcp.helpers import gcp_config
from tests.helpers import KEY, delete_path, set_path, settings_from
from tests.server_source import server_file

ENDPOINTS = "Sync and streaming LLM endpoints"


@pytest.fixture(scope="module")
def prod() -> ProgramRun:
    return run_program(stack_file("customer-prod"), stack="customer-prod")


def _row(values: dict[str, Any], feature: str) -> capabilities.Capability:
    return next(r for r in capabilities.capabilities(values) if r.feature == feature)


# -- derived from what the stack warms or declares ----------------------------------------------


def test_customer_prod_defaults_are_tags_the_warm_up_pulls(prod: ProgramRun) -> None:
    # Read off the stack file, not the code: what the operator asked the cache to warm.
    warm = stack_file("customer-prod")[f"{KEY}aws"]["registry"]["upstream"]["warm"]
    defaults = prod.values["inferenceFramework"]
    assert defaults["vllm"] == "0.10.1" and defaults["vllm"] in warm["vllm_repository"]
    batch = warm["batch_inference_vllm_repository"]
    assert defaults["vllm_batch"] == defaults["vllm_batch_v2"] == batch
    # Nothing warms TGI, LightLLM or TensorRT-LLM: no key, never an invented tag.
    assert set(defaults) == {"vllm", "vllm_batch", "vllm_batch_v2"}
    job = prod.one("kubernetes:batch/v1:Job", "platform-registry-warm-up")
    pulled = {c["image"] for c in job.inputs["spec"]["template"]["spec"]["containers"]}
    host = prod.values["config"]["values"]["infra"]["docker_repo_prefix"]
    launch = prod.values["config"]["values"]["launch"]
    assert f"{host}/{launch['vllm_repository']}:{defaults['vllm']}" in pulled


def test_the_first_tag_listed_is_the_default_and_declared_tags_count(
    gcp_settings_config: dict[str, Any],
) -> None:
    set_path(gcp_settings_config, "inferenceImageTags", {"vllm_repository": ["0.11.0", "0.10.1"]})
    values = run_program(gcp_settings_config).values
    assert values["inferenceFramework"] == {"vllm": "0.11.0"}


@pytest.fixture
def gcp_settings_config() -> dict[str, Any]:
    return gcp_config()


def test_must_hold_list_names_repository_tag_pairs(prod: ProgramRun) -> None:
    rows = dict(capabilities.must_hold_images(prod.values))
    host = prod.values["config"]["values"]["infra"]["docker_repo_prefix"]
    assert set(rows) == {
        f"{host}/model-engine-upstream/customer-ml/llm-engine/batch-infer-vllm:0.10.1",
        f"{host}/model-engine-upstream/customer-ml/vllm:0.10.1",
    }


# -- refused when the default framework has no tag -----------------------------------------------


def test_aws_stack_without_a_vllm_tag_is_refused_naming_the_keys() -> None:
    config = prod_config()
    delete_path(config, "aws.registry.upstream.warm.vllm_repository")
    with pytest.raises(SettingsError) as e:
        check(settings_from(config))
    message = str(e.value)
    assert "aws.registry.upstream.warm.vllm_repository" in message
    assert "inferenceImageTags.vllm_repository" in message


def test_refused_before_any_resource_exists() -> None:
    config = gcp_config()
    delete_path(config, "inferenceImageTags")
    recorded: list[Any] = []
    with pytest.raises(Exception, match=r"inferenceImageTags\.vllm_repository"):
        run_program(config, recorded=recorded)
    assert recorded == []


def test_no_gpu_pool_needs_no_framework_tag() -> None:
    # The local stack has no GPU pool: no LLM endpoint, nothing to resolve.
    assert "inferenceImageTags" not in str(stack_file("local"))
    check(settings_from(stack_file("local")))


def test_unknown_repository_keys_are_refused() -> None:
    config = gcp_config()
    set_path(config, "inferenceImageTags", {"vllm": "0.10.1"})
    with pytest.raises(ValidationError, match="inferenceImageTags") as e:
        settings_from(config)
    assert "vllm_repository" in str(e.value)


# -- the capability rows, against what the server does -------------------------------------------


def test_endpoints_are_partly_while_frameworks_have_no_tag(prod: ProgramRun) -> None:
    row = _row(prod.values, ENDPOINTS)
    assert row.works == "partly"
    for framework in ("text_generation_inference", "lightllm", "tensorrt_llm"):
        assert framework in row.why
    assert "vllm 0.10.1" in row.why and "inferenceImageTags" in row.operator


def test_endpoints_work_once_every_framework_has_a_tag() -> None:
    config = gcp_config()
    set_path(
        config,
        "inferenceImageTags",
        {
            "vllm_repository": "0.10.1",
            "tgi_repository": "2.0.4",
            "lightllm_repository": "v1.0",
            "tensorrt_llm_repository": "0.10.0",
        },
    )
    row = _row(run_program(config).values, ENDPOINTS)
    assert row.works == "yes", row


def test_server_resolves_latest_through_the_configmap_the_chart_writes() -> None:
    dto = server_file("common/dtos/llms/model_endpoints.py")
    assert 'inference_framework_image_tag: str = "latest"' in dto
    use_cases = server_file("domain/use_cases/llm_model_endpoint_use_cases.py")
    assert 'f"{SERVICE_NAME}-inference-framework-latest-config"' in use_cases
    assert 'if request.inference_framework_image_tag == "latest":' in use_cases
    assert 'batch_key = f"{inference_framework}_batch"' in use_cases
    template = (require_chart() / "templates" / "inference_framework_config.yaml").read_text()
    keys = set(
        re.findall(
            r"^  (\w+): \{\{ \.Values\.inferenceFramework\.\1 \| default \"latest\"", template, re.M
        )
    )
    # Every key derived is one the chart writes (and defaults to "latest" when not given).
    assert set(image_tags.FRAMEWORK_REPOSITORIES) <= keys
    assert "sglang" not in keys  # why SGLang creates must name their tag


def test_default_framework_is_the_one_a_create_gets() -> None:
    dto = server_file("common/dtos/llms/model_endpoints.py")
    assert re.search(
        r"class CreateVLLMModelEndpointRequest\(.*?inference_framework: Literal\["
        r"LLMInferenceFramework\.VLLM\] = LLMInferenceFramework\.VLLM",
        dto,
        re.S,
    )
    assert image_tags.DEFAULT_FRAMEWORK == "vllm"


def test_batch_jobs_run_as_the_inference_role_that_writes_two_prefixes(prod: ProgramRun) -> None:
    row = _row(prod.values, "Batch jobs and fine-tuning on object storage")
    assert row.works == "partly"
    template = (require_chart() / "templates" / "service_template_config_map.yaml").read_text()
    job = template[template.index("docker-image-batch-job-{{- $device }}.yaml") :]
    assert "serviceAccountName: {{ $service_template_service_account_name }}" in job
    assert prod.values["serviceTemplate"]["serviceAccountName"] == "model-engine-inference"
    policy = inference_policy("aws", "us-west-2", "123456789012", "arn:aws:s3:::b", "k")
    (writes,) = [s for s in json.loads(policy)["Statement"] if s["Sid"] == "WriteResults"]
    prefixes = [r.removeprefix("arn:aws:s3:::b/").removesuffix("*") for r in writes["Resource"]]
    assert prefixes == ["tmp/", "fine_tuned_weights/"]
    assert all(p in row.why for p in prefixes)


def test_gcp_image_builds_run_the_ecr_and_s3_clients() -> None:
    tasks = server_file("service_builder/tasks_v1.py")
    assert "        docker_repository = ECRDockerRepository()" in tasks
    assert "GARDockerRepository" not in tasks
    assert "else S3FilesystemGateway()" in tasks
    row = _row(run_program(gcp_config()).values, "Image builds (custom bundles, kaniko)")
    assert row.works == "no"
    assert "ECRDockerRepository" in row.why and "tasks_v1.py" in row.why


def test_image_cache_devices_with_a_fixed_list_of_missing_images_are_off(
    prod: ProgramRun,
) -> None:
    service = server_file("infra/services/image_cache_service.py")
    fixed = service[
        service.index("def _cache_finetune_llm_images") : service.index("async def execute")
    ]
    (keys,) = re.findall(r"for key in \[(.*?)\]:", fixed)
    assert set(re.findall(r'"(\w+)"', keys)) == cf.FIXED_PREPULL_DEVICES
    for tag in ('"1.1.0"', '"0.2.7"', '"0.3.2"', "GIT_TAG"):
        assert tag in fixed
    devices = {d["name"] for d in prod.values["imageCache"]["devices"]}
    assert devices == {"cpu"}  # the example's A10 and H100 pools get none
    gcp = {d["name"] for d in run_program(gcp_config()).values["imageCache"]["devices"]}
    assert gcp == {"cpu", "t4"}  # T4 gets no fixed list: its device stays
