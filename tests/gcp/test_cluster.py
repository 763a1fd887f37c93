"""GKE: private nodes, Workload Identity, a release channel; pools labelled and tainted as the
chart selects, GPU pools from the catalog with GKE's driver, scaled from zero by GKE itself."""

from __future__ import annotations

from typing import Any

from components import accelerators
from tests.gcp.helpers import CLUSTER, NODE_POOL, GcpRun, run_gcp
from tests.helpers import set_path

RELEASE = "kubernetes:helm.sh/v3:Release"


def pool(run: GcpRun, name: str) -> dict[str, Any]:
    return run.one(NODE_POOL, f"platform-nodes-{name}").inputs


def test_cluster_is_private_with_workload_identity(prod: GcpRun) -> None:
    c = prod.one(CLUSTER, "platform-cluster-gke").inputs
    assert c["privateClusterConfig"]["enablePrivateNodes"] is True
    # Authorized networks are listed, so the endpoint is public but only for them.
    assert c["privateClusterConfig"]["enablePrivateEndpoint"] is False
    assert [b["cidrBlock"] for b in c["masterAuthorizedNetworksConfig"]["cidrBlocks"]] == [
        "203.0.113.0/24"
    ]
    assert c["releaseChannel"]["channel"] == "REGULAR"
    assert c["removeDefaultNodePool"] is True
    assert c["networkingMode"] == "VPC_NATIVE"
    assert c["ipAllocationPolicy"] == {
        "clusterSecondaryRangeName": "pods",
        "servicesSecondaryRangeName": "services",
    }
    assert c["deletionProtection"] is True
    assert c["location"] == "us-central1"  # regional


def test_zonal_cluster_without_authorized_networks_is_private_only(config: dict) -> None:
    set_path(config, "gcp.cluster.zone", "us-central1-a")
    set_path(config, "gcp.cluster.gpuZones", [])
    set_path(config, "gcp.cluster.masterAuthorizedNetworks", [])
    run = run_gcp(config)
    c = run.one(CLUSTER).inputs
    assert c["location"] == "us-central1-a"
    assert c["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert {p.inputs["location"] for p in run.of_type(NODE_POOL)} == {"us-central1-a"}
    # The Kubernetes provider talks to the private endpoint with gke-gcloud-auth-plugin.
    provider = run.one("pulumi:providers:kubernetes", "platform-cluster-k8s")
    assert "gke-gcloud-auth-plugin" in provider.inputs["kubeconfig"]
    assert "https://172.16.0.2" in provider.inputs["kubeconfig"]
    assert "token" not in provider.inputs["kubeconfig"]


def test_system_and_cpu_pools_carry_the_chart_labels(prod: GcpRun) -> None:
    system = pool(prod, "system")["nodeConfig"]
    assert system["labels"] == {"node-lifecycle": "normal"}
    assert system.get("taints", []) == []
    cpu = pool(prod, "cpu")["nodeConfig"]
    assert cpu["labels"] == {"node-lifecycle": "normal", "cpu-only": "true"}
    assert pool(prod, "cpu")["autoscaling"]["totalMinNodeCount"] == 0


def test_gpu_pools_follow_the_catalog(prod: GcpRun) -> None:
    t4 = pool(prod, "gpu-t4")
    node = t4["nodeConfig"]
    # n1-standard-16 (two T4s): n1-standard-8 leaves too little memory for a balloon.
    assert node["machineType"] == "n1-standard-16"
    [gpu] = node["guestAccelerators"]
    assert (gpu["type"], gpu["count"]) == ("nvidia-tesla-t4", 2)
    assert gpu["gpuDriverInstallationConfig"] == {"gpuDriverVersion": "LATEST"}
    assert node["labels"] == {
        accelerators.ACCELERATOR_LABEL: "nvidia-tesla-t4",
        "node-lifecycle": "normal",
    }
    assert node["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
    ]
    # One node from the start (the balloon's), more by GKE's autoscaler; GPUs only in the
    # zones the stack names.
    assert t4["autoscaling"]["totalMinNodeCount"] == 1
    assert t4["autoscaling"]["totalMaxNodeCount"] == 4
    assert t4["nodeLocations"] == ["us-central1-a", "us-central1-c"]
    h100 = pool(prod, "gpu-h100")["nodeConfig"]
    [gpu] = h100["guestAccelerators"]
    assert (h100["machineType"], gpu["type"], gpu["count"]) == (
        "a3-highgpu-8g",
        "nvidia-h100-80gb",
        8,
    )
    assert "gpuPartitionSize" not in gpu


def test_mig_pools_are_partitioned_by_gke(config: dict) -> None:
    config["model-engine-infra:gpu"]["pools"].append(
        {"name": "h100-small", "accelerator": "h100-1g20gb", "maxSize": 1}
    )
    run = run_gcp(config)
    node = pool(run, "gpu-h100-small")["nodeConfig"]
    [gpu] = node["guestAccelerators"]
    assert gpu["gpuPartitionSize"] == "1g.20gb"
    # GKE cuts the slices: the GPU operator's MIG label is not needed, nor installed.
    assert accelerators.MIG_CONFIG_LABEL not in node["labels"]
    assert node["labels"][accelerators.ACCELERATOR_LABEL] == "nvidia-hopper-h100-1g20gb"
    assert not [r for r in run.of_type(RELEASE) if "gpu-operator" in r.name]


def test_gke_provides_the_driver_device_plugin_and_autoscaler(prod: GcpRun) -> None:
    names = {r.name for r in prod.of_type(RELEASE)}
    assert not any("nvidia" in n or "gpu-operator" in n for n in names), names
    assert not any("cluster-autoscaler" in n for n in names), names
    namespaces = {
        r.inputs["metadata"]["name"] for r in prod.of_type("kubernetes:core/v1:Namespace")
    }
    assert "nvidia" not in namespaces


def test_chart_waits_for_the_node_pools(prod: GcpRun) -> None:
    chart = prod.one(RELEASE, "model-engine-chart")
    upstream = set(chart.dependencies)
    for name in ("system", "cpu"):
        assert prod.one(NODE_POOL, f"platform-nodes-{name}").urn in upstream


def test_balloons_and_image_cache_use_the_pools(prod: GcpRun) -> None:
    balloons = {b["acceleratorName"]: b for b in prod.values["balloons"]}
    assert balloons["nvidia-tesla-t4"]["replicaCount"] == 1
    assert balloons["nvidia-hopper-h100"]["gpuCount"] == 8
    devices = {d["name"]: d for d in prod.values["imageCache"]["devices"]}
    assert devices["t4"]["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
