"""The drift check tells drift from a check that could not run, and reports both: from what
`pulumi preview --json` prints and how it exits, and end to end with a stand-in `pulumi`."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from ci.drift import CLEAN, DRIFT, FAILED, classify, main, title

STACK_URN = "urn:pulumi:prod::model-engine-infra::pulumi:pulumi:Stack::model-engine-infra-prod"
RELEASE_URN = "urn:pulumi:prod::model-engine-infra::kubernetes:helm.sh/v3:Release::model-engine"


def preview(summary: dict[str, int] | None, steps: list[dict[str, str]], errors: list[str]) -> str:
    out: dict[str, object] = {
        "steps": steps,
        "diagnostics": [{"severity": "error", "message": m} for m in errors]
        + [{"severity": "warning", "message": "a warning is not a failure"}],
    }
    if summary is not None:
        out["changeSummary"] = summary
    return json.dumps(out)


SAME = [{"op": "same", "urn": STACK_URN}]
UPDATE = [*SAME, {"op": "update", "urn": RELEASE_URN}]


def test_no_change_is_clean() -> None:
    result = classify(0, preview({"same": 2}, SAME, []))
    assert result.verdict == CLEAN and not result.changes and not result.errors


def test_a_change_is_drift_and_names_the_resource() -> None:
    result = classify(0, preview({"same": 1, "update": 1}, UPDATE, []))
    assert result.verdict == DRIFT
    assert result.changes == [f"update {RELEASE_URN}"]


def test_a_preview_that_failed_is_not_drift_even_with_changes_seen() -> None:
    out = preview(None, UPDATE, ["AccessDenied: not authorized to perform eks:DescribeCluster"])
    result = classify(255, out)
    assert result.verdict == FAILED
    assert result.errors == ["AccessDenied: not authorized to perform eks:DescribeCluster"]


@pytest.mark.parametrize(
    ("exit_code", "stdout", "stderr"),
    [
        (255, "", "error: failed to decrypt the stack's secrets"),
        (0, "", ""),  # no JSON at all
        (0, "not json", ""),
        (0, preview({"same": 1}, SAME, ["a resource monitor error"]), ""),
    ],
)
def test_without_a_complete_preview_the_check_failed(
    exit_code: int, stdout: str, stderr: str
) -> None:
    result = classify(exit_code, stdout, stderr)
    assert result.verdict == FAILED and result.errors


def test_each_verdict_has_its_own_issue() -> None:
    assert title(DRIFT, "prod") == "drift: stack prod differs from main"
    assert title(FAILED, "prod") == "drift check failed: stack prod"


FAKE_PULUMI = """#!/bin/sh
echo "$@" >> "{log}"
if [ "$1" = login ]; then exit 0; fi
cat "{stdout}"
exit {code}
"""


@pytest.mark.parametrize(
    ("code", "stdout", "verdict"),
    [
        (0, preview({"same": 2}, SAME, []), CLEAN),
        (0, preview({"same": 1, "update": 1}, UPDATE, []), DRIFT),
        (255, preview(None, [], ["error: getting secrets manager"]), FAILED),
    ],
)
def test_the_workflow_step_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, stdout: str, verdict: str
) -> None:
    bin_dir, log, out_file = tmp_path / "bin", tmp_path / "calls", tmp_path / "github_output"
    bin_dir.mkdir()
    (tmp_path / "stdout.json").write_text(stdout)
    fake = bin_dir / "pulumi"
    fake.write_text(FAKE_PULUMI.format(log=log, stdout=tmp_path / "stdout.json", code=code))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GITHUB_OUTPUT", str(out_file))
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://acme-state")
    assert main(["--stack", "prod", "--out", str(tmp_path)]) == 0
    outputs = dict(line.split("=", 1) for line in out_file.read_text().splitlines())
    assert outputs["verdict"] == verdict
    assert outputs["title"] == title(verdict, "prod")
    body = Path(outputs["body-file"]).read_text()
    assert ("update " + RELEASE_URN in body) == (verdict == DRIFT)
    assert ("getting secrets manager" in body) == (verdict == FAILED)
    calls = log.read_text().splitlines()
    assert calls[0] == "login s3://acme-state"
    assert calls[1] == "preview --stack prod --json --non-interactive"


def test_no_pulumi_on_the_path_is_a_failed_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    out_file = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out_file))
    assert main(["--stack", "prod", "--out", str(tmp_path)]) == 0
    assert "verdict=failed" in out_file.read_text().splitlines()
