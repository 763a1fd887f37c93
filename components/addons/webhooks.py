"""The pod ports the Kubernetes API server itself calls: admission webhooks and aggregated
APIs the add-ons register. One list, derived from the add-ons a stack installs.

A cluster whose control plane sits outside the node network (GKE private clusters: only 443
and 10250 are open from the control plane's range) must open exactly these, or Istio's
injector (failure policy Fail) blocks every pod in injected namespaces and the KEDA and
adapter metrics APIs fail, so nothing scales. Each port is the container port behind the
Service the webhook or APIService names, in the chart at its pin (tests/addons/
test_webhooks_chart.py renders the charts and compares).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from components.addons import istio
from components.settings import StackSettings

# Add-on (the key of addons.planned) -> what the API server calls on its pods -> port.
PORTS: Mapping[str, Mapping[str, int]] = MappingProxyType(
    {
        # istiod's Service https-webhook 443 -> 15017: sidecar injector and config validation.
        "istio": {"istiod webhooks": 15017},
        # keda-operator-metrics-apiserver 443 -> 6443 (external.metrics.k8s.io);
        # keda-admission-webhooks 443 -> 9443.
        "keda": {"external metrics API": 6443, "admission webhooks": 9443},
        # prometheus-adapter 443 -> container port `https` 6443 (custom.metrics.k8s.io).
        "prometheus-adapter": {"custom metrics API": 6443},
        # lws-webhook-service 443 -> 9443.
        "lws": {"admission webhooks": 9443},
        # vpa-webhook 443 -> the admission controller's 8000.
        "vpa": {"admission controller": 8000},
        # metrics-server serves metrics.k8s.io on 10250 (open on GKE already).
        "metrics-server": {"resource metrics API": 10250},
    }
)


def calls(settings: StackSettings, planned: Mapping[str, object]) -> dict[str, dict[str, int]]:
    """Per installed add-on, what the API server calls on its pods. Istio's only callee is
    istiod: installed with the mesh alone (the base chart's validator points at it)."""
    out = {addon: dict(PORTS[addon]) for addon in planned if addon in PORTS}
    if "istio" in out and not istio.installs_mesh(settings):
        del out["istio"]
    return out


def control_plane_ports(settings: StackSettings, planned: Mapping[str, object]) -> list[int]:
    """The ports the control plane must reach on the nodes, sorted, once each."""
    return sorted({port for ports in calls(settings, planned).values() for port in ports.values()})
