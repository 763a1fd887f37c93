"""The offline plan, as an operator runs it: `python -m plan --stack NAME`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from plan.cli import main


def test_plan_prints_tree_values_and_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "existing-infra"]) == 0
    out = capsys.readouterr().out
    assert "## Resources" in out
    assert "kubernetes:helm.sh/v3:Release  model-engine-chart" in out
    # Children are indented under their component, in a stable order.
    component = out.index("model-engine-infra:index:ModelEngine  model-engine\n")
    child = out.index("\n  kubernetes:core/v1:Namespace  model-engine-release-ns\n")
    assert component < child
    assert out == _plan_again(capsys)
    assert "## Chart values" in out and "cloud_provider: onprem" in out
    assert "## Findings" in out


def _plan_again(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--stack", "existing-infra"]) == 0
    return capsys.readouterr().out


def test_plan_writes_values_and_resources(tmp_path: Path) -> None:
    values_file, json_file = tmp_path / "values.yaml", tmp_path / "plan.json"
    assert (
        main(
            [
                "--stack",
                "existing-infra",
                "--values-out",
                str(values_file),
                "--json",
                str(json_file),
            ]
        )
        == 0
    )
    values = yaml.safe_load(values_file.read_text())
    assert values["db"]["runDbMigrationScript"] is True
    assert values["replicaCount"] == {"gateway": 2, "cacher": 0, "builder": 1}  # ints, not 2.0

    resources = json.loads(json_file.read_text())
    by_name = {r["name"]: r for r in resources}
    release = by_name["model-engine-chart"]
    assert release["type"] == "kubernetes:helm.sh/v3:Release"
    assert release["parent"].endswith("::model-engine")
    assert any(d.endswith("::model-engine-database-release") for d in release["dependencies"])
    options = release["options"]
    assert set(options) == {
        "protect",
        "retainOnDelete",
        "customTimeouts",
        "dependsOn",
        "ignoreChanges",
        "deleteBeforeReplace",
    }
    assert options["dependsOn"] == release["dependencies"]
    secret = by_name["model-engine-database-release"]
    assert secret["inputs"]["stringData"] == "[secret]"
    assert "postgresql://" not in json_file.read_text()


def test_plan_json_carries_each_resources_options() -> None:
    """customer-prod: the warm-up Job's timeouts, the RDS instance kept and protected, the
    node groups' ignored desired size."""
    from plan.cli import resources_json, stack_config
    from plan.simulator import run_program

    resources = resources_json(run_program(stack_config("customer-prod"), stack="customer-prod"))
    by_name = {r["name"]: r["options"] for r in resources}
    assert set(by_name["platform-registry-warm-up"]["customTimeouts"]) == {"create", "update"}
    database = next(r["options"] for r in resources if r["type"] == "aws:rds/instance:Instance")
    assert database["protect"] and database["retainOnDelete"]
    assert by_name["platform-nodes-gpu-h100"]["ignoreChanges"] == ["scalingConfig.desiredSize"]


def test_plan_rejects_a_bad_stack_with_the_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import plan.cli as plan_main

    stacks = tmp_path / "stacks"
    stacks.mkdir()
    source = yaml.safe_load((plan_main.ROOT / "stacks" / "Pulumi.existing-infra.yaml").read_text())
    source["config"]["model-engine-infra:namespaces"] = {"release": "ml", "endpoints": "ml"}
    (stacks / "Pulumi.broken.yaml").write_text(yaml.safe_dump(source))
    monkeypatch.setattr(plan_main, "ROOT", tmp_path)
    assert main(["--stack", "broken"]) == 1
    err = capsys.readouterr().err
    assert "model-engine-infra:namespaces: release and endpoints must differ" in err


def test_plan_names_the_known_stacks_for_a_typo() -> None:
    with pytest.raises(SystemExit, match="existing-infra"):
        main(["--stack", "existing-infr"])


