"""The ports the control plane calls on add-on pods follow the add-ons a stack installs.

Without the charts (CI), this checks the list against the add-on settings; the ports
themselves are checked against the rendered charts in test_webhooks_chart.py.
"""

from __future__ import annotations

from typing import Any

from components.addons import addons, webhooks
from components.aws import PLATFORM as AWS
from components.gcp import PLATFORM as GCP
from components.settings import StackSettings
from tests.conftest import stack_file
from tests.helpers import set_path, settings_from

# Add-ons that register no webhook and no aggregated API: nothing of theirs is called by the
# API server (Prometheus is scraped from inside; the device plugin and autoscaler call out).
NO_CALLEE = {"prometheus", "nvidia", "cluster-autoscaler"}


def gcp(edit: dict[str, Any] | None = None) -> StackSettings:
    config = stack_file("gcp-prod")
    for path, value in (edit or {}).items():
        set_path(config, path, value)
    return settings_from(config)


def ports(settings: StackSettings) -> list[int]:
    plan = addons.planned(settings, None, GCP)
    return webhooks.control_plane_ports(settings, plan)


def test_gcp_prod_opens_istiod_the_metrics_apis_and_the_webhooks() -> None:
    # istiod 15017; KEDA's metrics API and the adapter 6443; KEDA's and LWS's webhooks 9443
    # (GKE runs its own metrics-server: not installed, nothing to open for it).
    assert ports(gcp()) == [6443, 9443, 15017]


def test_each_port_goes_with_its_addon() -> None:
    base = set(ports(gcp()))
    assert base == {6443, 9443, 15017}
    # The mesh off: istiod is not installed, the base chart's validator has no callee.
    assert 15017 not in ports(gcp({"istio.enabled": False, "addons.metricsServer.enabled": False}))
    # 9443 stays while either KEDA or LWS is installed.
    no_keda = {"addons.keda.enabled": False, "addons.metricsServer.enabled": False}
    assert set(ports(gcp(no_keda))) == {6443, 9443, 15017}
    no_webhooks = {**no_keda, "addons.lws.enabled": False}
    assert set(ports(gcp(no_webhooks))) == {6443, 15017}
    # 6443 stays while either KEDA or the adapter is installed.
    no_apis = {**no_webhooks, "addons.prometheusAdapter.enabled": False}
    assert set(ports(gcp(no_apis))) == {15017}
    # The VPA's admission controller, when vertical autoscaling installs it.
    assert 8000 in ports(gcp({"autoscaling.vertical.enabled": True}))


def test_every_addon_says_what_the_api_server_calls() -> None:
    """A new add-on must be placed: in webhooks.PORTS, or known to need no inbound call."""
    everything = gcp({"autoscaling.vertical.enabled": True, "gpu.pools[0].accelerator": "t4"})
    # AWS: the cluster autoscaler, metrics-server and the device plugin are installed too.
    plan = addons.planned(everything, None, AWS)
    unplaced = set(plan) - set(webhooks.PORTS) - NO_CALLEE
    assert not unplaced, f"add {sorted(unplaced)} to components/addons/webhooks.PORTS"
    assert set(webhooks.PORTS).isdisjoint(NO_CALLEE)
