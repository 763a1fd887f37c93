"""Cluster add-ons, run as `pulumi up` would run the program against the simulated cloud.

What an operator relies on: a fresh cluster gets every add-on the chart needs, each at its
pinned chart version and on the cluster the platform built; one the cluster already runs
can be switched off; the chart's Release waits for the add-ons whose CRDs it renders; the
server queries the Prometheus that scrapes Istio, and the HPAs' custom metric is served.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components import accelerators
from components.addons import versions
from components.addons.istio import ENDPOINT_GATEWAY, INTERNAL_LB, gateway_values
from components.addons.prometheus import CONCURRENCY_METRIC
from plan.simulator import ProgramRun, RecordedResource, deferred, run_program
from tests.conftest import stack_file
from tests.helpers import delete_path, set_path, settings_from

RELEASE = "kubernetes:helm.sh/v3:Release"
GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
NAMESPACE = "kubernetes:core/v1:Namespace"
CHART = "model-engine-chart"

# Release resource name -> the versions-table entry it installs (fresh existing-infra stack).
FRESH_CLUSTER = {
    "addons-istio-base": "istio-base",
    "addons-istio-istiod": "istiod",
    "addons-istio-gateway": "istio-gateway",
    "addons-keda-release": "keda",
    "addons-prometheus-server": "prometheus",
    "addons-prometheus-adapter-release": "prometheus-adapter",
    "addons-nvidia-device-plugin": "nvidia-device-plugin",
    "addons-lws-release": "lws",
    "addons-metrics-server-release": "metrics-server",
}


@pytest.fixture
def fresh(existing_config: dict[str, Any]) -> dict[str, Any]:
    """The existing-infra stack on a cluster with nothing installed: no Prometheus named and
    every add-on at its default."""
    delete_path(existing_config, "existing.prometheusAddress")
    existing_config.pop("model-engine-infra:addons", None)
    return existing_config


def addon_releases(run: ProgramRun) -> dict[str, RecordedResource]:
    return {r.name: r for r in run.of_type(RELEASE) if r.name != CHART}


def chart_waits_for(run: ProgramRun) -> set[str]:
    """Names of the add-on resources the model-engine Release depends on."""
    chart = run.one(RELEASE, CHART)
    names = {run.by_urn(urn).name for urn in chart.dependencies}
    return {n for n in names if n.startswith("addons-")}


def infra(run: ProgramRun) -> dict[str, Any]:
    return run.one(RELEASE, CHART).inputs["values"]["config"]["values"]["infra"]


def on_cluster_provider(
    run: ProgramRun, resource: RecordedResource, provider_name: str = "platform-k8s"
) -> bool:
    """The resource uses the Kubernetes provider the platform built (`<urn>::<id>`)."""
    provider = run.one("pulumi:providers:kubernetes", provider_name)
    return (resource.provider or "").startswith(f"{provider.urn}::")


# --- every add-on pinned, on the platform's cluster -------------------------------------


def test_fresh_cluster_gets_every_addon_pinned_on_the_platform_cluster(
    fresh: dict[str, Any],
) -> None:
    run = run_program(fresh)
    releases = addon_releases(run)
    assert set(releases) == set(FRESH_CLUSTER)
    for name, key in FRESH_CLUSTER.items():
        pin = versions.CHARTS[key]
        inputs = releases[name].inputs
        assert inputs["chart"] == pin.name, name
        assert inputs["version"] == pin.version, name
        # An exact version from a named repository: `pulumi up` fetches what was tested.
        if pin.repository:
            assert inputs["repositoryOpts"] == {"repo": pin.repository}, name
        else:
            assert pin.name.startswith("oci://") and "repositoryOpts" not in inputs, name
        assert inputs["atomic"] is True, name
        # Installed on the cluster the platform built, not the ambient kubeconfig.
        assert on_cluster_provider(run, releases[name]), name
    assert run.of_type(GATEWAY)
    found4 = run.of_type(GATEWAY)
    assert found4
    for gateway in found4:
        assert on_cluster_provider(run, gateway), gateway.name


def test_a_version_override_pins_that_chart_only(fresh: dict[str, Any]) -> None:
    set_path(fresh, "addons.keda.version", "2.19.0")
    releases = addon_releases(run_program(fresh))
    assert releases["addons-keda-release"].inputs["version"] == "2.19.0"
    assert releases["addons-prometheus-server"].inputs["version"] == "29.27.0"


def rejected_before_any_resource(config: dict[str, Any]) -> str:
    """Run a stack that must fail; the message `pulumi up` prints. Nothing may exist yet."""
    registered: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as failure:
        run_program(config, recorded=registered)
    assert registered == [], [r.name for r in registered]
    return str(failure.value)


def test_a_floating_version_is_rejected(fresh: dict[str, Any]) -> None:
    set_path(fresh, "addons.keda.version", "latest")
    message = rejected_before_any_resource(fresh)
    assert "model-engine-infra:addons.keda.version" in message
    assert "exact chart version" in message


def test_an_addon_in_a_model_engine_namespace_is_rejected(fresh: dict[str, Any]) -> None:
    set_path(fresh, "addons.keda.namespace", "llm-engine")
    message = rejected_before_any_resource(fresh)
    assert "keda would live in namespace 'llm-engine'" in message


def test_addon_namespaces_exist_before_their_releases(fresh: dict[str, Any]) -> None:
    run = run_program(fresh)
    created = {r.inputs["metadata"]["name"]: r for r in run.of_type(NAMESPACE)}
    assert {"istio-system", "keda", "monitoring", "nvidia", "lws-system"} <= set(created)
    # kube-system and default are the cluster's own: never created (nor deleted) here.
    assert not {"kube-system", "default"} & set(created)
    releases = addon_releases(run)
    found3 = releases.values()
    assert found3
    for release in found3:
        ns = release.inputs["namespace"]
        if ns in created:
            assert created[ns].urn in release.dependencies, release.name
    # Privileged DaemonSets (device plugin, node-exporter) are admitted under Pod Security.
    assert (
        created["nvidia"].inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        == "privileged"
    )


# --- the chart waits for the CRDs it renders --------------------------------------------


def test_chart_release_waits_for_istio_crds_and_istiod(fresh: dict[str, Any]) -> None:
    run = run_program(fresh)
    # Telemetry/WasmPlugin (into istio-system) and VirtualService/DestinationRule need the
    # base chart's CRDs and istiod's validating webhook before `helm install` of the chart.
    assert chart_waits_for(run) == {
        "addons-ns-istio-system",
        "addons-istio-base",
        "addons-istio-istiod",
    }


def test_runtime_only_addons_do_not_hold_the_chart_back(fresh: dict[str, Any]) -> None:
    waits = chart_waits_for(run_program(fresh))
    # Prometheus, the adapter, LWS and the device plugin are needed by endpoints, not by
    # the chart's own manifests; waiting on them would only slow the install down.
    assert not waits & {
        "addons-prometheus-server",
        "addons-prometheus-adapter-release",
        "addons-lws-release",
        "addons-nvidia-device-plugin",
        "addons-keda-release",
    }


def test_vertical_autoscaling_installs_vpa_and_the_chart_waits_for_it(
    fresh: dict[str, Any],
) -> None:
    set_path(fresh, "autoscaling.vertical.enabled", True)
    run = run_program(fresh)
    vpa = addon_releases(run)["addons-vpa-release"]
    assert vpa.inputs["version"] == versions.CHARTS["vertical-pod-autoscaler"].version
    assert "addons-vpa-release" in chart_waits_for(run)


def test_no_vpa_without_vertical_autoscaling(fresh: dict[str, Any]) -> None:
    assert "addons-vpa-release" not in addon_releases(run_program(fresh))


# --- switching an add-on off --------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "gone"),
    [
        ("keda", {"addons-keda-release"}),
        ("prometheusAdapter", {"addons-prometheus-adapter-release"}),
        ("nvidia", {"addons-nvidia-device-plugin"}),
        ("lws", {"addons-lws-release"}),
        ("metricsServer", {"addons-metrics-server-release"}),
    ],
)
def test_switching_an_addon_off_removes_only_it(
    fresh: dict[str, Any], setting: str, gone: set[str]
) -> None:
    set_path(fresh, f"addons.{setting}.enabled", False)
    run = run_program(fresh)
    assert set(addon_releases(run)) == set(FRESH_CLUSTER) - gone


def test_switching_istio_off_removes_it_and_the_charts_wait(fresh: dict[str, Any]) -> None:
    set_path(fresh, "addons.istio.enabled", False)
    run = run_program(fresh)
    assert not {n for n in addon_releases(run) if n.startswith("addons-istio")}
    assert run.of_type(GATEWAY) == []
    # The cluster's Istio owns istio-system; it is not created (or deleted) here.
    assert "istio-system" not in {r.inputs["metadata"]["name"] for r in run.of_type(NAMESPACE)}
    assert chart_waits_for(run) == set()


def test_istio_routing_off_still_installs_the_crds_the_chart_renders(
    fresh: dict[str, Any],
) -> None:
    set_path(fresh, "istio.enabled", False)
    run = run_program(fresh)
    istio = {n for n in addon_releases(run) if n.startswith("addons-istio")}
    # The chart renders Telemetry and WasmPlugin whenever azure is unset.
    assert istio == {"addons-istio-base"}
    assert chart_waits_for(run) == {"addons-ns-istio-system", "addons-istio-base"}


# --- Prometheus address and the custom metric ---------------------------------------------


def test_chart_queries_the_installed_prometheus(fresh: dict[str, Any]) -> None:
    set_path(fresh, "addons.prometheus.namespace", "metrics")
    run = run_program(fresh)
    address = "http://prometheus-server.metrics.svc:80"
    assert infra(run)["prometheus_server_address"] == address
    server = addon_releases(run)["addons-prometheus-server"].inputs
    assert server["namespace"] == "metrics"
    # The Service the address names is pinned, not left to release-name heuristics.
    assert server["values"]["server"]["fullnameOverride"] == "prometheus-server"
    assert server["values"]["server"]["service"]["servicePort"] == 80
    adapter = addon_releases(run)["addons-prometheus-adapter-release"].inputs["values"]
    assert adapter["prometheus"] == {
        "url": "http://prometheus-server.metrics.svc",
        "port": 80,
        "path": "",
    }


def test_prometheus_scrapes_istio_envoy_stats(fresh: dict[str, Any]) -> None:
    values = addon_releases(run_program(fresh))["addons-prometheus-server"].inputs["values"]
    job = values["scrapeConfigs"]["envoy-stats"]
    assert job["metrics_path"] == "/stats/prometheus"
    relabel = job["relabel_configs"]
    assert {
        "source_labels": ["__meta_kubernetes_pod_container_port_name"],
        "action": "keep",
        "regex": ".*-envoy-prom",
    } in relabel
    # Series carry the pod and namespace the adapter maps them to.
    targets = {r.get("target_label") for r in relabel}
    assert {"namespace", "pod"} <= targets
    # Pods whose metrics Istio merges are left to kubernetes-pods: no double counting.
    assert any(r["action"] == "drop" and r["regex"] == "true;/stats/prometheus" for r in relabel)


def test_adapter_serves_request_concurrency_from_istio_request_time(
    fresh: dict[str, Any],
) -> None:
    values = addon_releases(run_program(fresh))["addons-prometheus-adapter-release"].inputs
    (rule,) = values["values"]["rules"]["custom"]
    # The Pods metric the gateway HPA and the endpoint HPAs read.
    assert rule["name"]["as"] == CONCURRENCY_METRIC == "request-concurrency-average"
    # Same series as the server's KEDA query: summed request seconds per second.
    assert rule["seriesQuery"].startswith("istio_request_duration_milliseconds_sum{")
    assert rule["resources"]["overrides"]["pod"] == {"resource": "pod"}
    assert "/ 1000" in rule["metricsQuery"] and "rate(<<.Series>>" in rule["metricsQuery"]


def test_prometheus_off_uses_the_stack_address_everywhere(fresh: dict[str, Any]) -> None:
    set_path(fresh, "addons.prometheus.enabled", False)
    set_path(fresh, "prometheusAddress", "https://prom.ops.acme.internal:9443/prom")
    run = run_program(fresh)
    assert "addons-prometheus-server" not in addon_releases(run)
    assert infra(run)["prometheus_server_address"] == "https://prom.ops.acme.internal:9443/prom"
    adapter = addon_releases(run)["addons-prometheus-adapter-release"].inputs["values"]
    assert adapter["prometheus"] == {
        "url": "https://prom.ops.acme.internal",
        "port": 9443,
        "path": "/prom",
    }


def test_a_stack_that_names_its_prometheus_gets_no_second_one(
    existing_config: dict[str, Any],
) -> None:
    run = run_program(existing_config)  # existing.prometheusAddress is set
    assert "addons-prometheus-server" not in addon_releases(run)
    assert infra(run)["prometheus_server_address"] == (
        "http://prometheus-server.istio-system.svc.cluster.local:80"
    )


def test_installing_prometheus_next_to_a_named_one_is_rejected(
    existing_config: dict[str, Any],
) -> None:
    set_path(existing_config, "addons.prometheus.enabled", True)
    message = rejected_before_any_resource(existing_config)
    assert "model-engine-infra:addons.prometheus.enabled" in message
    assert "already names a Prometheus" in message


def test_adapter_without_any_prometheus_is_rejected(fresh: dict[str, Any]) -> None:
    set_path(fresh, "addons.prometheus.enabled", False)
    set_path(fresh, "autoscaling.scaleFromZero", False)
    message = rejected_before_any_resource(fresh)
    assert "model-engine-infra:addons.prometheusAdapter: needs a Prometheus" in message


# --- Istio gateway ------------------------------------------------------------------------


def test_gateway_release_and_objects_match_istio_gateways(fresh: dict[str, Any]) -> None:
    set_path(fresh, "istio.gateways", ["ingress/edge-gateway"])
    run = run_program(fresh)
    release = addon_releases(run)["addons-istio-gateway"].inputs
    assert (release["name"], release["namespace"]) == ("edge-gateway", "ingress")
    assert release["values"]["labels"]["istio"] == "edge-gateway"
    gateways = {
        f"{g.inputs['metadata']['namespace']}/{g.inputs['metadata']['name']}": g
        for g in run.of_type(GATEWAY)
    }
    # The stack's gateway, plus the one the server's endpoint VirtualServices hard-code.
    assert set(gateways) == {"ingress/edge-gateway", ENDPOINT_GATEWAY}
    base = addon_releases(run)["addons-istio-base"]
    found2 = gateways.values()
    assert found2
    for gateway in found2:
        assert gateway.inputs["spec"]["selector"] == {"istio": "edge-gateway"}
        assert base.urn in gateway.dependencies  # the Gateway CRD comes with base
    # A namespace the cluster lacks is created first.
    ingress = run.one(NAMESPACE, "addons-ns-ingress")
    assert ingress.urn in gateways["ingress/edge-gateway"].dependencies


def test_gateway_service_is_internal_on_each_cloud(existing_config: dict[str, Any]) -> None:
    settings = settings_from(existing_config)
    aws = gateway_values(settings, "aws")["service"]
    assert aws["type"] == "LoadBalancer"
    assert aws["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"
    assert gateway_values(settings, "gcp")["service"]["annotations"] == INTERNAL_LB["gcp"]
    # Operator's own annotations replace the defaults.
    set_path(existing_config, "addons.istio.gateway.serviceAnnotations", {"a": "b"})
    own = gateway_values(settings_from(existing_config), "aws")["service"]["annotations"]
    assert own == {"a": "b"}


# --- NVIDIA -------------------------------------------------------------------------------


def test_mig_pool_switches_the_device_plugin_to_the_gpu_operator(
    fresh: dict[str, Any],
) -> None:
    fresh["model-engine-infra:gpu"]["pools"].append(
        {"name": "h100-mig", "accelerator": "h100-1g20gb", "gpusPerNode": 32, "maxSize": 1}
    )
    releases = addon_releases(run_program(fresh))
    assert "addons-nvidia-device-plugin" not in releases
    operator = releases["addons-nvidia-gpu-operator"].inputs
    pin = versions.CHARTS["gpu-operator"]
    assert (operator["chart"], operator["version"]) == (pin.name, pin.version)
    values = operator["values"]
    assert values["migManager"]["enabled"] is True
    # One layout per node: each slice is a plain nvidia.com/gpu, what endpoint pods request.
    assert values["mig"] == {"strategy": "single"}
    assert values["devicePlugin"] == {"enabled": True}


def test_whole_gpu_pools_get_the_device_plugin_on_accelerator_nodes(
    fresh: dict[str, Any],
) -> None:
    values = addon_releases(run_program(fresh))["addons-nvidia-device-plugin"].inputs["values"]
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    keys = {e["key"] for t in terms["nodeSelectorTerms"] for e in t["matchExpressions"]}
    assert keys == {accelerators.ACCELERATOR_LABEL}
    assert {"key": accelerators.GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"} in (
        values["tolerations"]
    )


def test_forcing_the_device_plugin_with_a_mig_pool_is_rejected(fresh: dict[str, Any]) -> None:
    fresh["model-engine-infra:gpu"]["pools"].append(
        {"name": "h100-mig", "accelerator": "h100-3g40gb", "gpusPerNode": 16, "maxSize": 1}
    )
    set_path(fresh, "addons.nvidia.mode", "device-plugin")
    message = rejected_before_any_resource(fresh)
    assert "model-engine-infra:addons.nvidia.mode" in message and "MIG" in message


# --- on AWS (the customer-prod example stack) ----------------------------------------------

ROLE = "eks.amazonaws.com/role-arn"


@pytest.fixture(scope="module")
def aws() -> ProgramRun:
    return run_program(stack_file("customer-prod"))


def test_aws_addons_wait_for_the_node_groups(aws: ProgramRun) -> None:
    groups = {"platform-nodes-system", "platform-nodes-cpu"}
    nodes = {r.urn for r in aws.resources if r.name in groups}
    assert len(nodes) == 2
    found = addon_releases(aws).values()
    assert found
    for release in found:
        # Helm waits for the add-on's pods: there must be nodes to run them on.
        assert nodes <= set(release.dependencies), release.name
        assert on_cluster_provider(aws, release, "platform-cluster-k8s"), release.name


def test_aws_cluster_autoscaler_discovers_this_clusters_node_groups(aws: ProgramRun) -> None:
    ca = addon_releases(aws)["addons-cluster-autoscaler-release"].inputs
    assert ca["version"] == versions.CHARTS["cluster-autoscaler"].version
    assert ca["namespace"] == "kube-system"
    values = ca["values"]
    assert values["cloudProvider"] == "aws" and values["awsRegion"] == "us-west-2"
    assert values["autoDiscovery"]["tags"] == [
        "k8s.io/cluster-autoscaler/enabled",
        "k8s.io/cluster-autoscaler/model-engine-customer-prod",
    ]
    # IRSA: the role the platform made for exactly this ServiceAccount.
    assert values["rbac"]["serviceAccount"] == {
        "name": "cluster-autoscaler",
        "annotations": {
            ROLE: deferred("aws:iam/role:Role", "platform-identity-cluster-autoscaler", "arn")
        },
    }


def test_aws_cluster_autoscaler_matches_the_cluster_version(aws: ProgramRun) -> None:
    values = addon_releases(aws)["addons-cluster-autoscaler-release"].inputs["values"]
    # customer-prod runs EKS 1.35: the autoscaler runs the 1.35 line, not the chart's default.
    assert values["image"] == {"tag": versions.AUTOSCALER_IMAGES["1.35"]}


def test_aws_cluster_autoscaler_for_an_unknown_version_needs_a_tag() -> None:
    config = stack_file("customer-prod")
    # 1.32 is still created by EKS (extended support), but no autoscaler line is pinned.
    set_path(config, "aws.cluster.version", "1.32")
    set_path(config, "aws.cluster.supportType", "EXTENDED")
    message = rejected_before_any_resource(config)
    assert "model-engine-infra:addons.clusterAutoscaler.imageTag" in message
    assert "(1.32)" in message
    set_path(config, "addons", {"clusterAutoscaler": {"imageTag": "v1.32.4"}})
    ca = addon_releases(run_program(config))["addons-cluster-autoscaler-release"]
    assert ca.inputs["values"]["image"] == {"tag": "v1.32.4"}


def test_aws_keda_reads_the_redis_password_with_its_own_role(aws: ProgramRun) -> None:
    keda = addon_releases(aws)["addons-keda-release"]
    assert keda.inputs["values"]["serviceAccount"]["operator"] == {
        "name": "keda-operator",
        "annotations": {ROLE: deferred("aws:iam/role:Role", "platform-identity-keda", "arn")},
    }
    # ElastiCache has auth on: the chart renders a KEDA TriggerAuthentication.
    assert "addons-keda-release" in chart_waits_for(aws)


def test_aws_gateway_is_an_internal_nlb(aws: ProgramRun) -> None:
    service = addon_releases(aws)["addons-istio-gateway"].inputs["values"]["service"]
    assert service["type"] == "LoadBalancer"
    assert service["annotations"] == INTERNAL_LB["aws"]
    assert service["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"] == (
        "internal"
    )


def test_aws_chart_queries_the_installed_prometheus(aws: ProgramRun) -> None:
    assert infra(aws)["prometheus_server_address"] == ("http://prometheus-server.monitoring.svc:80")


def test_no_cluster_autoscaler_where_the_platform_does_not_need_one(
    fresh: dict[str, Any],
) -> None:
    assert "addons-cluster-autoscaler-release" not in addon_releases(run_program(fresh))
