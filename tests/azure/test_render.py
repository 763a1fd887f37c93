"""The azure-prod values render with the real chart (helm-python-sdk, when installed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components import fit, instances
from tests.azure.helpers import CLUSTER, IDENTITY, POOL, AzureRun

CHART = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "model-engine-chart"


def _chart_dir() -> Path:
    import os

    path = Path(os.environ.get("MODEL_ENGINE_CHART", str(CHART)))
    if not (path / "Chart.yaml").exists():
        pytest.skip(f"no model-engine chart at {path} (set MODEL_ENGINE_CHART)")
    return path


def _rendered(values: dict[str, Any]) -> list[dict[str, Any]]:
    helm = pytest.importorskip("helm_python.chart")
    chart = helm.Chart.load(str(_chart_dir()))
    out = chart.render(values, name="model-engine", namespace="model-engine", is_install=True)
    return [d for text in out.values() for d in yaml.safe_load_all(text) if d]


def test_chart_renders_azure_identities_and_no_istio_telemetry(prod: AzureRun) -> None:
    docs = _rendered(prod.values)
    kinds = {d["kind"] for d in docs}
    assert not kinds & {"Telemetry", "WasmPlugin"}
    control = prod.state(IDENTITY, "platform-identity-control-plane")
    inference = prod.state(IDENTITY, "platform-identity-inference")
    accounts = {
        (d["metadata"]["namespace"], d["metadata"]["name"]): d["metadata"].get("annotations") or {}
        for d in docs
        if d["kind"] == "ServiceAccount" and d["metadata"]["name"] == "model-engine"
    }
    client = "azure.workload.identity/client-id"
    assert accounts[("model-engine", "model-engine")][client] == control["clientId"]
    assert accounts[("llm-engine", "model-engine")][client] == inference["clientId"]
    (trigger,) = [d for d in docs if d["kind"] == "TriggerAuthentication"]
    assert trigger["spec"]["podIdentity"] == {
        "provider": "azure-workload",
        "identityId": control["clientId"],
    }
    (autoscaler,) = [d for d in docs if d["kind"] == "StatefulSet"]
    assert autoscaler["metadata"]["name"] == "celery-autoscaler-servicebus"


# Standard_E16ds_v5, the CPU pool's default size: 16 vCPUs, 128 GiB, 600 GiB temporary disk,
# 12.5 Gbps ("Edsv5 sizes", learn.microsoft.com/azure/virtual-machines/sizes/memory-optimized/
# edsv5-series); its 128 GB OS disk holds the kubelet's data.
CPU_POOL_NODE = instances.NodeType(16, 128, 600, 12.5)
CONTROL_PLANE = ("model-engine", "model-engine-endpoint-builder", "model-engine-cacher")


def _pod_specs(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    workloads = ("Deployment", "StatefulSet", "DaemonSet", "Job")
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in docs if d["kind"] in workloads
    }


def _requests(spec: dict[str, Any]) -> fit.Resources:
    total = fit.Resources()
    for container in spec["containers"]:
        asked = (container.get("resources") or {}).get("requests") or {}
        total = total + fit.Resources(
            cpu_m=fit.millicores(asked.get("cpu", 0)),
            memory_mi=fit.mebibytes(asked.get("memory", 0)),
        )
    return total


def test_control_plane_schedules_on_the_cpu_pool_not_the_system_pool(prod: AzureRun) -> None:
    """The system pool is tainted CriticalAddonsOnly and carries no labels: the gateway, the
    endpoint builder and the cacher tolerate no such taint and select the CPU pool's labels,
    and each fits one of its nodes. A pod that does tolerate it (the chart's celery
    autoscaler) still selects node-lifecycle: normal, which only the CPU and GPU pools carry."""
    (system,) = prod.one(CLUSTER, "platform-cluster-aks").inputs["agentPoolProfiles"]
    system_labels = system.get("nodeLabels") or {}
    cpu = prod.one(POOL, "platform-nodes-cpu").inputs
    assert cpu["vmSize"] == "Standard_E16ds_v5"
    node = fit.allocatable("azure", CPU_POOL_NODE, 0, cpu["osDiskSizeGB"])
    specs = _pod_specs(_rendered(prod.values))
    for name in CONTROL_PLANE:
        spec = specs[name]
        keys = {t.get("key") for t in spec.get("tolerations") or []}
        assert "CriticalAddonsOnly" not in keys, name
        assert spec["nodeSelector"].items() <= cpu["nodeLabels"].items(), name
        assert fit.shortfall(_requests(spec), node) == [], name
    for name, spec in specs.items():
        selector = (spec.get("nodeSelector") or {}).items()
        assert selector and not selector <= system_labels.items(), name
