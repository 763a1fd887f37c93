"""The control-plane ports (components/addons/webhooks.py) are the ports the add-on charts at
their pins actually serve their webhooks and aggregated APIs on.

Needs the charts' files: ADDON_CHARTS names a directory holding each chart in a folder named
after it (`istiod`, `base`, `keda`, `prometheus-adapter`, `lws`), taken from the upstream
repositories at the tags in components/addons/versions.py (istio/istio 1.30.3
manifests/charts/istio-control/istio-discovery and manifests/charts/base, kedacore/charts
v2.20.2 keda, prometheus-community/helm-charts prometheus-adapter-5.3.0, kubernetes-sigs/lws
v0.10.0 charts/lws). Without it (CI has no network) the tests are skipped. Each chart is
rendered with the values its Release gets in the gcp-prod stack.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.addons import versions, webhooks
from components.gcp.platform import installed_addons
from plan.render import K8sObject, Rendered, render_chart
from tests.gcp.helpers import GcpRun, gcp_config, run_gcp
from tests.helpers import settings_from

CHARTS_ENV = "ADDON_CHARTS"
RELEASE = "kubernetes:helm.sh/v3:Release"
# Add-on -> (its Release resources in the stack, the versions-table entry of each).
RELEASES = {
    "istio": {"addons-istio-istiod": "istiod", "addons-istio-base": "istio-base"},
    "keda": {"addons-keda-release": "keda"},
    "prometheus-adapter": {"addons-prometheus-adapter-release": "prometheus-adapter"},
    "lws": {"addons-lws-release": "lws"},
}
WEBHOOK_KINDS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")


def chart_dir(entry: str) -> Path:
    root = os.environ.get(CHARTS_ENV, "").strip()
    folder = versions.CHARTS[entry].name.rsplit("/", 1)[-1]
    if not root:
        pytest.skip(f"{CHARTS_ENV} is not set: point it at a directory holding <dir>/{folder}")
    path = Path(root) / folder
    if not (path / "Chart.yaml").is_file():
        pytest.skip(f"{path} holds no chart (no Chart.yaml)")
    chart = yaml.safe_load((path / "Chart.yaml").read_text())
    # Istio's and LWS's sources carry a placeholder version their release tooling replaces;
    # the others must be the pin.
    if chart["version"] not in ("1.0.0", "0.1.0"):
        assert chart["version"] == versions.CHARTS[entry].version, path
    return path


@pytest.fixture(scope="module")
def prod() -> GcpRun:
    return run_gcp(gcp_config())


def render(run: GcpRun, resource: str, entry: str) -> Rendered:
    release = run.one(RELEASE, resource).inputs
    return render_chart(
        chart_dir(entry),
        release["values"],
        release_name=release["name"],
        namespace=release["namespace"],
    )


def _service(out: Rendered, name: str) -> K8sObject:
    (svc,) = [o for o in out.of_kind("Service") if o.name == name]
    return svc


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def container_port(out: Rendered, ref: dict[str, Any]) -> int:
    """The pod port behind a webhook's or APIService's service reference."""
    svc = _service(out, ref["name"])
    (entry,) = [p for p in svc.body["spec"]["ports"] if p["port"] == ref.get("port", 443)]
    target = entry.get("targetPort", entry["port"])
    if isinstance(target, int):
        return target
    selector = svc.body["spec"]["selector"]
    for workload in out.of_kind("Deployment"):
        template = workload.body["spec"]["template"]
        if _selects(selector, template["metadata"].get("labels") or {}):
            for container in template["spec"]["containers"]:
                for port in container.get("ports") or []:
                    if port.get("name") == target:
                        return int(port["containerPort"])
    raise LookupError(f"no pod port named {target} behind Service {svc.name}")


def called_ports(out: Rendered) -> set[int]:
    refs = [
        hook["clientConfig"]["service"]
        for kind in WEBHOOK_KINDS
        for config in out.of_kind(kind)
        for hook in config.body.get("webhooks") or []
        if "service" in hook["clientConfig"]
    ]
    refs += [api.body["spec"]["service"] for api in out.of_kind("APIService")]
    # A reference into another release (Istio base's validator names istiod) is checked
    # with the chart that renders that Service.
    local = {s.name for s in out.of_kind("Service")}
    return {container_port(out, ref) for ref in refs if ref["name"] in local}


@pytest.mark.parametrize("addon", sorted(RELEASES))
def test_control_plane_ports_are_the_charts(prod: GcpRun, addon: str) -> None:
    settings = settings_from(gcp_config())
    declared = webhooks.calls(settings, installed_addons(settings))[addon]
    served: set[int] = set()
    for resource, entry in RELEASES[addon].items():
        served |= called_ports(render(prod, resource, entry))
    assert served == set(declared.values())


def test_istio_base_validator_calls_istiod(prod: GcpRun) -> None:
    """The base chart's default validator has no Service of its own: it calls istiod's."""
    out = render(prod, "addons-istio-base", "istio-base")
    (config,) = out.of_kind("ValidatingWebhookConfiguration")
    assert {h["clientConfig"]["service"]["name"] for h in config.body["webhooks"]} == {"istiod"}


def test_istio_images_come_through_the_docker_hub_mirror(prod: GcpRun) -> None:
    out = render(prod, "addons-istio-istiod", "istiod")
    mirror = prod.state(
        "gcp:artifactregistry/repository:Repository", "platform-registry-dockerhub", "registryUri"
    )
    (deployment,) = out.of_kind("Deployment")
    (container,) = deployment.body["spec"]["template"]["spec"]["containers"]
    assert container["image"].startswith(f"{mirror}/istio/pilot:")
    # The injector's proxy image (sidecars and the gateway's `auto` image) uses the same hub.
    config = next(o for o in out.of_kind("ConfigMap") if o.name.startswith("istio-sidecar"))
    values = yaml.safe_load(config.body["data"]["values"])
    assert values["global"]["hub"] == f"{mirror}/istio"
