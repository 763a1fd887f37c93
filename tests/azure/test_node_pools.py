"""Node pools: the labels, taints and GPU drivers the chart's selectors and the accelerator
catalog call for."""

from __future__ import annotations

from components import accelerators
from tests.azure.helpers import POOL, AzureRun, azure_config, run_azure


def test_cpu_pool_is_labelled_for_the_cpu_image_cache(prod: AzureRun) -> None:
    cpu = prod.one(POOL, "platform-nodes-cpu").inputs
    assert cpu["nodeLabels"][accelerators.CPU_ONLY_LABEL] == "true"
    assert cpu["nodeLabels"][accelerators.LIFECYCLE_LABEL] == "normal"


def test_gpu_pools_carry_the_chart_label_taint_and_scale_from_zero(prod: AzureRun) -> None:
    pools = {r.name: r.inputs for r in prod.of_type(POOL)}
    a100 = pools["platform-nodes-gpu-a100"]
    h100 = pools["platform-nodes-gpu-h100"]
    assert a100["vmSize"] == "Standard_NC24ads_A100_v4"
    assert a100["nodeLabels"][accelerators.ACCELERATOR_LABEL] == "nvidia-ampere-a100e"
    assert h100["vmSize"] == "Standard_ND96isr_H100_v5"
    assert h100["nodeLabels"][accelerators.ACCELERATOR_LABEL] == "nvidia-hopper-h100"
    for pool in (a100, h100):
        assert pool["nodeLabels"][accelerators.LIFECYCLE_LABEL] == "normal"
        assert pool["nodeTaints"] == ["nvidia.com/gpu=present:NoSchedule"]
        assert pool["enableAutoScaling"] is True
    # The A100 pool starts with the node its balloon keeps warm; the H100 pool from zero.
    assert (a100["minCount"], a100["count"], h100["minCount"]) == (1, 1, 0)
    # The balloons and devices the chart gets select exactly these labels.
    balloons = {b["acceleratorName"] for b in prod.values["balloons"]} - {"cpu"}
    assert balloons == {p["nodeLabels"][accelerators.ACCELERATOR_LABEL] for p in (a100, h100)}


def test_mig_pool_gets_the_mig_layout_label() -> None:
    config = azure_config()
    config["model-engine-infra:gpu"]["pools"].append(
        {"name": "slices", "accelerator": "h100-1g20gb", "maxSize": 1}
    )
    run = run_azure(config)
    pool = run.one(POOL, "platform-nodes-gpu-slices").inputs
    assert pool["nodeLabels"][accelerators.MIG_CONFIG_LABEL] == "all-1g.20gb"
    assert pool["vmSize"] == "Standard_ND96isr_H100_v5"


def test_aks_installs_the_gpu_driver_unless_the_gpu_operator_does() -> None:
    """One driver per node: AKS's (gpuProfile.driver Install) by default; None when the
    stack has the GPU operator install its own (addons.nvidia.installDriver)."""
    config = azure_config()
    config["model-engine-infra:addons"] = {
        "nvidia": {"mode": "gpu-operator", "installDriver": True}
    }
    run = run_azure(config)
    pools = [p.inputs for p in run.of_type(POOL) if "-gpu-" in p.name]
    assert pools
    for pool in pools:
        assert pool["gpuProfile"] == {"driver": "None"}
    # The CPU pool has no GPU to drive.
    assert "gpuProfile" not in run.one(POOL, "platform-nodes-cpu").inputs
