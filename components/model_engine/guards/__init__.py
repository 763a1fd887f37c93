"""Guards: every known way the chart values deploy "fine" and then fail silently.

`check(values, ...)` runs each guard over the final values (operator overrides included)
and returns findings; `enforce` raises GuardError on any error. Each finding names the
chart value and, when the operator's `chartValues` set it, says so: that is where the fix
goes. The typed model (values.ChartValues) is checked last, for types and unknown
server-config keys.

This module is the registry (`@guard`, `Finding`, `Context`) and the entry points; the
guards themselves live in one module per topic, imported at the bottom so that each
registers itself. `GUARDS` runs in the order of those imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from components.contract import GpuNodePool
from components.model_engine.values import ChartValues
from components.settings import StackSettings
from components.settings_base import PROJECT


@dataclass(frozen=True)
class Finding:
    level: Literal["error", "warning"]
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.path}: {self.message}"


class GuardError(Exception):
    def __init__(self, findings: Sequence[Finding]):
        self.findings = list(findings)
        lines = "\n".join(f"  - {f.path}: {f.message}" for f in self.findings)
        super().__init__(
            f"the model-engine chart values would not work ({len(self.findings)} problem(s)):"
            f"\n{lines}"
        )


@dataclass(frozen=True)
class Context:
    values: Mapping[str, Any]
    settings: StackSettings
    pools: Sequence[GpuNodePool]

    def get(self, path: str, default: Any = None) -> Any:
        node: Any = self.values
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def has(self, path: str) -> bool:
        sentinel = object()
        return self.get(path, sentinel) is not sentinel

    @property
    def provided_gpus(self) -> set[str]:
        """Accelerator label values some GPU pool provides."""
        return {p.spec.label_value for p in self.pools}

    @property
    def infra(self) -> Mapping[str, Any]:
        return self.get("config.values.infra", {}) or {}

    @property
    def launch(self) -> Mapping[str, Any]:
        return self.get("config.values.launch", {}) or {}

    def origin(self, path: str) -> str:
        """Where to fix a value: the operator's override, or the setting it derives from."""
        node: Any = self.settings.chart_values
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                source = DERIVED_FROM.get(path)
                return f" (derived from {PROJECT}:{source})" if source else ""
            node = node[part]
        return f" (set by {PROJECT}:chartValues.{path}; change or remove the override)"


# Chart values computed straight from one stack key: a finding on them names that key.
DERIVED_FROM: dict[str, str] = {
    "tag": "image.tag",
    "context": "environment",
    "datadog.env": "datadog.env",
    "dd_trace_enabled": "datadog.trace",
    "config.values.launch.dd_trace_enabled": "datadog.trace",
    "config.values.infra.prometheus_server_address": "prometheusAddress",
    "config.values.infra.identity_service_url": "identityServiceUrl",
    "config.values.infra.dns_host_domain": "domain",
    "config.values.launch.endpoint_namespace": "namespaces.endpoints",
    "nodeSelector": "controlPlane.nodeSelector",
    "recommendedHardware.byGpuMemoryGb": "gpu.recommendedHardware",
    "recommendedHardware.byModelName": "gpu.recommendedHardware",
    "virtualservice.gateways": "istio.gateways",
    "virtualservice.hostDomains": "istio.hostDomains",
}


Guard = Callable[[Context], Iterator[Finding]]


GUARDS: list[Guard] = []


def guard(fn: Guard) -> Guard:
    GUARDS.append(fn)
    return fn


def error(ctx: Context, path: str, message: str) -> Finding:
    return Finding("error", path, message + ctx.origin(path))


def warning(ctx: Context, path: str, message: str) -> Finding:
    return Finding("warning", path, message + ctx.origin(path))


def _model_findings(values: Mapping[str, Any], ctx: Context | None = None) -> Iterator[Finding]:
    try:
        ChartValues.model_validate(values)
    except ValidationError as e:
        for err in e.errors():
            path = ".".join(str(p) for p in err["loc"])
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = (
                    "unknown key: the server silently drops it (typo?)"
                    if path.startswith("config.values.")
                    else "unknown key: no chart template reads it, so it would be silently "
                    "ignored (typo, or a key from another chart version?)"
                )
            yield Finding("error", path, msg + (ctx.origin(path) if ctx else ""))


def check(
    values: Mapping[str, Any], settings: StackSettings, pools: Sequence[GpuNodePool]
) -> list[Finding]:
    ctx = Context(values, settings, pools)
    findings = [f for g in GUARDS for f in g(ctx)]
    if not any(f.level == "error" for f in findings):
        findings += list(_model_findings(values, ctx))
    return findings


def enforce(findings: Sequence[Finding]) -> None:
    errors = [f for f in findings if f.level == "error"]
    if errors:
        raise GuardError(errors)


# The topic modules register their guards with `@guard` on import, so they import this
# module's registry; importing them last lets that circular import find it complete.
from components.model_engine.guards import (  # noqa: E402, F401
    autoscaling,
    aws,
    azure,
    broker,
    cache,
    chart,
    credentials,
    database,
    gcp,
    identity,
    registry,
    scheduling,
    server_config,
)
