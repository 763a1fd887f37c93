"""Alert rules for model-engine itself, evaluated by Prometheus, and the Alertmanager
configuration that routes them to the stack's target. Pure data: no provider SDK.

Each expression reads only metrics in METRIC_SOURCES, each with the exporter that publishes
it and where that is documented; tests/addons/test_alert_rules.py parses the rules and
refuses any other name. What no exporter publishes is not pretended:
- the server exports no Prometheus metrics of its own (it reports to Datadog/StatsD), so
  the gateway's errors and latency are read from its Istio sidecar (the gateway runs in the
  mesh: the chart's HPA reads the same Istio series);
- the builder's backlog lives in the broker (SQS, Service Bus, Redis list), which no
  exporter here reads: the cloud alarms on the broker cover it (components/aws/alerts.py,
  components/azure/alerts.py); Prometheus alerts when the builder has no available pod;
- endpoints the server runs as LeaderWorkerSets (multi-node) are not Deployments and are
  not covered by the ready-pods rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from components.operations import Thresholds

# The chart's objects are named from modelEngine.fullname, which is always `model-engine`
# here (fullnameOverride and serviceIdentifier are refused: chart_facts.FORBIDDEN_TOP_LEVEL);
# the gateway Deployment is that name, the builder `<fullname>-endpoint-builder`
# (templates/_helpers.tpl modelEngine.fullname, modelEngine.buildername).
GATEWAY_WORKLOAD = "model-engine"
BUILDER_DEPLOYMENT = "model-engine-endpoint-builder"

ISTIO = "Istio standard metrics (istio.io/latest/docs/reference/config/metrics/)"
KSM = (
    "kube-state-metrics, installed by the prometheus chart (kube-state-metrics "
    "docs/metrics/workload/deployment-metrics.md)"
)
METRIC_SOURCES: dict[str, str] = {
    "istio_requests_total": ISTIO,
    "istio_request_duration_milliseconds_bucket": ISTIO,
    "kube_deployment_spec_replicas": KSM,
    "kube_deployment_status_replicas_available": KSM,
    # A counter per scaler, labels namespace, metric, scaledObject, scaler, triggerIndex, type;
    # KEDA 2.x's older keda_scaler_errors_total is gone in 2.20.
    "keda_scaler_detail_errors_total": (
        "KEDA 2.20 operator metrics (https://keda.sh/docs/2.20/integrations/prometheus/; "
        "kedacore/keda pkg/metricscollector/prommetrics.go scalerErrors), exposed with "
        "prometheus.operator.enabled (components/addons/keda.py)"
    ),
    "DCGM_FI_DEV_XID_ERRORS": (
        "NVIDIA dcgm-exporter default counters (etc/default-counters.csv), run by the GPU operator"
    ),
    "DCGM_FI_DEV_GPU_TEMP": (
        "NVIDIA dcgm-exporter default counters (etc/default-counters.csv), run by the GPU operator"
    ),
}
# GPUs throttle from about 85 C; sustained above it is a cooling fault, not load.
GPU_TEMPERATURE_C = 85
RULES_FILE = "alerting_rules.yml"
# For a Prometheus the stack brings: the rules in the release namespace, key RULES_FILE.
ALERT_RULES_CONFIGMAP = "model-engine-alert-rules"


@dataclass(frozen=True)
class RuleScope:
    release_namespace: str
    endpoint_namespace: str
    # dcgm-exporter runs (the GPU operator is installed): GPU health rules.
    gpu_operator: bool


def _rule(
    name: str, expr: str, minutes: int, severity: str, summary: str, runbook: str
) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": f"{minutes}m",
        "labels": {"severity": severity, "service": "model-engine"},
        "annotations": {"summary": summary, "runbook": runbook},
    }


def rule_groups(scope: RuleScope, t: Thresholds) -> list[dict[str, Any]]:
    """Prometheus rule groups (the `groups:` of a rules file)."""
    gw = f'reporter="destination",destination_workload="{GATEWAY_WORKLOAD}"'
    gw_ns = f'{gw},destination_workload_namespace="{scope.release_namespace}"'
    ep = f'namespace="{scope.endpoint_namespace}"'
    minutes = t.evaluation_minutes
    gateway = [
        _rule(
            "ModelEngineGatewayErrors",
            f'sum(rate(istio_requests_total{{{gw_ns},response_code=~"5.."}}[5m]))'
            f" / sum(rate(istio_requests_total{{{gw_ns}}}[5m]))"
            f" > {t.gateway_error_percent / 100}",
            minutes,
            "critical",
            f"More than {t.gateway_error_percent}% of gateway requests fail with 5xx",
            f"kubectl -n {scope.release_namespace} logs deploy/{GATEWAY_WORKLOAD}; check the "
            "database and Redis alarms",
        ),
        _rule(
            "ModelEngineGatewayLatency",
            "histogram_quantile(0.99, sum by (le) (rate("
            f"istio_request_duration_milliseconds_bucket{{{gw_ns}}}[5m])))"
            f" > {t.gateway_p99_latency_seconds * 1000}",
            minutes,
            "warning",
            f"Gateway p99 latency above {t.gateway_p99_latency_seconds}s",
            "check the gateway HPA (kubectl get hpa) and the endpoints it forwards to",
        ),
    ]
    workloads = [
        _rule(
            "ModelEngineBuilderUnavailable",
            f'kube_deployment_status_replicas_available{{namespace="{scope.release_namespace}",'
            f'deployment="{BUILDER_DEPLOYMENT}"}} < 1',
            minutes,
            "critical",
            "The endpoint builder has no available pod: new and updated endpoints wait",
            f"kubectl -n {scope.release_namespace} describe deploy/{BUILDER_DEPLOYMENT}",
        ),
        _rule(
            "ModelEngineEndpointWithoutReadyPods",
            f"(kube_deployment_spec_replicas{{{ep}}} > 0) and on (namespace, deployment) "
            f"(kube_deployment_status_replicas_available{{{ep}}} == 0)",
            t.endpoint_unready_minutes,
            "warning",
            f"An endpoint has wanted pods but none available for {t.endpoint_unready_minutes} "
            "minutes (GPU capacity, image pull, or a crashing model)",
            f"kubectl -n {scope.endpoint_namespace} describe deploy/<endpoint>; kubectl get events",
        ),
        _rule(
            "KedaScalerErrors",
            "sum by (namespace, scaledObject) (rate(keda_scaler_detail_errors_total[5m])) > 0",
            minutes,
            "warning",
            "A KEDA scaler fails: the endpoint cannot scale (from zero)",
            "kubectl -n <namespace> describe scaledobject <scaledObject>; KEDA operator logs",
        ),
    ]
    groups = [
        {"name": "model-engine-gateway", "rules": gateway},
        {"name": "model-engine-workloads", "rules": workloads},
    ]
    if scope.gpu_operator:
        groups.append(
            {
                "name": "model-engine-gpus",
                "rules": [
                    _rule(
                        "GpuXidError",
                        "max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS) > 0",
                        1,
                        "critical",
                        "A GPU reported an XID error: drain the node if it repeats",
                        "kubectl describe node <Hostname>; NVIDIA XID table",
                    ),
                    _rule(
                        "GpuTemperatureHigh",
                        f"max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP) > {GPU_TEMPERATURE_C}",
                        minutes,
                        "warning",
                        f"A GPU runs above {GPU_TEMPERATURE_C} C and will throttle",
                        "check the node's cooling with the cloud provider",
                    ),
                ],
            }
        )
    return groups


# Identifiers immediately followed by a selector or a range: the metric names of a PromQL
# expression as written here (every metric carries a selector or a range).
_METRIC = re.compile(r"\b([A-Za-z_:][A-Za-z0-9_:]*)\s*[{\[]")
_FUNCTIONS_BEFORE_PAREN = frozenset({"by", "on"})


def metrics_in(expr: str) -> set[str]:
    """Metric names an expression reads (each written with a selector or a range)."""
    return {m for m in _METRIC.findall(expr) if m not in _FUNCTIONS_BEFORE_PAREN}


# -- Alertmanager -----------------------------------------------------------------------

# Where the chart's extraSecretMounts puts the operator's webhook URL (never in values).
WEBHOOK_SECRET = "alertmanager-webhook"
WEBHOOK_SECRET_KEY = "url"
WEBHOOK_MOUNT = "/etc/alertmanager/webhook"


@dataclass(frozen=True)
class Route:
    # AWS: the stack's SNS topic, published with the alertmanager's workload identity.
    sns_topic_arn: str | None = None
    region: str | None = None
    # An operator webhook (PagerDuty, Slack, Teams ...) read from the mounted Secret.
    webhook: bool = False


def alertmanager_config(route: Route) -> dict[str, Any]:
    """alertmanager.yml: one receiver for the stack's target, alerts grouped per rule and
    namespace, resolved alerts sent too. Without a target the receiver is empty (alerts show
    in Alertmanager's UI only) and the plan reports it."""
    receiver: dict[str, Any] = {"name": "stack"}
    if route.sns_topic_arn:
        receiver["sns_configs"] = [
            {
                "topic_arn": route.sns_topic_arn,
                # Credentials from the pod's web identity (IRSA), as the AWS SDK finds them.
                "sigv4": {"region": route.region},
                "subject": "model-engine: {{ .GroupLabels.alertname }}",
                "send_resolved": True,
            }
        ]
    if route.webhook:
        receiver["webhook_configs"] = [
            {"url_file": f"{WEBHOOK_MOUNT}/{WEBHOOK_SECRET_KEY}", "send_resolved": True}
        ]
    return {
        "route": {
            "receiver": "stack",
            "group_by": ["alertname", "namespace"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
        },
        "receivers": [receiver],
    }
