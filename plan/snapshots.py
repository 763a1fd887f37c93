"""Committed snapshots of what each example stack would deploy, for review.

    python -m plan.snapshots            # check: exit 1 with a diff when the program changed
    python -m plan.snapshots --update   # refresh snapshots/ after an intended change

For each example stack, `snapshots/<stack>/values.yaml` holds the chart values the Release
gets and `snapshots/<stack>/resources.yaml` every resource with its options (protect,
retainOnDelete, customTimeouts, ignoreChanges, deleteBeforeReplace), what it waits for
(dependsOn) and its inputs (secrets redacted). A pull request that changes a chart value or a
resource input shows that change in plain YAML next to `pulumi preview --diff`.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from typing import Any

import yaml

from plan.cli import redact, release_values, stack_config
from plan.simulator import ROOT, ProgramRun, run_program

SNAPSHOTS = ROOT / "snapshots"


def example_stacks() -> list[str]:
    return sorted(
        p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml")
    )


def _resources(run: ProgramRun) -> dict[str, Any]:
    names = {r.urn: r.name for r in run.resources}
    out: dict[str, Any] = {}
    for r in sorted(run.resources, key=lambda r: (r.type, r.name)):
        entry: dict[str, Any] = {}
        if r.parent in names:
            entry["parent"] = names[r.parent]
        if r.protect:
            entry["protect"] = True
        if r.retain_on_delete:
            entry["retainOnDelete"] = True
        if r.custom_timeouts:
            entry["customTimeouts"] = dict(r.custom_timeouts)
        if r.ignore_changes:
            entry["ignoreChanges"] = sorted(r.ignore_changes)
        if r.delete_before_replace:
            entry["deleteBeforeReplace"] = True
        waits = sorted({names[d] for d in r.dependencies if d in names})
        if waits:
            entry["dependsOn"] = waits
        entry["inputs"] = redact(r.inputs, r.secret_inputs)
        out[f"{r.type} {r.name}"] = entry
    return out


def render(stack: str) -> dict[str, str]:
    """File name -> text of the snapshot the program produces now."""
    run = run_program(stack_config(stack), stack=stack)
    dump = lambda data: yaml.safe_dump(data, sort_keys=True, width=100)  # noqa: E731
    return {"values.yaml": dump(release_values(run)), "resources.yaml": dump(_resources(run))}


def diff(stack: str) -> str:
    """A unified diff between the committed snapshot and the program's output ('' if equal)."""
    chunks: list[str] = []
    for name, now in render(stack).items():
        path = SNAPSHOTS / stack / name
        before = path.read_text() if path.exists() else ""
        rel = path.relative_to(ROOT).as_posix()
        chunks += difflib.unified_diff(
            before.splitlines(keepends=True),
            now.splitlines(keepends=True),
            fromfile=f"{rel} (committed)",
            tofile=f"{rel} (program)",
        )
    return "".join(chunks)


def update(stack: str) -> None:
    for name, text in render(stack).items():
        path = SNAPSHOTS / stack / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plan.snapshots")
    parser.add_argument("--update", action="store_true", help="rewrite the snapshots")
    parser.add_argument("--stack", action="append", help="default: every example stack")
    args = parser.parse_args(argv)
    failed = False
    for stack in args.stack or example_stacks():
        if args.update:
            update(stack)
            print(f"updated snapshots/{stack}")
            continue
        changes = diff(stack)
        if changes:
            failed = True
            sys.stdout.write(changes)
    if failed:
        print("the program's output differs from snapshots/; if intended: make snapshots")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