def test_plan_says_in_one_line_when_no_chart_is_there(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from plan import cli

    # Neither MODEL_ENGINE_CHART nor a checkout at the stack's chart.path.
    monkeypatch.setattr(cli, "chart_checkout", lambda config: None)
    assert main(["--stack", "existing-infra"]) == 0
    out = capsys.readouterr().out
    section = out.split("## The chart, rendered with these values\n", 1)[1].split("\n\n", 1)[0]
    assert section.startswith("not rendered: no chart checkout") and "\n" not in section.strip()


def test_plan_reports_a_render_error_as_a_finding(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from plan import render

    monkeypatch.setenv("MODEL_ENGINE_CHART", str(tmp_path))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("template: x.yaml:3: nil pointer evaluating .Values.secrets")

    monkeypatch.setattr(render, "render_chart", broken)
    assert main(["--stack", "existing-infra"]) == 1
    out = capsys.readouterr().out
    assert "error: the chart does not render with these values: template: x.yaml:3" in out
    # Off by flag.
    assert main(["--stack", "existing-infra", "--no-render"]) == 0
    assert "## The chart, rendered" not in capsys.readouterr().out


def test_fail_on_findings_turns_a_finding_into_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from plan import cli

    # existing-infra has a finding of its own: its onprem registry turns the cacher off.
    assert main(["--stack", "existing-infra", "--no-render", "--fail-on-findings"]) == 1
    assert "warning: replicaCount.cacher: 0" in capsys.readouterr().out
    # Without the flag a finding is reported, not fatal (`make plan` for an operator).
    assert main(["--stack", "existing-infra", "--no-render"]) == 0
    # A reviewed finding, listed as printed, no longer fails; another one still does.
    out = capsys.readouterr().out
    (accepted := tmp_path / "accepted.txt").write_text(
        "\n".join(line for line in out.splitlines() if line.startswith("warning:")) + "\n"
    )
    flags = ["--no-render", "--fail-on-findings", "--accept-findings", str(accepted)]
    assert main(["--stack", "existing-infra", *flags]) == 0
    real = cli.findings
    monkeypatch.setattr(cli, "findings", lambda run: [*real(run), "warning: gpu.pools: new"])
    assert main(["--stack", "existing-infra", *flags]) == 1
    assert "gpu.pools: new" in capsys.readouterr().err


ROOT_DIR = Path(__file__).parent.parent
# Everything the plan parses: the snapshots it compares against and the stack files it loads.
YAML_FILES = sorted([*(ROOT_DIR / "snapshots").glob("*/*.yaml"), *ROOT_DIR.glob("stacks/*.yaml")])


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_plan_reads_yaml_as_pyyaml_does(path: Path) -> None:
    """The plan parses YAML with libyaml (plan/fast_yaml.py): the same values as PyYAML's
    pure-Python parser."""
    from plan import fast_yaml

    text = path.read_text()
    assert fast_yaml.safe_load(text) == yaml.safe_load(text)


def test_a_malformed_stack_file_reads_as_pyyaml_words_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libyaml words its errors differently ("... not allowed in this context"): the plan
    reports PyYAML's own message and position."""
    import plan.cli as plan_main

    broken = "config:\n  model-engine-infra:domain: a: b\n"
    with pytest.raises(yaml.MarkedYAMLError) as expected:
        yaml.safe_load(broken)
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "Pulumi.broken.yaml").write_text(broken)
    monkeypatch.setattr(plan_main, "ROOT", tmp_path)
    with pytest.raises(SystemExit) as e:
        plan_main.stack_config("broken")
    mark = expected.value.problem_mark
    assert mark is not None
    assert str(e.value) == (
        f"stacks/Pulumi.broken.yaml:{mark.line + 1}:{mark.column + 1}: not valid YAML: "
        f"{expected.value.problem}"
    )
    assert "not allowed here" in str(e.value)
