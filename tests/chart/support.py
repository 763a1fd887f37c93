"""Finding the real chart, and the example stacks as the chart sees them.

The chart is scaleapi/llm-engine's charts/model-engine at the pinned commit. It is found
through MODEL_ENGINE_CHART (`.ci/run` points it at the reference copy beside the repository),
or else at the example stacks' `chart.path` (a checkout next to this repository). Without a
chart the chart tests skip and say how to enable them; with CI=true they fail instead.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.model_engine.chart_facts import STALE_LAUNCH_KEYS
from plan.cli import release_values, stack_config
from plan.render import CHART_ENV, Rendered, chart_from_env, render_chart
from plan.simulator import ROOT, ProgramRun, run_program
from tests.helpers import KEY

ENABLE = (
    f"set {CHART_ENV} to a checkout of scaleapi/llm-engine's charts/model-engine at the pinned "
    "commit to run the chart tests (CI points it at ../shared/reference/model-engine-chart)"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def example_stacks() -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("stacks/Pulumi.*.yaml"))


def _stack_chart_paths() -> list[Path]:
    paths = []
    for stack in example_stacks():
        chart = stack_config(stack).get(f"{KEY}chart") or {}
        if chart.get("path"):
            paths.append((ROOT / chart["path"]).resolve())
    return paths


@functools.cache
def find_chart() -> Path | str:
    """The chart folder, or the reason there is none."""
    named = chart_from_env()
    if named is not None:
        if not (named / "Chart.yaml").is_file():
            return f"{CHART_ENV}={named} is not a chart folder (no Chart.yaml)"
        return named
    for path in _stack_chart_paths():
        if (path / "Chart.yaml").is_file():
            return path
    return f"no chart: {CHART_ENV} is unset and no stack's chart.path exists"


def require_chart() -> Path:
    """The chart folder; skips without one (fails when CI=true or MODEL_ENGINE_CHART names a
    folder that is not a chart)."""
    found = find_chart()
    if isinstance(found, Path):
        return found
    if in_ci() or chart_from_env() is not None:  # asked for and missing: never skip
        pytest.fail(f"the chart tests must run (CI=true or {CHART_ENV} set): {found}; {ENABLE}")
    pytest.skip(f"{found}; {ENABLE}")


def chart_yaml(chart: Path, name: str) -> dict[str, Any]:
    return yaml.safe_load((chart / name).read_text()) or {}


def sample_repositories(sample: dict[str, Any]) -> dict[str, str]:
    """The chart's inference image repositories: values_sample.yaml's launch *_repository
    keys that name an image (not the stale fine-tune key, not an s3:// URI)."""
    launch = sample["config"]["values"]["launch"]
    return {
        k: v
        for k, v in launch.items()
        if k.endswith("_repository") and k not in STALE_LAUNCH_KEYS and "://" not in v
    }


def chart_repositories() -> dict[str, str]:
    """The chart's inference image repositories; skips (fails when CI=true) without a chart."""
    return sample_repositories(chart_yaml(require_chart(), "values_sample.yaml"))


@dataclass
class StackRender:
    """One example stack: the program run, the values Helm gets, and the chart rendered."""

    stack: str
    config: dict[str, Any]
    run: ProgramRun
    values: dict[str, Any]  # what `python -m plan --values-out` writes
    rendered: Rendered

    def setting(self, path: str, default: Any = None) -> Any:
        parts = path.split(".")
        node: Any = self.config.get(KEY + parts[0])
        for part in parts[1:]:
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return default if node is None else node

    @property
    def s3_endpoint(self) -> str | None:
        """The S3-compatible endpoint the stack names, or the SeaweedFS S3 Service the program
        installs in the data namespace (existing.objectStorage.install); None for AWS S3."""
        if self.setting("existing.objectStorage.install") is not None:
            namespace = self.setting("existing.dataNamespace", "model-engine-data")
            return f"http://seaweedfs-all-in-one.{namespace}.svc:8333"
        return self.setting("existing.objectStorage.endpointUrl")

    @functools.cached_property
    def service_templates(self) -> dict[str, Any]:
        """The server's templates for endpoint resources (ConfigMap
        model-engine-service-template-config), with its ${...} placeholders filled in with
        dummies so that they parse."""
        config_map = self.rendered.get("ConfigMap", "model-engine-service-template-config")
        out: dict[str, Any] = {}
        for key, text in config_map.body["data"].items():
            text = re.sub(r"(?m)^\s*\$\{\w+\}\s*$\n?", "", text)  # ${STORAGE_DICT} and such
            text = re.sub(r"\$\{(\w+)\}", r"PLACEHOLDER_\1", text)
            out[key] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return out

    @property
    def infra(self) -> dict[str, Any]:
        return self.values["config"]["values"]["infra"]

    @property
    def launch(self) -> dict[str, Any]:
        return self.values["config"]["values"]["launch"]

    @property
    def release_namespace(self) -> str:
        return self.rendered.namespace

    @property
    def endpoint_namespace(self) -> str:
        return self.launch["endpoint_namespace"]


def render_stack(chart: Path, stack: str, config: dict[str, Any] | None = None) -> StackRender:
    config = config if config is not None else stack_config(stack)
    run = run_program(config, stack=stack)
    values = release_values(run)
    release = run.release.inputs
    rendered = render_chart(
        chart, values, release_name=release["name"], namespace=release["namespace"]
    )
    return StackRender(stack, config, run, values, rendered)
