"""Starting a stack from an example keeps what `pulumi stack init` wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from plan import new_stack
from tests.conftest import ROOT

# What `pulumi stack init` writes with the passphrase secrets provider.
INIT = "encryptionsalt: v1:abc123:v1:def456\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "stacks").mkdir()
    for example in ("existing-infra", "customer-prod"):
        name = f"Pulumi.{example}.yaml"
        (tmp_path / "stacks" / name).write_text((ROOT / "stacks" / name).read_text())
    return tmp_path


def test_example_config_is_added_below_the_secrets_provider(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = root / "stacks" / "Pulumi.acme.yaml"
    target.write_text(INIT)
    assert new_stack.main(["--example", "existing-infra", "--stack", "acme"], root=root) == 0
    data = yaml.safe_load(target.read_text())
    assert data["encryptionsalt"] == "v1:abc123:v1:def456"
    example = yaml.safe_load((ROOT / "stacks" / "Pulumi.existing-infra.yaml").read_text())
    placeholders = {
        k for k, v in example["config"].items() if isinstance(v, dict) and "secure" in v
    }
    assert placeholders and not placeholders & set(data["config"])
    assert set(data["config"]) == set(example["config"]) - placeholders
    out = capsys.readouterr().out
    for key in placeholders:
        assert f"pulumi config set --secret {key.split(':')[1]} '<value>' -s acme" in out
    assert "# CHANGE" in out and "registryPrefix" in out


def test_refuses_without_stack_init_or_over_existing_config(root: Path) -> None:
    assert new_stack.main(["--example", "customer-prod", "--stack", "nope"], root=root) == 1
    target = root / "stacks" / "Pulumi.acme.yaml"
    target.write_text(INIT + "config:\n  model-engine-infra:cloud: aws\n")
    assert new_stack.main(["--example", "customer-prod", "--stack", "acme"], root=root) == 1
    assert target.read_text().endswith("cloud: aws\n")


def test_every_example_marks_what_a_deployment_must_change() -> None:
    found = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
    assert found
    for path in found:
        text = path.read_text()
        for key in ("model-engine-infra:environment:", "model-engine-infra:domain:"):
            line = next(line for line in text.splitlines() if key in line)
            assert new_stack.CHANGE_MARK in line, (path.name, key)
