"""The nightly drift check of one stack: run `pulumi preview --json`, then tell drift (the
preview ran and would change something) from a failed check (it did not run: credentials,
state, a program error), and say which in the job's outputs. Both are reported; a failed
check is never mistaken for "no drift", nor for drift.

`pulumi preview --expect-no-changes` exits non-zero in both cases alike, so the exit code
alone cannot tell them apart: the check reads the preview's JSON (`changeSummary`, `steps`,
`diagnostics`) and its exit code together.

    python -m ci.drift --stack STACK [--cwd DIR] [--out DIR]

writes `verdict` (clean, drift or failed), `title` and `body-file` to $GITHUB_OUTPUT and
exits 0: the workflow's next step reports, and fails the job, unless the verdict is clean.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLEAN, DRIFT, FAILED = "clean", "drift", "failed"
# Steps of a preview that change nothing.
UNCHANGED = {"same", "read", "refresh"}
# At most this much of the preview's text in an issue (GitHub's limit is 65,536).
BODY_LIMIT = 60_000


@dataclass(frozen=True)
class Result:
    verdict: str
    changes: list[str]  # "op urn", one per changing step
    errors: list[str]  # the preview's error diagnostics, or why there is no preview


def classify(exit_code: int, stdout: str, stderr: str = "") -> Result:
    """The verdict from what `pulumi preview --json` printed and how it exited."""
    try:
        preview: dict[str, Any] = json.loads(stdout) if stdout.strip() else {}
    except json.JSONDecodeError:
        preview = {}
    errors = [
        str(d.get("message", "")).strip()
        for d in preview.get("diagnostics") or []
        if d.get("severity") == "error"
    ]
    changes = [
        f"{step.get('op')} {step.get('urn')}"
        for step in preview.get("steps") or []
        if step.get("op") not in UNCHANGED
    ]
    summary = preview.get("changeSummary")
    if exit_code != 0 or errors or not isinstance(summary, dict):
        # No complete preview: whatever it found so far is not the stack's whole story.
        why = errors or [line for line in stderr.strip().splitlines()[-20:] if line]
        return Result(FAILED, changes, why or [f"pulumi preview exited {exit_code}"])
    changed = sum(int(n) for op, n in summary.items() if op not in UNCHANGED)
    return Result(DRIFT if changed or changes else CLEAN, changes, [])


def title(verdict: str, stack: str) -> str:
    """One open issue per stack and kind: a later night comments on it."""
    if verdict == DRIFT:
        return f"drift: stack {stack} differs from main"
    return f"drift check failed: stack {stack}"


def body(result: Result, stack: str, run_url: str) -> str:
    if result.verdict == DRIFT:
        head = (
            f"The nightly `pulumi preview` of `{stack}` would change the stack: main's program "
            "and the stack's state differ (a merge not deployed, a failed or cancelled `up`, "
            f"a provider upgrade). Run: {run_url}"
        )
        lines = result.changes
    else:
        head = (
            f"The nightly drift check of `{stack}` could not run `pulumi preview`, so drift "
            f"is unknown (credentials, state access or a program error). Run: {run_url}"
        )
        lines = result.errors + [f"(changes seen before the failure) {c}" for c in result.changes]
    text = "\n".join(lines)
    if len(text) > BODY_LIMIT:
        text = text[:BODY_LIMIT] + "\n... (cut; the run's log has the rest)"
    return f"{head}\n\n```\n{text}\n```\n"


def run_preview(stack: str, cwd: str) -> tuple[int, str, str]:
    backend = os.environ.get("PULUMI_BACKEND_URL")
    if backend:
        login = subprocess.run(
            ["pulumi", "login", backend], cwd=cwd, capture_output=True, text=True, check=False
        )
        if login.returncode != 0:
            return login.returncode, "", login.stderr
    done = subprocess.run(
        ["pulumi", "preview", "--stack", stack, "--json", "--non-interactive"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The nightly drift check of one stack.")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--cwd", default=".")
    parser.add_argument("--out", default=os.environ.get("RUNNER_TEMP", "."))
    args = parser.parse_args(argv)
    try:
        exit_code, stdout, stderr = run_preview(args.stack, args.cwd)
    except OSError as e:  # no pulumi on PATH
        exit_code, stdout, stderr = 127, "", str(e)
    result = classify(exit_code, stdout, stderr)
    run_url = "{}/{}/actions/runs/{}".format(
        os.environ.get("GITHUB_SERVER_URL", "https://github.com"),
        os.environ.get("GITHUB_REPOSITORY", "OWNER/REPO"),
        os.environ.get("GITHUB_RUN_ID", "0"),
    )
    body_file = Path(args.out) / f"drift-{args.stack}.md"
    body_file.write_text(body(result, args.stack, run_url))
    outputs = {
        "verdict": result.verdict,
        "title": title(result.verdict, args.stack),
        "body-file": str(body_file),
    }
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a") as f:
            f.writelines(f"{k}={v}\n" for k, v in outputs.items())
    print(f"drift check of {args.stack}: {result.verdict}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
