"""The prometheus chart at its pin turns our values into what Prometheus and Alertmanager
load: the rules file beside prometheus.yml (which names it and the Alertmanager), the
Alertmanager configuration with the stack's receiver, and the webhook Secret mounted where
`url_file` reads it.

Needs the chart's files: ADDON_CHARTS names a directory holding `prometheus`
(prometheus-community/helm-charts tag prometheus-29.27.0 charts/prometheus) with its
dependencies in `prometheus/charts/` (alertmanager-1.42.0, kube-state-metrics-8.4.0,
prometheus-node-exporter-4.56.1, prometheus-pushgateway-3.8.0, the versions its Chart.yaml
accepts). Without it (CI has no network) the tests are skipped.
"""

from __future__ import annotations

from typing import Any

import yaml

from components.addons import alert_rules
from plan.render import K8sObject, render_chart
from tests.addons.test_webhooks_chart import chart_dir
from tests.aws.helpers import prod_config, run_aws
from tests.helpers import set_path

RELEASE = "kubernetes:helm.sh/v3:Release"


def _render(config: dict[str, Any]) -> list[K8sObject]:
    release = run_aws(config).one(RELEASE, "addons-prometheus-server").inputs
    return render_chart(
        chart_dir("prometheus"),
        release["values"],
        release_name=release["name"],
        namespace=release["namespace"],
    ).objects


def _one(objects: list[K8sObject], kind: str, name: str) -> dict[str, Any]:
    (found,) = [
        o.body for o in objects if o.body["kind"] == kind and o.body["metadata"]["name"] == name
    ]
    return found


def test_rules_and_alertmanager_reach_the_files_they_load() -> None:
    config = prod_config()
    set_path(config, "alertWebhookUrl", {"secure": "https://hooks.example/x"})
    objects = _render(config)
    server = _one(objects, "ConfigMap", "prometheus-server")["data"]
    rules = yaml.safe_load(server[alert_rules.RULES_FILE])
    assert "ModelEngineGatewayErrors" in {r["alert"] for g in rules["groups"] for r in g["rules"]}
    prom = yaml.safe_load(server["prometheus.yml"])
    assert f"/etc/config/{alert_rules.RULES_FILE}" in prom["rule_files"]
    # The chart points Prometheus at its Alertmanager.
    assert prom["alerting"]["alertmanagers"]

    am = yaml.safe_load(
        _one(objects, "ConfigMap", "prometheus-alertmanager")["data"]["alertmanager.yml"]
    )
    receiver = am["receivers"][0]
    assert receiver["sns_configs"][0]["sigv4"] == {"region": "us-west-2"}
    url_file = receiver["webhook_configs"][0]["url_file"]
    assert "hooks.example" not in yaml.safe_dump(am)

    sts = _one(objects, "StatefulSet", "prometheus-alertmanager")["spec"]["template"]["spec"]
    assert sts["serviceAccountName"] == "prometheus-alertmanager"
    (container,) = [c for c in sts["containers"] if c["name"] == "alertmanager"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert url_file.startswith(mounts["webhook"] + "/")
    volumes = {v["name"]: v for v in sts["volumes"]}
    assert volumes["webhook"]["secret"]["secretName"] == alert_rules.WEBHOOK_SECRET
    sa = _one(objects, "ServiceAccount", "prometheus-alertmanager")
    assert "eks.amazonaws.com/role-arn" in sa["metadata"]["annotations"]
