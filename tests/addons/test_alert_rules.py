"""model-engine's own alert rules in the installed Prometheus, and the Alertmanager that
routes them to the stack's target: rules parse, read only metrics an installed exporter
publishes, and secrets never reach the Helm values."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.addons import alert_rules
from components.addons.keda import OPERATOR_METRICS_PORT
from components.operations import Thresholds
from plan import operations
from plan.simulator import run_program
from tests.aws.helpers import AwsRun, prod_config, run_aws
from tests.conftest import stack_file
from tests.helpers import set_path

RELEASE = "kubernetes:helm.sh/v3:Release"
PROMETHEUS = "addons-prometheus-server"
SECRET = "kubernetes:core/v1:Secret"
TOPIC = "aws:sns/topic:Topic"


@pytest.fixture(scope="module")
def prod() -> AwsRun:
    return run_aws(prod_config())


def _values(run: AwsRun) -> dict[str, Any]:
    return run.one(RELEASE, PROMETHEUS).inputs["values"]


def _rules(values: dict[str, Any]) -> list[dict[str, Any]]:
    # Through YAML, as the chart writes the file Prometheus loads.
    text = yaml.safe_dump(values["serverFiles"][alert_rules.RULES_FILE])
    return [r for g in yaml.safe_load(text)["groups"] for r in g["rules"]]


def _balanced(expr: str) -> bool:
    depth = {"(": 0, "{": 0, "[": 0}
    pairs = {")": "(", "}": "{", "]": "["}
    for c in expr:
        if c in depth:
            depth[c] += 1
        elif c in pairs:
            depth[pairs[c]] -= 1
            if depth[pairs[c]] < 0:
                return False
    return not any(depth.values())


def test_every_rule_parses_and_reads_only_sourced_metrics(prod: AwsRun) -> None:
    rules = _rules(_values(prod))
    names = {r["alert"] for r in rules}
    assert {
        "ModelEngineGatewayErrors",
        "ModelEngineGatewayLatency",
        "ModelEngineBuilderUnavailable",
        "ModelEngineEndpointWithoutReadyPods",
        "KedaScalerErrors",
    } <= names
    for rule in rules:
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["for"].endswith("m") and int(rule["for"][:-1]) > 0
        assert _balanced(rule["expr"]), rule["expr"]
        read = alert_rules.metrics_in(rule["expr"])
        assert read, rule["expr"]
        assert read <= set(alert_rules.METRIC_SOURCES), (rule["alert"], read)


def test_the_metric_check_catches_an_unsourced_name() -> None:
    assert alert_rules.metrics_in('sum(rate(model_engine_requests{a="b"}[5m]))') == {
        "model_engine_requests"
    }
    assert alert_rules.metrics_in("sum by (le) (rate(x_bucket[5m]))") == {"x_bucket"}


def test_rules_use_the_stack_namespaces_and_thresholds() -> None:
    scope = alert_rules.RuleScope("llm", "llm-endpoints", gpu_operator=False)
    t = Thresholds(gateway_error_percent=2, endpoint_unready_minutes=45)
    rules = {r["alert"]: r for g in alert_rules.rule_groups(scope, t) for r in g["rules"]}
    assert rules["ModelEngineGatewayErrors"]["expr"].endswith("> 0.02")
    assert 'destination_workload_namespace="llm"' in rules["ModelEngineGatewayErrors"]["expr"]
    assert 'namespace="llm-endpoints"' in rules["ModelEngineEndpointWithoutReadyPods"]["expr"]
    assert rules["ModelEngineEndpointWithoutReadyPods"]["for"] == "45m"
    assert not any(n.startswith("Gpu") for n in rules)


def test_gpu_health_rules_only_where_dcgm_exporter_runs() -> None:
    config = prod_config()
    set_path(config, "addons.nvidia.mode", "gpu-operator")
    rules = {r["alert"] for r in _rules(_values(run_aws(config)))}
    assert {"GpuXidError", "GpuTemperatureHigh"} <= rules
    assert not {"GpuXidError"} & {r["alert"] for r in _rules(_values(run_aws(prod_config())))}


def test_dcgm_exporter_and_keda_are_scraped(prod: AwsRun) -> None:
    jobs = _values(prod)["scrapeConfigs"]
    keep = jobs["dcgm-exporter"]["relabel_configs"][0]
    assert keep["action"] == "keep" and keep["regex"] == "nvidia-dcgm-exporter;gpu-metrics"
    keda = prod.one(RELEASE, "addons-keda-release").inputs["values"]
    assert keda["prometheus"]["operator"]["enabled"] is True
    assert keda["podAnnotations"]["keda"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(OPERATOR_METRICS_PORT),
    }


def test_aws_alertmanager_publishes_to_the_stack_topic_with_its_own_role(prod: AwsRun) -> None:
    am = _values(prod)["alertmanager"]
    assert am["enabled"] is True
    (receiver,) = am["config"]["receivers"]
    assert am["config"]["route"]["receiver"] == receiver["name"]
    (sns,) = receiver["sns_configs"]
    assert sns["topic_arn"] == prod.out(TOPIC, "platform-alerts-topic", "arn")
    assert sns["sigv4"] == {"region": "us-west-2"}
    assert "webhook_configs" not in receiver
    role = prod.out("aws:iam/role:Role", "platform-identity-alertmanager", "arn")
    assert am["serviceAccount"] == {
        "name": "prometheus-alertmanager",
        "annotations": {"eks.amazonaws.com/role-arn": role},
    }
    policy = prod.policy("platform-identity-alertmanager")["Statement"]
    assert policy[0]["Action"] == "sns:Publish"
    assert policy[0]["Resource"] == sns["topic_arn"]
    assert policy[1]["Resource"] == prod.out("aws:kms/key:Key", "platform-alerts-key", "arn")
    # The role trusts exactly the ServiceAccount the chart runs Alertmanager as.
    ns = prod.one(RELEASE, PROMETHEUS).inputs["namespace"]
    trust = json.dumps(prod.trust("platform-identity-alertmanager"))
    assert f'["system:serviceaccount:{ns}:prometheus-alertmanager"]' in trust


def test_a_webhook_url_travels_in_a_secret_never_in_values() -> None:
    config = prod_config()
    url = "https://events.pagerduty.example/integration/abc123/enqueue"
    set_path(config, "alertWebhookUrl", {"secure": url})
    run = run_aws(config)
    secret = run.one(SECRET, "addons-prometheus-alert-webhook")
    assert secret.inputs["metadata"]["name"] == alert_rules.WEBHOOK_SECRET
    assert any(p.startswith("stringData") for p in secret.secret_inputs)
    release = run.one(RELEASE, PROMETHEUS)
    assert "addons-prometheus-alert-webhook" in {
        u.rsplit("::", 1)[-1] for u in release.dependencies
    }
    am = release.inputs["values"]["alertmanager"]
    (hook,) = am["config"]["receivers"][0]["webhook_configs"]
    assert hook["url_file"] == f"{alert_rules.WEBHOOK_MOUNT}/{alert_rules.WEBHOOK_SECRET_KEY}"
    assert am["extraSecretMounts"][0]["secretName"] == alert_rules.WEBHOOK_SECRET
    assert am["extraSecretMounts"][0]["mountPath"] == alert_rules.WEBHOOK_MOUNT
    assert url not in json.dumps(release.inputs, default=str)


def test_a_prometheus_the_stack_brings_gets_the_rules_as_a_configmap() -> None:
    run = run_program(stack_file("existing-infra"), stack="existing-infra")
    assert not [r for r in run.of_type(RELEASE) if r.name == PROMETHEUS]
    (cm,) = [
        r
        for r in run.of_type("kubernetes:core/v1:ConfigMap")
        if r.inputs["metadata"]["name"] == alert_rules.ALERT_RULES_CONFIGMAP
    ]
    rules = yaml.safe_load(cm.inputs["data"][alert_rules.RULES_FILE])
    for rule in (r for g in rules["groups"] for r in g["rules"]):
        assert alert_rules.metrics_in(rule["expr"]) <= set(alert_rules.METRIC_SOURCES)
    # In the release namespace, after it exists; the plan lists it.
    release_ns = run.one("kubernetes:core/v1:Namespace", "model-engine-release-ns")
    assert cm.inputs["metadata"]["namespace"] == release_ns.inputs["metadata"]["name"]
    assert release_ns.urn in cm.dependencies
    assert any(
        "Prometheus rules: ModelEngineGatewayErrors" in line
        for line in operations.lines(run.resources)
    )


def test_keda_rule_reads_the_counter_keda_2_20_exports() -> None:
    """KEDA 2.20 (the pinned chart's app) counts scaler errors in keda_scaler_detail_errors_total
    with labels namespace and scaledObject among others (pkg/metricscollector/prommetrics.go);
    keda_scaler_errors_total no longer exists, and a rule on it would never fire."""
    scope = alert_rules.RuleScope("llm", "llm-endpoints", gpu_operator=False)
    rules = {
        r["alert"]: r for g in alert_rules.rule_groups(scope, Thresholds()) for r in g["rules"]
    }
    expr = rules["KedaScalerErrors"]["expr"]
    assert alert_rules.metrics_in(expr) == {"keda_scaler_detail_errors_total"}
    assert "by (namespace, scaledObject)" in expr
    assert "keda.sh/docs/2.20/" in alert_rules.METRIC_SOURCES["keda_scaler_detail_errors_total"]
