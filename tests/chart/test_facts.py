"""The program's facts about the chart are the chart's: each constant is compared with the
chart's templates, its values files or what it renders, never with itself."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from components import accelerators
from components.model_engine import chart_facts as cf
from components.model_engine.derive import REFERENCE_MODELS, REFERENCE_TIERS
from tests.chart.support import StackRender, chart_yaml, sample_repositories
from tests.chart.template_refs import References


def test_the_chart_names_the_inference_repositories(sample: dict[str, Any]) -> None:
    chart = sample_repositories(sample)
    assert chart, "values_sample.yaml names no repositories"
    for key, name in chart.items():
        assert cf.INFERENCE_REPOSITORIES.get(key) == name, key


def _pulled(stack: StackRender, value: str) -> str:
    """The image reference the server builds from a repository value: docker_repo_prefix
    + "/" + the value, unless the value already carries the prefix. A value known only after
    deploy (an ECR repository's URL or name) is read from the repository it names."""
    prefix = stack.infra["docker_repo_prefix"]
    m = re.fullmatch(r"<after-deploy (\S+) (\S+)\.(repositoryUrl|name)>", value)
    if m:
        value = stack.run.one(m.group(1), m.group(2)).inputs["name"]
    return value if value.startswith(f"{prefix}/") else f"{prefix}/{value}"


def test_the_server_pulls_each_image_from_the_chart_repository(
    stack: StackRender, sample: dict[str, Any]
) -> None:
    """Each image is the chart's repository, under the registry prefix exactly once. A
    platform may put it under a path of its own (an ECR path prefix or pull-through cache
    prefix) or flatten it (Artifact Registry names cannot nest for the server's lookup)."""
    prefix = stack.infra["docker_repo_prefix"]
    for key, name in sample_repositories(sample).items():
        pulled = _pulled(stack, stack.launch[key])
        assert pulled.startswith(f"{prefix}/") and pulled.count(prefix) == 1, (key, pulled)
        assert pulled.endswith(("/" + name, "/" + name.replace("/", "-"))), (key, pulled)


def test_reference_hardware_is_the_charts(chart: Path, sample: dict[str, Any]) -> None:
    """values_sample.yaml repeats gpu_memory_le 640 on its two-node row, which makes that row
    unreachable; the program uses upstream CI's table (values_circleci.yaml), which has 1280."""
    upstream_ci = chart_yaml(chart, "values_circleci.yaml")["recommendedHardware"]
    assert [t.model_dump() for t in REFERENCE_TIERS] == upstream_ci["byGpuMemoryGb"]
    models = [m.model_dump() for m in REFERENCE_MODELS]
    assert models == upstream_ci["byModelName"] == sample["recommendedHardware"]["byModelName"]
    # The sample differs from CI only in that unreachable row.
    differing = [
        (a, b)
        for a, b in zip(
            sample["recommendedHardware"]["byGpuMemoryGb"],
            upstream_ci["byGpuMemoryGb"],
            strict=True,
        )
        if a != b
    ]
    assert [(a["gpu_memory_le"], a["nodes_per_worker"]) for a, _ in differing] == [(640, 2)]


def test_accelerator_labels_and_image_cache_devices_are_the_charts(sample: dict[str, Any]) -> None:
    devices = {d["name"]: d["nodeSelector"] for d in sample["imageCache"]["devices"]}
    assert devices.pop("cpu") == {accelerators.CPU_ONLY_LABEL: "true"}
    by_device = {
        a.image_cache_device: a for a in accelerators.CATALOG.values() if a.image_cache_device
    }
    assert set(by_device) == set(devices)
    for name, selector in devices.items():
        assert selector == {accelerators.ACCELERATOR_LABEL: by_device[name].label_value}, name
    assert {"cpu", *devices} == accelerators.IMAGE_CACHE_DEVICES
    for balloon in sample["balloons"]:
        if balloon["acceleratorName"] != "cpu":
            assert balloon["acceleratorName"] in accelerators.BY_LABEL


def test_service_account_facts_are_the_charts(stack: StackRender, sample: dict[str, Any]) -> None:
    hook = {k: v for k, v in sample["serviceAccount"]["annotations"].items() if "helm.sh" in k}
    assert dict(cf.SERVICE_ACCOUNT_HOOK) == hook
    assert sample["serviceTemplate"]["serviceAccountName"] == cf.INFERENCE_SERVICE_ACCOUNT
    gateway = stack.rendered.get("Deployment", "model-engine")
    assert (
        gateway.body["spec"]["template"]["spec"]["serviceAccountName"]
        == cf.CONTROL_PLANE_SERVICE_ACCOUNT
    )
    builders = {
        o.name
        for o in stack.rendered.of_kind("ServiceAccount")
        if o.template == "templates/service_account_image_builder.yaml"
    }
    assert builders == {cf.IMAGE_BUILDER_SERVICE_ACCOUNT}


def test_aws_config_path_is_where_the_chart_mounts_it(stack: StackRender) -> None:
    # Batch jobs hard-code the path on every platform (forwarders and endpoints too, when the
    # AWS profile is mounted): the values' mountPath must be the same.
    job = stack.service_templates["docker-image-batch-job-cpu.yaml"]
    env = {
        e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["AWS_CONFIG_FILE"] == cf.AWS_CONFIG_MOUNT_PATH


def test_concurrency_metric_is_the_one_the_hpas_read(stack: StackRender) -> None:
    hpa = stack.rendered.get("HorizontalPodAutoscaler", "model-engine")
    assert hpa.body["spec"]["metrics"][0]["pods"]["metric"]["name"] == cf.CONCURRENCY_METRIC
    endpoint_hpa = stack.service_templates["horizontal-pod-autoscaler.yaml"]
    assert endpoint_hpa["spec"]["metrics"][0]["pods"]["metric"]["name"] == cf.CONCURRENCY_METRIC


def test_forbidden_top_level_keys_are_read_by_the_chart(refs: References) -> None:
    for key in cf.FORBIDDEN_TOP_LEVEL:
        assert (key,) in refs.exact, key


def _without(values: dict[str, Any], key: str) -> dict[str, Any]:
    out = copy.deepcopy(values)
    out.pop(key, None)
    return out


def _renders(chart: Path, values: dict[str, Any]) -> bool:
    import helm_python as helm

    with helm.Chart.load(chart) as loaded:
        try:
            loaded.render(values=values, name="model-engine", namespace="model-engine")
        except helm.HelmRenderError:
            return False
    return True


def test_required_top_level_values_are_the_ones_the_chart_cannot_render_without(
    stack: StackRender, chart: Path
) -> None:
    """Each value in REQUIRED_TOP_LEVEL: without it `helm template` fails; every other value
    the program sets can be left out (the chart default or nothing is used)."""
    assert _renders(chart, stack.values)
    needed = {key for key in stack.values if not _renders(chart, _without(stack.values, key))}
    assert needed == set(cf.REQUIRED_TOP_LEVEL) & set(stack.values)
    assert set(cf.REQUIRED_TOP_LEVEL) <= set(stack.values)


def test_chart_version_of_the_folder(chart: Path) -> None:
    """The folder is the chart this program was written against (Chart.yaml, not a constant
    of the program): chart 0.2.7 of scaleapi/llm-engine."""
    meta = chart_yaml(chart, "Chart.yaml")
    assert (meta["name"], meta["version"]) == ("model-engine", "0.2.7")


def test_the_plan_renders_the_chart_and_lists_the_hooks(
    chart: Path, capsys: Any, monkeypatch: Any
) -> None:
    from plan.cli import main

    monkeypatch.setenv("MODEL_ENGINE_CHART", str(chart))
    assert main(["--stack", "existing-infra"]) == 0
    out = capsys.readouterr().out
    section = out.split("## The chart, rendered with these values\n", 1)[1]
    assert "  Deployment: " in section
    assert "Job/model-engine-database-migration-1 (pre-install,pre-upgrade)" in section
