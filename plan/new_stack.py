"""Start a stack from an example without losing what `pulumi stack init` wrote.

    pulumi stack init acme-prod          # writes stacks/Pulumi.acme-prod.yaml (secrets provider)
    python -m plan.new_stack --example customer-prod --stack acme-prod

`pulumi stack init` puts the stack's secrets-provider settings (`encryptionsalt`, or
`secretsprovider` and `encryptedkey`) in the stack file; copying an example over it would
drop them and every `pulumi config set --secret` would then fail. This adds the example's
`config:` block to the file instead, leaves out the example's `secure:` placeholders (they
were encrypted by nobody) and prints the `pulumi config set --secret` command for each.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from components.settings_base import PROJECT
from plan.simulator import ROOT

# Lines in an example that mark a value every deployment must change.
CHANGE_MARK = "# CHANGE"


def _stack_file(stack: str, root: Path) -> Path:
    return root / "stacks" / f"Pulumi.{stack}.yaml"


def merge(example: str, target: str) -> tuple[str, list[str]]:
    """The target file's text with the example's config added, and the secret keys to set."""
    example_data: dict[str, Any] = yaml.safe_load(example) or {}
    target_data: dict[str, Any] = yaml.safe_load(target) or {}
    if target_data.get("config"):
        raise ValueError("the stack file already has a config: block; edit it instead")
    config = example_data.get("config") or {}
    secrets = [
        key.removeprefix(f"{PROJECT}:")
        for key, value in config.items()
        if isinstance(value, dict) and set(value) == {"secure"}
    ]
    kept = {k: v for k, v in config.items() if k.removeprefix(f"{PROJECT}:") not in secrets}
    header = target.rstrip("\n")
    body = yaml.safe_dump({"config": kept}, sort_keys=False, width=100)
    return (f"{header}\n{body}" if header else body), secrets


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(prog="python -m plan.new_stack", description=__doc__)
    parser.add_argument("--example", required=True, help="example stack to start from")
    parser.add_argument("--stack", required=True, help="stack created with `pulumi stack init`")
    args = parser.parse_args(argv)
    source, target = _stack_file(args.example, root), _stack_file(args.stack, root)
    if not source.exists():
        print(f"error: no example {source.relative_to(root)}", file=sys.stderr)
        return 1
    if not target.exists():
        print(
            f"error: {target.relative_to(root)} does not exist; run "
            f"`pulumi stack init {args.stack}` first (it records the secrets provider)",
            file=sys.stderr,
        )
        return 1
    try:
        text, secrets = merge(source.read_text(), target.read_text())
    except ValueError as e:
        print(f"error: {target.relative_to(root)}: {e}", file=sys.stderr)
        return 1
    target.write_text(text)
    print(f"added the {args.example} example's settings to {target.relative_to(root)}")
    marked = [line.strip() for line in source.read_text().splitlines() if CHANGE_MARK in line]
    if marked:
        print("change these values (marked in the example) before `pulumi up`:")
        for line in marked:
            print(f"  {line}")
    for key in secrets:
        print(f"pulumi config set --secret {key} '<value>' -s {args.stack}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
