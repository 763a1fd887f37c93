"""Prometheus (prometheus-community/prometheus) scraping Istio, and prometheus-adapter
serving the pod custom metric the chart's HPAs read.

Two consumers, one source of truth (Istio's request metrics):
- the server's KEDA ScaledObjects query Prometheus directly (scale from zero):
  ``sum(rate(istio_request_duration_milliseconds_sum{destination_workload="X"}[2m])) / 1000``
  (service_template_config_map.yaml at the pinned llm-engine commit);
- the gateway HPA and endpoint HPAs read the Pods metric ``request-concurrency-average``
  from the custom metrics API, which the adapter derives from the same series per pod.
Summed request time per second is the mean number of requests in flight (Little's law),
so both measure concurrency.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

import pulumi

from components import settings_loader as stack
from components.addons import alert_rules, identities
from components.addons.base import AddonContext, helm_release
from components.model_engine.chart_facts import CONCURRENCY_METRIC
from components.sdk import lazy
from components.settings import StackSettings

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")

SERVER_SERVICE = "prometheus-server"
# The stack's config secret holding the operator's alert webhook URL.
WEBHOOK_KEY = "alertWebhookUrl"
# The autoscalers read rates over 2-minute windows (the server's KEDA query and the adapter
# rule below: rate(...[2m])). rate() needs at least two samples in the window and is only
# steady with four or more, so scrapes must come at least every 30 s; the chart's default is
# 1 m. 15 s leaves room for a missed scrape.
SCRAPE_INTERVAL = "15s"
RATE_WINDOW = "2m"
SERVER_PORT = 80
# The Pods metric gateway_hpa.yaml and the endpoint HPA template name.
REQUEST_DURATION_SUM = "istio_request_duration_milliseconds_sum"


def server_address(namespace: str) -> str:
    """In-cluster URL of the Prometheus server the add-on installs."""
    # <service>.<namespace>.svc: the cluster domain is not always cluster.local.
    return f"http://{SERVER_SERVICE}.{namespace}.svc:{SERVER_PORT}"


# Envoy's own metrics endpoint on istio-proxy containers (port `http-envoy-prom`), as
# Istio documents for a custom Prometheus. Pods whose metrics Istio merges into their
# prometheus.io annotations (the default) are scraped by the chart's kubernetes-pods job
# instead: scraping both would double every rate the autoscalers see. `namespace` and
# `pod` labels are what the adapter maps series to pods by.
ENVOY_STATS_JOB: dict[str, Any] = {
    "metrics_path": "/stats/prometheus",
    "kubernetes_sd_configs": [{"role": "pod"}],
    "relabel_configs": [
        {
            "source_labels": ["__meta_kubernetes_pod_container_port_name"],
            "action": "keep",
            "regex": ".*-envoy-prom",
        },
        {
            "source_labels": [
                "__meta_kubernetes_pod_annotation_prometheus_io_scrape",
                "__meta_kubernetes_pod_annotation_prometheus_io_path",
            ],
            "action": "drop",
            "regex": "true;/stats/prometheus",
        },
        {
            "source_labels": ["__meta_kubernetes_pod_phase"],
            "action": "drop",
            "regex": "Pending|Succeeded|Failed|Completed",
        },
        {
            "source_labels": ["__meta_kubernetes_namespace"],
            "action": "replace",
            "target_label": "namespace",
        },
        {
            "source_labels": ["__meta_kubernetes_pod_name"],
            "action": "replace",
            "target_label": "pod",
        },
    ],
}

# Per pod: request time the pod's own sidecar served per second, in seconds (= requests in
# flight). `reporter="destination"` counts each request once, at the pod that served it.
CONCURRENCY_RULE: dict[str, Any] = {
    "seriesQuery": f'{REQUEST_DURATION_SUM}{{reporter="destination",namespace!="",pod!=""}}',
    "resources": {
        "overrides": {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}
    },
    "name": {"matches": f"^{REQUEST_DURATION_SUM}$", "as": CONCURRENCY_METRIC},
    "metricsQuery": (
        f'sum(rate(<<.Series>>{{<<.LabelMatchers>>,reporter="destination"}}[{RATE_WINDOW}])) '
        "by (<<.GroupBy>>) / 1000"
    ),
}


# dcgm-exporter's Service, as the GPU operator creates it (app=nvidia-dcgm-exporter, port
# `gpu-metrics`): scraped by this job whatever its annotations say. No such Service, no
# targets: the job is harmless where the operator does not run.
DCGM_JOB: dict[str, Any] = {
    "kubernetes_sd_configs": [{"role": "endpoints"}],
    "relabel_configs": [
        {
            "source_labels": [
                "__meta_kubernetes_service_label_app",
                "__meta_kubernetes_endpoint_port_name",
            ],
            "action": "keep",
            "regex": "nvidia-dcgm-exporter;gpu-metrics",
        },
        {
            "source_labels": ["__meta_kubernetes_pod_node_name"],
            "action": "replace",
            "target_label": "node",
        },
    ],
}


def rules_file(settings: StackSettings, gpu_operator: bool) -> dict[str, Any]:
    """The contents of alerting_rules.yml for this stack."""
    scope = alert_rules.RuleScope(
        release_namespace=settings.namespaces.release,
        endpoint_namespace=settings.namespaces.endpoints,
        gpu_operator=gpu_operator,
    )
    thresholds = settings.operations.alerts.thresholds
    return {"groups": alert_rules.rule_groups(scope, thresholds)}


def alertmanager_values(ctx: AddonContext, webhook: bool) -> dict[str, Any]:
    """The alertmanager subchart: its config routes to the stack's target. The SNS topic
    ARN is not a secret; the webhook URL is, so it is mounted from a Secret and read with
    `url_file`, never written into the values."""
    topic = ctx.platform.alert_sns_topic_arn
    if topic is not None:
        config: Any = pulumi.Output.all(topic, ctx.platform.facts.region).apply(
            lambda a: alert_rules.alertmanager_config(
                alert_rules.Route(sns_topic_arn=a[0], region=a[1], webhook=webhook)
            )
        )
    else:
        config = alert_rules.alertmanager_config(alert_rules.Route(webhook=webhook))
    values: dict[str, Any] = {
        "enabled": True,
        "config": config,
        "serviceAccount": {
            "name": identities.ALERTMANAGER_SERVICE_ACCOUNT,
            "annotations": dict(ctx.platform.addon_identities.get(identities.ALERTMANAGER, {})),
        },
    }
    if webhook:
        values["extraSecretMounts"] = [
            {
                "name": "webhook",
                "mountPath": alert_rules.WEBHOOK_MOUNT,
                "secretName": alert_rules.WEBHOOK_SECRET,
                "readOnly": True,
            }
        ]
    return values


def prometheus_values(
    ctx: AddonContext, gpu_operator: bool = False, webhook: bool = False
) -> dict[str, Any]:
    cfg = ctx.settings.addons.prometheus
    volume: dict[str, Any] = {"enabled": True, "size": cfg.storage_size}
    if cfg.storage_class:
        volume["storageClass"] = cfg.storage_class
    alertmanager = alertmanager_values(ctx, webhook)
    return {
        "server": {
            "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
            # The address handed to the chart names this Service; do not leave it to the
            # chart's release-name heuristics.
            "fullnameOverride": SERVER_SERVICE,
            "service": {"servicePort": SERVER_PORT},
            "retention": cfg.retention,
            "retentionSize": cfg.retention_size or "",
            "persistentVolume": volume,
        },
        # model-engine's own alert rules, routed through the chart's Alertmanager (the
        # chart points Prometheus at it). Nothing here pushes metrics.
        "serverFiles": {alert_rules.RULES_FILE: rules_file(ctx.settings, gpu_operator)},
        "alertmanager": alertmanager,
        "prometheus-pushgateway": {"enabled": False},
        "scrapeConfigs": {"envoy-stats": ENVOY_STATS_JOB, "dcgm-exporter": DCGM_JOB},
    }


def adapter_prometheus(address: str) -> dict[str, Any]:
    """prometheus-adapter wants the URL without port, the port, and the path apart."""
    parts = urllib.parse.urlsplit(address)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {
        "url": f"{parts.scheme}://{parts.hostname}",
        "port": port,
        "path": parts.path.rstrip("/"),
    }


def adapter_values(address: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "prometheus": pulumi.Output.from_input(address).apply(adapter_prometheus),
        "rules": {"default": False, "custom": [CONCURRENCY_RULE]},
    }


class Prometheus(pulumi.ComponentResource):
    release: k8s.helm.v3.Release
    address: str

    def __init__(
        self,
        name: str,
        ctx: AddonContext,
        gpu_operator: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("model-engine-infra:addons:Prometheus", name, None, opts)
        cfg = ctx.settings.addons.prometheus
        url = stack.secret(WEBHOOK_KEY)
        secrets: list[pulumi.Resource] = []
        if url is not None:
            secrets.append(
                k8s.core.v1.Secret(
                    f"{name}-alert-webhook",
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        name=alert_rules.WEBHOOK_SECRET, namespace=cfg.namespace
                    ),
                    string_data={alert_rules.WEBHOOK_SECRET_KEY: url},
                    opts=ctx.opts(self, ctx.namespace_deps(cfg.namespace)),
                )
            )
        self.release = helm_release(
            f"{name}-server",
            "prometheus",
            ctx=ctx,
            parent=self,
            release_name="prometheus",
            namespace=cfg.namespace,
            values=prometheus_values(ctx, gpu_operator, webhook=url is not None),
            overrides=cfg.values,
            version=cfg.version,
            depends_on=secrets,
        )
        self.address = server_address(cfg.namespace)
        self.register_outputs({"address": self.address})


class PrometheusAdapter(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        ctx: AddonContext,
        prometheus_address: pulumi.Input[str],
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("model-engine-infra:addons:PrometheusAdapter", name, None, opts)
        cfg = ctx.settings.addons.prometheus_adapter
        self.release = helm_release(
            f"{name}-release",
            "prometheus-adapter",
            ctx=ctx,
            parent=self,
            release_name="prometheus-adapter",
            namespace=cfg.namespace,
            values=adapter_values(prometheus_address),
            overrides=cfg.values,
            version=cfg.version,
            depends_on=depends_on,
        )
        self.register_outputs({"metric": CONCURRENCY_METRIC})
