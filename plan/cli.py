"""Offline plan: what `pulumi up -s NAME` would deploy, with no CLI, cloud or credentials.

    python -m plan --stack existing-infra [--values-out FILE] [--json FILE]
                   [--fail-on-findings [--accept-findings FILE]]

Reads stacks/Pulumi.NAME.yaml as the CLI would (secure values stay `[secret]`), runs the
program against the simulated cloud and prints the resource tree, the exact chart values
the Release would get, and the guard findings. A bad stack file exits 1 with the message
`pulumi up` would print; with --fail-on-findings, so does any finding.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pulumi
import yaml

from components.isolation import capabilities as isolation_rows
from components.isolation import matrix
from components.isolation import policies as isolation_policies
from components.model_engine import capabilities
from components.settings_base import PROJECT
from plan import coldstart, estimate, fast_yaml, operations, platform_notes
from plan.simulator import (
    MODEL_ENGINE_RELEASE,
    ROOT,
    ProgramRun,
    RecordedResource,
    helm_values,
    packages,
    run_program,
)

REDACTED = "[secret]"


def stack_config(stack: str) -> dict[str, Any]:
    path = ROOT / "stacks" / f"Pulumi.{stack}.yaml"
    if not path.exists():
        known = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in path.parent.glob("Pulumi.*.yaml")
        )
        raise SystemExit(f"no stack file {path.relative_to(ROOT)}; stacks: {', '.join(known)}")
    try:
        loaded = fast_yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        # One line, as `pulumi up` would say it: the file, the line and what is wrong.
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise SystemExit(f"{path.relative_to(ROOT)}{where}: not valid YAML: {problem}") from None
    if loaded is not None and not isinstance(loaded, dict):
        raise SystemExit(f"{path.relative_to(ROOT)}: must be a YAML map with a `config:` key")
    config = (loaded or {}).get("config") or {}
    if not isinstance(config, dict):
        raise SystemExit(f"{path.relative_to(ROOT)}: `config:` must be a map of stack keys")
    return config


def plain(value: Any) -> Any:
    """Undo the wire's number type (the engine carries every number as a double) and show
    assets by their text."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, pulumi.StringAsset):
        return {"stringAsset": value.text}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def redact(inputs: dict[str, Any], secret_paths: Iterable[str]) -> dict[str, Any]:
    out = json.loads(json.dumps(plain(inputs), default=str))
    for path in secret_paths:
        node: Any = out
        parts = path.replace("[", ".[").split(".")
        for part in parts[:-1]:
            node = node[int(part[1:-1])] if part.startswith("[") else node.get(part, {})
        last = parts[-1]
        if isinstance(node, list) and last.startswith("["):
            node[int(last[1:-1])] = REDACTED
        elif isinstance(node, dict):
            if last in node:
                node[last] = REDACTED
            elif path == ".":
                return {"value": REDACTED}
    return out


def tree_lines(resources: list[RecordedResource]) -> list[str]:
    # Sorted, so that two plans of the same stack read the same (registration order is not
    # deterministic).
    ordered = sorted(resources, key=lambda r: (r.type, r.name))
    children: dict[str | None, list[RecordedResource]] = {}
    for r in ordered:
        children.setdefault(r.parent, []).append(r)
    known = {r.urn for r in resources}
    roots = [r for r in ordered if r.parent not in known]
    lines: list[str] = []

    def walk(r: RecordedResource, depth: int) -> None:
        flags = " [protected]" if r.protect else ""
        lines.append(f"{'  ' * depth}{r.type}  {r.name}{flags}")
        for child in children.get(r.urn, []):
            walk(child, depth + 1)

    for r in roots:
        walk(r, 0)
    return lines


def findings(run: ProgramRun) -> list[str]:
    return [line for line in run.logs if line.startswith(("warning:", "error:"))]


def unknown_packages(run: ProgramRun) -> list[str]:
    """Provider packages the plan's tables and the policy pack have no rows for: a platform
    added without them is planned with placeholders and judged by the Kubernetes rules only,
    and this says so (none for the example stacks)."""
    from plan import computed
    from policy import pack

    created = packages(run.resources)
    return [
        *computed.unsimulated(created),
        *(
            f"policy/pack.py has no rule for {name} resources: only the Kubernetes rules judge "
            f"them; add policy/<cloud>.py's table to TABLES"
            for name in pack.unjudged(created)
        ),
    ]


def release_values(run: ProgramRun) -> dict[str, Any]:
    """The chart values, or {} when the stack does not install the chart (chart.install)."""
    if not any(r.name == MODEL_ENGINE_RELEASE for r in run.resources):
        return {}
    release = run.release
    values = redact({"values": release.inputs.get("values", {})}, release.secret_inputs)
    return helm_values({**release.inputs, "values": values["values"]})


