"""`python -m plan --stack azure-prod`: the example plans offline, with its capability table."""

from __future__ import annotations

import pytest

from plan.cli import main


def test_azure_example_plans_offline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "azure-prod"]) == 0
    out = capsys.readouterr().out
    assert "model-engine-infra:azure:Platform  platform" in out
    assert "cloud_provider: azure" in out
    assert "## Findings\nnone" in out
    assert "| Files API (uploads; fine-tuning from file ids) | no |" in out
    # No cloud-side value is missing: the simulated Azure answers every output.
    assert "<after-deploy" not in out.split("## Chart values", 1)[1].split("## Findings", 1)[0]
