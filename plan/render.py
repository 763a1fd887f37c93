"""Render the model-engine chart offline: a chart folder and values in, Kubernetes objects out.

Uses helm-python-sdk (Helm's Go SDK through a C library: no helm binary, no cluster, no
network). `helm template` semantics: hooks are rendered like every other template, and
`lookup` returns nothing. Values are used as Helm would get them from the Release: a `null`
removes the chart's default (the null overlay that release.py sends as a values file).

The chart is found through the environment variable MODEL_ENGINE_CHART (a checkout of
scaleapi/llm-engine's charts/model-engine); nothing is fetched.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from plan import fast_yaml

CHART_ENV = "MODEL_ENGINE_CHART"
# libyaml when present (plan/fast_yaml.py): the service-template ConfigMap alone is 140 kB.
_Loader = fast_yaml.Loader


def chart_from_env() -> Path | None:
    """The chart folder MODEL_ENGINE_CHART names, or None when it is unset."""
    value = os.environ.get(CHART_ENV, "").strip()
    return Path(value) if value else None


@dataclass(frozen=True)
class K8sObject:
    template: str  # the chart template it came from, e.g. templates/gateway_deployment.yaml
    namespace: str  # metadata.namespace, or the release namespace when the template sets none
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self.body.get("metadata", {}).get("name", ""))

    @property
    def annotations(self) -> dict[str, str]:
        return dict(self.body.get("metadata", {}).get("annotations") or {})


@dataclass(frozen=True)
class Rendered:
    release_name: str
    namespace: str
    manifests: dict[str, str]  # template path -> rendered text
    objects: list[K8sObject]

    def of_kind(self, kind: str) -> list[K8sObject]:
        return [o for o in self.objects if o.kind == kind]

    def get(self, kind: str, name: str, namespace: str | None = None) -> K8sObject:
        """The one object of this kind and name (in this namespace, release one by default)."""
        ns = namespace or self.namespace
        found = [o for o in self.of_kind(kind) if o.name == name and o.namespace == ns]
        if len(found) != 1:
            have = sorted(f"{o.namespace}/{o.name}" for o in self.of_kind(kind))
            raise LookupError(f"expected one {kind} {ns}/{name}, found {len(found)}; have {have}")
        return found[0]


def render_chart(
    chart: Path | str,
    values: Mapping[str, Any],
    *,
    release_name: str = "model-engine",
    namespace: str = "model-engine",
) -> Rendered:
    """Render the chart at `chart` with `values` as an install would (hooks included)."""
    import helm_python as helm  # test/tooling dependency (requirements-dev.txt)

    with helm.Chart.load(os.fspath(chart)) as loaded:
        manifests = loaded.render(
            values=dict(values), name=release_name, namespace=namespace, is_install=True
        )
    objects: list[K8sObject] = []
    for template, text in sorted(manifests.items()):
        if template.endswith("/NOTES.txt"):
            continue  # printed to the user after install, never applied (as `helm template`)
        short = template.split("/", 1)[1] if "/" in template else template
        for doc in yaml.load_all(text, Loader=_Loader):
            if not isinstance(doc, dict) or not doc:
                continue
            ns = doc.get("metadata", {}).get("namespace") or namespace
            objects.append(K8sObject(short, str(ns), doc))
    return Rendered(release_name, namespace, manifests, objects)