def servicebus_sku(run: ProgramRun) -> str | None:
    """The tier of the Service Bus namespace the program creates (None off Azure)."""
    for r in run.of_type("azure-native:servicebus:Namespace"):
        return (r.inputs.get("sku") or {}).get("name")
    return None


def resources_json(run: ProgramRun) -> list[dict[str, Any]]:
    return [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "parent": r.parent,
            "provider": r.provider,
            "protect": r.protect,
            "dependencies": r.dependencies,
            # Every resource option a review or the policy pack needs, under the engine's names.
            "options": {
                "protect": r.protect,
                "retainOnDelete": r.retain_on_delete,
                "customTimeouts": r.custom_timeouts,
                "dependsOn": r.dependencies,
                "ignoreChanges": r.ignore_changes,
                "deleteBeforeReplace": r.delete_before_replace,
            },
            "secretInputs": r.secret_inputs,
            "inputs": redact(r.inputs, r.secret_inputs),
        }
        for r in sorted(run.resources, key=lambda r: (r.type, r.name))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plan", description="Offline plan of a stack.")
    parser.add_argument("--stack", required=True, help="stack name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument("--values-out", type=Path, help="write the chart values YAML here")
    parser.add_argument("--json", type=Path, help="write every resource as JSON here")
    parser.add_argument(
        "--no-render",
        action="store_true",
        help="do not render the chart even when a checkout is available",
    )
    parser.add_argument(
        "--fail-on-findings",
        action="store_true",
        help="exit 1 when the plan has any finding (CI's pull-request previews use it)",
    )
    parser.add_argument(
        "--accept-findings",
        type=Path,
        help="with --fail-on-findings: findings reviewed and accepted, one a line as printed "
        "(a missing file accepts none)",
    )
    args = parser.parse_args(argv)

    config = stack_config(args.stack)
    try:
        run = run_program(config, stack=args.stack)
    except pulumi.RunError as e:  # a stack-file mistake, as `pulumi up` would print it
        print(f"error: {e}", file=sys.stderr)
        return 1

    values = release_values(run)
    if args.values_out:
        args.values_out.write_text(yaml.safe_dump(values, sort_keys=True, width=100))
    if args.json:
        args.json.write_text(json.dumps(resources_json(run), indent=2, default=str) + "\n")
    release = run.release.inputs if values else {}
    out = sys.stdout
    out.write(f"# Plan for stack {args.stack} ({len(run.resources)} resources)\n\n")
    out.write("## Resources\n")
    out.write("\n".join(tree_lines(run.resources)) + "\n\n")
    out.write("## model-engine Release\n")
    for key in ("name", "chart", "version", "namespace", "timeout", "atomic"):
        if key in release:
            out.write(f"{key}: {plain(release[key])}\n")
    out.write("\n## Chart values (values known only after deploy name their source)\n")
    out.write(yaml.safe_dump(values, sort_keys=True, width=100))
    out.write("\n## Operations: alerts and windows\n")
    out.write("\n".join(operations.lines(run.resources)) + "\n")
    out.write("\n## Findings\n")
    out.write("\n".join(findings(run)) or "none")
    unknown = unknown_packages(run)
    if unknown:
        out.write("\n\n## What the plan and the policy pack know nothing of\n")
        out.write("\n".join(unknown))
    guardrails = platform_notes.notes(run)
    if guardrails:
        out.write("\n\n## Cloud guardrails\n")
        out.write("\n".join(guardrails))
    if values:
        out.write("\n\n## What the pinned server can do here\n")
        rows = capabilities.capabilities(values, servicebus_sku=servicebus_sku(run))
        rows += isolation_capabilities(run)
        out.write(capabilities.markdown(rows) + "\n")
        out.write("\n## Images that must exist (repository:tag)\n")
        for repo, when in capabilities.must_hold_images(values):
            out.write(f"- {repo}: {when}\n")
        out.write(
            "Fill them from your registry, e.g. `crane copy <your-registry>/<name>:<tag> "
            "<repository:tag>`, or let the registry's cache do it "
            "(aws.registry.upstream.warm, azure.registry.upstream.warm); name the tags you copy "
            "in inferenceImageTags.\n"
            if values["config"]["values"]["infra"].get("cloud_provider") != "gcp"
            else "Copy them from your registry (Artifact Registry needs flat image names), e.g. "
            "`gcloud auth configure-docker <location>-docker.pkg.dev`, then `crane copy "
            "<your-registry>/<name>:<tag> <repository:tag>`; name the tags in "
            "inferenceImageTags.\n"
        )
    out.write("\n## Who an endpoint pod can reach\n")
    out.write("\n".join(isolation_report(run)) + "\n")
    render_failed = False
    if values and not args.no_render:
        out.write("\n\n## The chart, rendered with these values\n")
        lines, render_failed = render_report(config, values, release)
        out.write("\n".join(lines) + "\n")
    out.write("\n\n## GPU pools: does every pod fit a node\n")
    out.write("\n".join(data_plane(config)) + "\n")
    out.write("\n\n## How long the first `pulumi up` takes\n")
    out.write("\n".join(estimate.report(estimate.estimate(run.resources))) + "\n")
    out.write("\n## Exports\n")
    out.write(yaml.safe_dump(plain(run.exports), sort_keys=True, width=100))

    accepted = accepted_findings(args.accept_findings)
    unaccepted = [f for f in findings(run) if f not in accepted]
    if args.fail_on_findings and unaccepted:
        print(
            f"error: {len(unaccepted)} finding(s) not accepted:",
            *unaccepted,
            sep="\n  ",
            file=sys.stderr,
        )
    return 1 if render_failed or (args.fail_on_findings and unaccepted) else 0


def accepted_findings(path: Path | None) -> set[str]:
    if path is None or not path.exists():
        return set()
    return {line for line in path.read_text().splitlines() if line.strip()}


ISOLATION = "model-engine-infra:index:Isolation"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def isolation_capabilities(run: ProgramRun) -> list[capabilities.Capability]:
    """The capability rows isolation decides, from the Isolation component this run
    registered (components/isolation/capabilities.py)."""
    components = run.of_type(ISOLATION)
    if not components:
        return []
    inputs = components[0].inputs
    return isolation_rows.rows(
        isolation_policies.scope_from(inputs["scope"]),
        enabled=inputs.get("enabled") is not False,
        enforced=bool(inputs["enforced"]),
    )


def isolation_report(run: ProgramRun) -> list[str]:
    """The connectivity matrix, computed from the NetworkPolicies this run registered."""
    components = run.of_type(ISOLATION)
    if not components:
        return ["the chart is not installed: nothing fences endpoint pods"]
    inputs = components[0].inputs
    if inputs.get("enabled") is False:
        return [
            "isolation.enabled: false: the program fences nothing; what fences endpoint pods "
            f"instead, as the stack says (isolation.disabledBecause): {inputs['disabledBecause']}"
        ]
    policies = [r.inputs for r in run.of_type(NETWORK_POLICY)]
    cells = matrix.matrix(
        isolation_policies.scope_from(inputs["scope"]), bool(inputs["enforced"]), policies
    )
    return [matrix.markdown(cells)]


def data_plane(config: dict[str, Any]) -> list[str]:
    """Per GPU pool: one node's allocatable, the largest tier and how many fit a node; then
    the cold-start estimate per tier."""
    from components import fit
    from components.settings_loader import settings_from_config

    settings = settings_from_config(config)
    pools = settings.platform.gpu_pools(settings)
    hardware = fit.hardware(settings)
    lines = fit.table(settings, pools, hardware) or ["no GPU pools"]
    lines += ["", "## Cold start per hardware tier (node, image, weights)"]
    lines += coldstart.lines(settings, pools, hardware)
    return lines


def chart_checkout(config: dict[str, Any]) -> Path | None:
    """The chart folder to render: MODEL_ENGINE_CHART, else the stack's chart.path (relative
    to this repository, as `pulumi up` resolves it)."""
    from plan.render import chart_from_env

    found = chart_from_env()
    if found is not None:
        return found
    chart = config.get(f"{PROJECT}:chart") or {}
    path = chart.get("path") if isinstance(chart, dict) else None
    if path and (ROOT / path / "Chart.yaml").exists():
        return ROOT / path
    return None


def render_report(
    config: dict[str, Any], values: dict[str, Any], release: dict[str, Any]
) -> tuple[list[str], bool]:
    """What the real chart renders with the values: object counts by kind and the hooks; a
    render error is a finding. Returns (lines, failed)."""
    from collections import Counter

    from plan.render import CHART_ENV, render_chart

    chart = chart_checkout(config)
    if chart is None:
        return [
            f"not rendered: no chart checkout (set {CHART_ENV} or the stack's chart.path to "
            "a checkout of charts/model-engine at the pinned commit)"
        ], False
    try:
        rendered = render_chart(
            chart,
            values,
            release_name=str(release.get("name") or "model-engine"),
            namespace=str(release.get("namespace") or "model-engine"),
        )
    except ImportError:
        return ["not rendered: helm-python-sdk is not installed (requirements-dev.txt)"], False
    except Exception as e:  # the SDK raises its own types for template errors
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return [f"error: the chart does not render with these values: {first}"], True
    kinds = Counter(o.kind for o in rendered.objects)
    hooks = sorted(
        f"{o.kind}/{o.name} ({o.annotations['helm.sh/hook']})"
        for o in rendered.objects
        if "helm.sh/hook" in o.annotations
    )
    lines = [f"{len(rendered.objects)} objects from {chart}"]
    lines += [f"  {kind}: {n}" for kind, n in sorted(kinds.items())]
    lines.append("hooks:")
    lines += [f"  {h}" for h in hooks] or ["  none"]
    return lines, False
