"""The GitHub workflows run as written: what each job may do, which identity it uses, and that
every stack CI previews and deploys exists. (zizmor checks the rest: `make workflows`.)"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bootstrap.ci_trust.settings import GitHub
from tests.conftest import ROOT

GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
# `uses: owner/repo@<40 hex> # vX.Y.Z`: immutable, and a reader sees which release it is.
# (Some publishers tag two-part versions: azure/use-kubelogin's v1.3.)
PINNED = re.compile(r"^\s*-?\s*uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+(\.\d+)?\s*$")


def load(path: Path) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True.
    return {("on" if k is True else k): v for k, v in yaml.safe_load(path.read_text()).items()}


def steps(path: Path) -> list[dict[str, Any]]:
    data = load(path)
    if "runs" in data:
        return data["runs"]["steps"]
    return [s for job in data["jobs"].values() for s in job.get("steps", [])]


def job(name: str, job_id: str) -> dict[str, Any]:
    return load(GITHUB / "workflows" / name)["jobs"][job_id]


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    for line in path.read_text().splitlines():
        if re.match(r"^\s*-?\s*uses: ", line) and "uses: ./" not in line:
            assert PINNED.match(line), line


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.parent.name + "/" + p.name)
def test_no_checkout_keeps_the_token(path: Path) -> None:
    found2 = steps(path)
    assert found2
    for step in found2:
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, step


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_grant_nothing_by_default_and_jobs_name_what_they_use(path: Path) -> None:
    data = load(path)
    assert data["permissions"] == {}
    for name, spec in data["jobs"].items():
        assert "permissions" in spec, name
        assert "write-all" not in str(spec["permissions"]), name


def test_the_pinned_chart_is_named_once_and_checked_out_before_the_program_runs() -> None:
    from components.model_engine.chart_facts import PINNED_COMMIT

    setup = load(GITHUB / "actions" / "setup" / "action.yml")
    assert setup["inputs"]["llm-engine-commit"]["default"] == PINNED_COMMIT
    chart = next(s for s in steps(GITHUB / "actions/setup/action.yml") if "with" in s)
    assert chart["with"]["ref"] == "${{ inputs.llm-engine-commit }}"
    for path in WORKFLOWS:
        for job_id, spec in load(path)["jobs"].items():
            uses = [str(s.get("uses", "")) for s in spec["steps"]]
            runs_program = [
                i
                for i, s in enumerate(spec["steps"])
                if "make" in str(s.get("run", ""))
                or "plan" in str(s.get("run", ""))
                or "pulumi/actions" in uses[i]
            ]
            if runs_program:
                assert "./infra/.github/actions/setup" in uses, (path.name, job_id)
                assert uses.index("./infra/.github/actions/setup") < runs_program[0]


def test_the_stacks_ci_deploys_exist_with_their_cloud() -> None:
    stacks = json.loads((GITHUB / "stacks.json").read_text())
    assert stacks
    for entry in stacks:
        stack = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{entry['stack']}.yaml").read_text())
        assert stack["config"]["model-engine-infra:cloud"] == entry["cloud"], entry


def login(job_spec: dict[str, Any]) -> dict[str, str]:
    step = next(
        s for s in job_spec["steps"] if s.get("uses") == "./infra/.github/actions/cloud-login"
    )
    return step["with"]


def test_pull_requests_preview_with_the_read_only_identity_and_never_from_a_fork() -> None:
    preview = job("preview.yml", "preview")
    # The preview identity trusts this environment's subject only (bootstrap/ci_trust): a job
    # outside it gets the `pull_request` subject, which no identity trusts.
    assert preview["environment"] == GitHub(repository="o/r").preview_environment
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert preview["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "pull-requests": "write",
    }
    identities = {
        k: v
        for k, v in login(preview).items()
        if "ROLE" in v or "CLIENT" in v or "SERVICE_ACCOUNT" in v
    }
    assert identities and all("PREVIEW" in v for v in identities.values()), identities
    pulumi = next(s for s in preview["steps"] if "pulumi/actions" in str(s.get("uses")))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["comment-on-pr"] is True
    runs = " ".join(str(s.get("run", "")) for s in preview["steps"])
    assert "--fail-on-findings" in runs and "plan.snapshots" in runs


def test_deploys_wait_in_the_protected_environment_one_per_stack() -> None:
    up = job("deploy.yml", "up")
    # The environment the deploy identity trusts by default (bootstrap/ci_trust).
    assert up["environment"] == GitHub(repository="o/r").deploy_environment
    assert up["if"] == "github.ref == 'refs/heads/main'"
    assert up["concurrency"] == {"group": "deploy-${{ matrix.stack }}", "cancel-in-progress": False}
    assert up["permissions"] == {"contents": "read", "id-token": "write"}
    identities = [
        v for v in login(up).values() if "ROLE" in v or "CLIENT" in v or "SERVICE_ACCOUNT" in v
    ]
    assert identities and all("DEPLOY" in v for v in identities), identities
    pulumi = next(s for s in up["steps"] if "pulumi/actions" in str(s.get("uses")))
    assert pulumi["with"]["command"] == "up"
    assert load(GITHUB / "workflows" / "deploy.yml")["on"]["push"] == {"branches": ["main"]}


def test_drift_is_checked_on_a_schedule_and_both_drift_and_failure_are_reported() -> None:
    from ci.drift import DRIFT, FAILED, title

    data = load(GITHUB / "workflows" / "drift.yml")
    assert data["on"]["schedule"]
    drift = data["jobs"]["drift"]
    assert drift["environment"] == GitHub(repository="o/r").drift_environment
    check = next(s for s in drift["steps"] if s.get("id") == "check")
    assert check["run"] == 'venv/bin/python -m ci.drift --stack "$STACK"'
    report = drift["steps"][-1]
    # Runs when an earlier step failed too, and fails the job unless the verdict is clean.
    assert report["if"] == "always()"
    script = report["run"]
    assert script.splitlines()[0] == 'if [ "$VERDICT" = clean ]; then'
    assert script.rstrip().endswith("exit 1")
    assert report["env"]["VERDICT"] == "${{ steps.check.outputs.verdict }}"
    assert report["env"]["TITLE"] == "${{ steps.check.outputs.title }}"
    # No verdict (the check never ran): the failed check's own issue, as ci.drift names it.
    assert f'TITLE="{title(FAILED, "$STACK")}"' in script
    assert title(DRIFT, "$STACK") != title(FAILED, "$STACK")
    assert "gh issue create" in script and "gh issue comment" in script
    assert drift["permissions"]["issues"] == "write"
    assert all("PREVIEW" in v for v in login(drift).values() if "ROLE" in v)


def test_jobs_with_credentials_run_in_an_environment() -> None:
    # The identities trust environment subjects only; a job outside one would get no token.
    for path in WORKFLOWS:
        for job_id, spec in load(path)["jobs"].items():
            if (spec.get("permissions") or {}).get("id-token") == "write":
                assert spec.get("environment"), (path.name, job_id)


def test_accepted_findings_belong_to_a_previewed_stack() -> None:
    stacks = {entry["stack"] for entry in json.loads((GITHUB / "stacks.json").read_text())}
    found = (GITHUB / "accepted-findings").glob("*.txt")
    assert found
    for path in found:
        assert path.stem in stacks, path.name
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        # As the plan prints them: a reviewer accepts a finding, not a pattern.
        assert lines and all(line.startswith(("warning: ", "error: ")) for line in lines)


def cloud_steps(cloud: str) -> list[dict[str, Any]]:
    return [
        s
        for s in steps(GITHUB / "actions/cloud-login/action.yml")
        if s.get("if") == f"inputs.cloud == '{cloud}'"
    ]


def uses(step: dict[str, Any]) -> str:
    return str(step.get("uses", "")).split("@")[0]


def test_azure_jobs_get_a_pinned_kubelogin_for_the_aks_kubeconfig() -> None:
    # The AKS kubeconfig the program builds runs kubelogin; ubuntu-latest has none.
    assert "kubelogin" in (ROOT / "components/azure/kubeconfig.py").read_text()
    (install,) = [s for s in cloud_steps("azure") if uses(s) == "azure/use-kubelogin"]
    # An exact release (the action checks its .sha256), never `latest`.
    assert re.fullmatch(r"v\d+\.\d+\.\d+", install["with"]["kubelogin-version"])
    assert not [s for s in cloud_steps("gcp") + cloud_steps("aws") if "kubelogin" in uses(s)]


def test_gcp_jobs_get_gke_gcloud_auth_plugin_after_authenticating() -> None:
    # The GKE kubeconfig the program builds runs the plugin; ubuntu-latest has none.
    assert '"command": "gke-gcloud-auth-plugin"' in (ROOT / "components/gcp/cluster.py").read_text()
    gcp = [uses(s) for s in cloud_steps("gcp")]
    assert gcp == ["google-github-actions/auth", "google-github-actions/setup-gcloud"]
    setup = cloud_steps("gcp")[1]
    components = [c.strip() for c in setup["with"]["install_components"].split(",")]
    assert "gke-gcloud-auth-plugin" in components
    # An exact Cloud SDK release (unset or a range: whatever is latest on the day).
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(setup["with"].get("version", "")))


def test_ci_installs_the_pulumi_cli_of_the_pinned_sdk() -> None:
    # The CLI and the Python SDK are released together; a newer CLI than the program was
    # tested with could preview differently from a deployer's laptop (`make setup`).
    pinned = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert pinned
    (cli,) = [s for s in steps(GITHUB / "actions/setup/action.yml") if uses(s) == "pulumi/actions"]
    assert cli["with"]["pulumi-version"] == pinned.group(1)


REFRESHER = GITHUB / "actions/cloud-login/federated-token.sh"


def test_azure_jobs_export_a_federated_token_file_for_workload_identity() -> None:
    # kubelogin -l workloadidentity and DefaultAzureCredential read these four; `az`'s
    # session would expire minutes into an `up` (Azure/azure-cli#28708).
    (refresh,) = [s for s in cloud_steps("azure") if "federated-token.sh" in str(s.get("env"))]
    run = refresh["run"]
    assert '"$SCRIPT" "$token_file"' in run
    assert 'token_file="$RUNNER_TEMP/' in run
    exported = dict(
        re.findall(r'echo "(\w+)=([^"]*)"', run.split("$GITHUB_ENV")[0].split('"$token_file"')[1])
    )
    assert exported == {
        "AZURE_FEDERATED_TOKEN_FILE": "$token_file",
        "AZURE_CLIENT_ID": "$CLIENT_ID",
        "AZURE_TENANT_ID": "$TENANT_ID",
        "AZURE_AUTHORITY_HOST": "https://login.microsoftonline.com/",
    }
    # Values reach the shell through env, never through the script text.
    assert "${{" not in run
    assert refresh["env"]["CLIENT_ID"] == "${{ inputs.azure-client-id }}"
    assert refresh["env"]["TENANT_ID"] == "${{ inputs.azure-tenant-id }}"
    others = cloud_steps("aws") + cloud_steps("gcp")
    assert not [s for s in others if "federated-token" in str(s)]


def test_ci_keys_of_the_azure_stack_sign_kubelogin_in_with_workload_identity() -> None:
    stack = (ROOT / "stacks/Pulumi.azure-prod.yaml").read_text()
    assert re.search(r"^\s*# deployerLogin: workloadidentity\s*$", stack, re.M)


class _IdTokens:
    """A stand-in for GitHub's ID token endpoint: a new token per request, and what it saw."""

    def __init__(self) -> None:

        self.requests: list[tuple[str, str | None]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("Authorization")))
                body = json.dumps({"value": f"jwt-secret-{len(outer.requests)}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the test's output stays its own

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/token?api-version=2.0"

    def close(self) -> None:
        self.server.shutdown()


def test_the_refresher_writes_a_fresh_token_for_azure_and_never_prints_it(
    tmp_path: Path,
) -> None:

    tokens = _IdTokens()
    token_file = tmp_path / "azure-federated-token"
    env = {
        "PATH": os.environ["PATH"],
        "ACTIONS_ID_TOKEN_REQUEST_URL": tokens.url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-bearer",
        "REFRESH_SECONDS": "1",
    }
    # Its own session, so the loop it leaves behind is ended with it below.
    proc = subprocess.Popen(
        [str(REFRESHER), str(token_file)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        # The step returns at once (the loop must not hold its output open) with a token.
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert token_file.read_text() == "jwt-secret-1"
        assert oct(token_file.stat().st_mode & 0o777) == "0o600"
        deadline = time.monotonic() + 15
        while token_file.read_text() == "jwt-secret-1" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert token_file.read_text().startswith("jwt-secret-")
        assert token_file.read_text() != "jwt-secret-1"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        tokens.close()
    assert b"jwt-secret" not in out + err
    # GitHub's ID tokens last 5 minutes: the file is replaced before the last one expires.
    interval = re.search(r"REFRESH_SECONDS:-(\d+)", REFRESHER.read_text())
    assert interval and 0 < int(interval[1]) < 300
    path, auth = tokens.requests[0]
    assert path.endswith("?api-version=2.0&audience=api://AzureADTokenExchange")
    assert auth == "bearer request-bearer"


def test_the_refresher_fails_the_step_without_an_id_token(tmp_path: Path) -> None:

    result = subprocess.run(
        [str(REFRESHER), str(tmp_path / "t")],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode != 0
    assert "id-token: write" in result.stderr
    assert not (tmp_path / "t").exists()
