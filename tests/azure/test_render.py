"""The azure-prod values render with the real chart (helm-python-sdk, when installed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.azure.helpers import IDENTITY, AzureRun

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
