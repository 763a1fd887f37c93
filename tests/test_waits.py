"""Every wait the program asks for outlasts its worst case (components/waits.py), and none
waits on GPU capacity."""

from __future__ import annotations

import re
from typing import Any, cast

import pytest

from components import accelerators, propagation, waits
from components.aws import facts as aws_facts
from components.azure import facts as azure_facts
from components.azure import kubeconfig
from components.platforms import PLATFORMS
from components.settings_base import SettingsError
from components.settings_loader import settings_from_config
from plan.simulator import ProgramRun, RecordedResource, run_program
from tests.conftest import stack_file
from tests.helpers import set_path, settings_from

JOB = "kubernetes:batch/v1:Job"
RELEASE = "kubernetes:helm.sh/v3:Release"
CNPG_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster"
STACKS = ("customer-prod", "azure-prod", "local")


@pytest.fixture(scope="module")
def runs() -> dict[str, ProgramRun]:
    return {s: run_program(stack_file(s), stack=s) for s in STACKS}


def seconds(duration: str) -> int:
    unit = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * unit[u] for n, u in re.findall(r"(\d+)([hms])", duration))


def warm_up_jobs(runs: dict[str, ProgramRun]) -> list[tuple[str, RecordedResource]]:
    return [(s, j) for s, run in runs.items() for j in run.of_type(JOB) if "warm-up" in j.name]


def test_every_fixed_wait_outlasts_its_worst_case() -> None:
    for wait in waits.fixed():
        assert wait.timeout_s > wait.worst_case_s, wait


def test_the_warm_up_budget_grows_with_its_images() -> None:
    one = waits.warm_up(["vllm_repository"])
    three = waits.warm_up(["vllm_repository", "tgi_repository", "tensorrt_llm_repository"])
    assert one.wait.worst_case_s < three.wait.worst_case_s
    for budget in (one, three):
        assert budget.wait.worst_case_s < budget.active_deadline_s < budget.wait.timeout_s
    # 15 GB through a cold cache at 20 MB/s is 750 s before unpacking: far past the
    # provider's default 10 minutes.
    assert one.wait.worst_case_s > 750


def test_the_warm_up_jobs_deadline_and_timeout_outlast_their_pulls(
    runs: dict[str, ProgramRun],
) -> None:
    jobs = warm_up_jobs(runs)
    assert {s for s, _ in jobs} == {"customer-prod", "azure-prod"}
    for stack, job in jobs:
        containers = job.inputs["spec"]["template"]["spec"]["containers"]
        # The least any image could take: the smallest size bound through the cold cache.
        least = len(containers) * min(waits.IMAGE_COMPRESSED_GB.values()) * 1000
        least /= waits.COLD_CACHE_MBPS
        deadline = job.inputs["spec"]["activeDeadlineSeconds"]
        assert deadline > least, stack
        # Past pulumi-kubernetes's default 10 minutes, and past the Job's own deadline, so
        # the Job's failure (with its reason) is what the deployer sees.
        for kind in ("create", "update"):
            assert seconds(job.custom_timeouts[kind]) > max(deadline, 600), (stack, kind)


def test_the_warm_up_never_waits_on_gpu_capacity(runs: dict[str, ProgramRun]) -> None:
    """It selects normal nodes and tolerates no taint; every GPU pool is tainted, so the
    pod neither lands on a GPU node nor makes the autoscaler grow a GPU pool for it."""
    for stack, job in warm_up_jobs(runs):
        pod = job.inputs["spec"]["template"]["spec"]
        assert pod["nodeSelector"] == {accelerators.CPU_ONLY_LABEL: "true"}, stack
        assert not pod.get("tolerations"), stack
        assert all(
            "nvidia.com/gpu" not in (c.get("resources") or {}).get("requests", {})
            for c in pod["containers"]
        )
        settings = settings_from_config(stack_file(stack))
        for pool in PLATFORMS[settings.cloud].gpu_pools(settings):
            assert any(t.effect == "NoSchedule" for t in pool.taints), (stack, pool.name)


def node_pool_labels(run: ProgramRun) -> dict[str, dict[str, str]]:
    """Each node group or pool the run registers, by name, with the labels its nodes get."""
    found = {}
    for r in run.resources:
        if r.type == "aws:eks/nodeGroup:NodeGroup":
            found[r.name] = r.inputs.get("labels") or {}
        elif r.type == "azure-native:containerservice:AgentPool":
            found[r.name] = r.inputs.get("nodeLabels") or {}
        elif r.type == "azure-native:containerservice:ManagedCluster":
            for profile in r.inputs.get("agentPoolProfiles", []):
                found[profile["name"]] = profile.get("nodeLabels") or {}
    return found


