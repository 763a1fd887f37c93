"""`python -m plan --stack azure-prod`: the example plans offline, with its capability table."""

from __future__ import annotations

import pytest

from plan.cli import main


def test_azure_example_plans_offline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "azure-prod"]) == 0
    out = capsys.readouterr().out
    assert "model-engine-infra:azure:Platform  platform" in out
    assert "cloud_provider: azure" in out
    # The one finding: the 8-GPU H100 pool draws on-demand capacity with no reservation.
    findings = out.split("## Findings\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(findings) == 1, findings
    assert findings[0].startswith("warning: model-engine-infra:gpu.pools[1].capacity:")
    assert "Standard_ND96isr_H100_v5 on on-demand capacity with no reservation" in findings[0]
    assert "| Files API (uploads; fine-tuning from file ids) | no |" in out
    # No cloud-side value is missing: the simulated Azure answers every output.
    assert "<after-deploy" not in out.split("## Chart values", 1)[1].split("## Findings", 1)[0]
