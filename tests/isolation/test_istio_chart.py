"""The istiod selector of the isolation policies against the istiod chart the add-on installs,
rendered with the values its Release gets (the gcp-prod stack). Needs ADDON_CHARTS (see
tests/addons/test_webhooks_chart.py); skipped without it."""

from __future__ import annotations

from components.isolation import matrix, netpol
from components.isolation import policies as pol
from plan.cli import ISOLATION, NETWORK_POLICY
from tests.addons.test_webhooks_chart import render
from tests.gcp.helpers import gcp_config, run_gcp


def test_endpoint_pods_reach_the_rendered_istiod_pods_on_xds() -> None:
    run = run_gcp(gcp_config())
    out = render(run, "addons-istio-istiod", "istiod")
    (deployment,) = out.of_kind("Deployment")
    labels = deployment.body["spec"]["template"]["metadata"]["labels"]
    istiod = netpol.Pod(deployment.namespace, labels)
    [component] = run.of_type(ISOLATION)
    scope = pol.scope_from(component.inputs["scope"])
    policies = [r.inputs for r in run.of_type(NETWORK_POLICY)]
    assert netpol.allowed(matrix.endpoint_pod(scope), istiod, pol.ISTIOD_XDS_PORT, policies)
    # Not istiod's other ports (15017 is its webhook, 15010 plaintext xDS).
    assert not netpol.allowed(matrix.endpoint_pod(scope), istiod, 15017, policies)