def test_the_warm_up_runs_only_on_the_cpu_pool(runs: dict[str, ProgramRun]) -> None:
    """The images take tens of GB: only the CPU pool, whose disk is checked to hold them,
    matches the Job's selector, not the system nodes (small disks) nor a GPU pool."""
    jobs = warm_up_jobs(runs)
    assert {s for s, _ in jobs} == {"customer-prod", "azure-prod"}
    for stack, job in jobs:
        selector = job.inputs["spec"]["template"]["spec"]["nodeSelector"]
        pools = node_pool_labels(runs[stack])
        matching = [n for n, labels in pools.items() if selector.items() <= labels.items()]
        assert matching == ["platform-nodes-cpu"], (stack, pools)


@pytest.mark.parametrize(
    ("stack", "group", "node_type", "disk_key"),
    [
        ("customer-prod", "aws.nodeGroups.cpu", {"instanceTypes": ["r6i.4xlarge"]}, "diskSizeGb"),
        ("azure-prod", "azure.nodePools.cpu", {"vmSize": "Standard_E16ds_v5"}, "osDiskSizeGb"),
    ],
)
def test_the_cpu_pool_disk_must_hold_the_warmed_images(
    stack: str, group: str, node_type: dict[str, Any], disk_key: str
) -> None:
    """Both examples warm two vLLM images (vllm, batch-infer-vllm): at most 15 GB compressed
    each, 2.4 times that unpacked beside them (28.6 GB unpacked per 12 GB compressed), about
    100 GB, plus the OS; 90% of 128 GB does not hold it, 90% of 200 GB does."""
    key = f"{group}.{disk_key}"
    checks = {"aws": aws_facts.check, "azure": azure_facts.check}
    for size, fits in ((128, False), (200, True)):
        config = stack_file(stack)
        set_path(
            config,
            group,
            {**node_type, "minSize" if stack == "customer-prod" else "minCount": 1, disk_key: size},
        )
        settings = settings_from(config)
        try:
            checks[settings.cloud](settings)
            message = ""
        except SettingsError as error:
            message = str(error)
        if fits:
            assert key not in message, message
        else:
            assert f"model-engine-infra:{key}: the registry warm-up pulls 2 image(s)" in message


def test_every_release_outlasts_its_worst_case(runs: dict[str, ProgramRun]) -> None:
    for stack, run in runs.items():
        releases = run.of_type(RELEASE)
        assert releases, stack
        for release in releases:
            worst = (
                waits.MODEL_ENGINE_RELEASE_WORST_S
                if release.name == "model-engine-chart"
                else waits.ADDON_RELEASE_WORST_S
            )
            assert release.inputs["timeout"] > worst, (stack, release.name)


def test_a_chart_timeout_below_the_worst_case_is_refused() -> None:
    config: dict[str, Any] = stack_file("customer-prod")
    set_path(config, "chart.timeoutSeconds", waits.MODEL_ENGINE_RELEASE_WORST_S)
    with pytest.raises(Exception, match=r"timeoutSeconds|timeout_seconds"):
        settings_from(config)


def test_the_postgres_cluster_wait_outlasts_its_worst_case(runs: dict[str, ProgramRun]) -> None:
    cluster = runs["local"].one(CNPG_CLUSTER)
    annotations = cluster.inputs["metadata"]["annotations"]
    assert annotations["pulumi.com/waitFor"] == "condition=Ready"
    assert int(annotations["pulumi.com/timeoutSeconds"]) > waits.POSTGRES_READY_WORST_S


def test_more_postgres_instances_than_the_wait_allows_are_refused() -> None:
    config = stack_file("local")
    database = config["model-engine-infra:existing"]["database"]
    database["install"]["instances"] = waits.POSTGRES_MAX_INSTANCES + 1
    with pytest.raises(Exception, match="budgeted for at most"):
        settings_from(config)


def test_the_aks_kubeconfig_waits_out_rbac_propagation(monkeypatch: pytest.MonkeyPatch) -> None:
    held: list[Any] = []
    monkeypatch.setattr(propagation, "after_created", lambda *args: held.append(args))
    kubeconfig.after_rbac_applies(cast(Any, "kubeconfig"), [])
    ((_value, _created, delay, _what),) = held
    assert delay > waits.RBAC_PROPAGATION_WORST
    assert waits.RBAC_PROPAGATION_WORST.total_seconds() >= 5 * 60


def test_the_warm_up_counts_one_repository_per_image() -> None:
    """The timeout is computed from the repositories; a container it does not count would
    make the budget too short."""

    from components.warm_up import pull_container, warm_up_job

    containers = [pull_container("a", "x/vllm:1"), pull_container("b", "x/tgi:1")]
    with pytest.raises(ValueError, match="2 containers but 1 repositories"):
        warm_up_job(
            "w",
            containers,
            parent=None,  # type: ignore[arg-type]
            provider=None,  # type: ignore[arg-type]
            depends_on=[],
            repositories=["vllm_repository"],
        )
