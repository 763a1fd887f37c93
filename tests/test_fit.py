"""The fit model: every pod the chart and the server put on a GPU pool fits one node, or the
stack is refused before any resource exists.

Expected numbers come from the clouds' documentation (worked examples, tables), written out
here, not read back from components/fit.py's constants.
"""

from __future__ import annotations

import base64
import copy
import re
from typing import Any

import pulumi
import pytest

from components import fit, instances
from components.azure import catalog as azure_catalog
from components.platforms import PLATFORMS
from plan import coldstart
from plan.simulator import RecordedResource, run_program
from tests.conftest import stack_file
from tests.helpers import KEY, set_path, settings_from
from tests.server_source import server_file

AWS, AZURE, GCP = "customer-prod", "azure-prod", "gcp-prod"


def config_of(stack: str) -> dict[str, Any]:
    return copy.deepcopy(stack_file(stack))


def refused(config: dict[str, Any]) -> str:
    """Run the program as `pulumi up` would; it must fail before registering anything."""
    registered: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as failure:
        run_program(config, recorded=registered)
    assert registered == [], [r.name for r in registered]
    return str(failure.value)


def misfits(config: dict[str, Any]) -> list[str]:
    settings = settings_from(config)
    pools = PLATFORMS[settings.cloud].gpu_pools(settings)
    return fit.problems(settings, pools, fit.hardware(settings), "model-engine-infra")


# --- the catalog ------------------------------------------------------------------------
# (tests/test_platform.py holds every platform's catalog to its own node rows.)
def node(cloud: str, name: str) -> instances.NodeType:
    """A row of the platform's node catalog, which must have it."""
    row = instances.node_type(cloud, name)
    assert row is not None, (cloud, name)
    return row


def test_catalog_rows_match_the_published_specs() -> None:
    # Spot checks against the vendors' pages: p5.48xlarge 192 vCPU, 2 TiB, 8 x 3.84 TB NVMe,
    # 3200 Gbps; ND96isr_H100_v5 96 vCPU, 1900 GiB; a3-highgpu-8g 208 vCPU, 1872 GB, 6 TB SSD.
    p5 = node("aws", "p5.48xlarge")
    assert (p5.vcpus, p5.memory_gib, p5.local_disk_gb, p5.disks) == (192, 2048, 30400, 8)
    nd = node("azure", "Standard_ND96isr_H100_v5")
    assert (nd.vcpus, nd.memory_gib) == (96, 1900)
    a3 = node("gcp", "a3-highgpu-8g")
    assert (a3.vcpus, a3.memory_gib, a3.local_disk_gb, a3.disks) == (208, 1872, 6000, 16)


# --- the clouds' reservations, against their documented examples -------------------------
def test_gke_memory_reservation_matches_the_documented_tiers() -> None:
    # 150 GiB: 25% of 4 + 20% of 4 + 10% of 8 + 6% of 112 + 2% of 22 = 9.76 GiB, plus the
    # 100 MiB eviction threshold (GKE "Plan node sizes").
    node = instances.NodeType(vcpus=4, memory_gib=150, local_disk_gb=0, network_gbps=10)
    memory = fit.reserved("gcp", node, 100).memory_mi
    assert memory == pytest.approx(9.76 * 1024 + 100, abs=1)


def test_eks_memory_reservation_follows_max_pods() -> None:
    # nodeadm: 11 MiB per pod + 255 MiB; g4dn.xlarge takes 29 pods -> 574 MiB, + 100 Mi.
    memory = fit.reserved("aws", node("aws", "g4dn.xlarge"), 100).memory_mi
    assert memory == 574 + 100


def test_an_eks_gpu_node_offers_its_capacity_less_nodeadm_and_the_eks_daemonsets() -> None:
    """The example stack's a10 pool: g5.12xlarge (48 vCPU, 192 GiB, 3800 GB instance store,
    737 pods by the ENI table), kubelet on the NVMe RAID."""
    settings = settings_from(config_of(AWS))
    shape = PLATFORMS["aws"].gpu_pools(settings)[0].node
    assert shape is not None and shape.node_type == "g5.12xlarge" and shape.local_disk
    # CPU: nodeadm reserves 60 + 10 + 2 x 5 + 44 x 2.5 = 190m of 48 cores; the EKS add-ons'
    # DaemonSets request aws-node 25m, kube-proxy 100m, ebs-csi-node 3 x 10m = 155m.
    assert shape.allocatable.cpu_m == 48_000 - 190 - 155
    # Memory: nodeadm 11 MiB x 737 pods + 255 MiB = 8362, eviction 100Mi, ebs-csi-node's
    # three containers 3 x 40Mi = 120 (aws-ebs-csi-driver chart node.resources).
    assert shape.allocatable.memory_mi == 192 * 1024 - 8362 - 100 - 120
    # Disk: 3800 GB less the 10% eviction threshold and nodeadm's 1Gi.
    assert shape.allocatable.storage_mi == pytest.approx(0.9 * 3800e9 / 2**20 - 1024)


@pytest.mark.parametrize(
    ("cores", "millicores"), [(1, 60), (2, 100), (4, 140), (8, 180), (64, 740)]
)
def test_aks_cpu_reservation_matches_microsofts_table(cores: int, millicores: int) -> None:
    assert azure_catalog.aks_cpu_reserved_m(cores) == millicores


def test_aks_memory_reservation_is_capped_at_a_quarter() -> None:
    # AKS 1.29+: the lesser of 20 MB x 250 pods + 50 MB and 25% of memory; 8 GiB -> 2 GiB,
    # plus the 100Mi eviction threshold.
    node = instances.NodeType(vcpus=2, memory_gib=8, local_disk_gb=0, network_gbps=1)
    assert fit.reserved("azure", node, 100).memory_mi == 2048 + 100


def test_gke_cpu_reservation_matches_the_documented_tiers() -> None:
    # 6% + 1% + 2 x 0.5% + 4 x 0.25% of a core = 90m on 8 cores.
    node = instances.NodeType(vcpus=8, memory_gib=30, local_disk_gb=0, network_gbps=16)
    assert fit.reserved("gcp", node, 100).cpu_m == 90


@pytest.mark.parametrize(
    ("machine", "local_gib"),
    [("a2-ultragpu-1g", 50), ("a2-ultragpu-2g", 75), ("a3-highgpu-8g", 100)],
)
def test_gke_storage_reservation_on_local_ssd_counts_the_disks(
    machine: str, local_gib: float
) -> None:
    # GKE "Plan node sizes": 50, 75 or 100 GiB on 1, 2 or more Local SSDs; on a boot disk of
    # 100 GiB the least of 50%, 6 GiB + 35% (41 GiB) and 100 GiB. Plus 10% eviction.
    gcp = node("gcp", machine)
    on_local = fit.reserved("gcp", gcp, 100, on_local_disk=True).storage_mi
    on_root = fit.reserved("gcp", gcp, 100).storage_mi
    assert on_local == pytest.approx((local_gib + 10) * 1024)
    assert on_root == pytest.approx((41 + 10) * 1024)


def test_n1_standard_8_leaves_about_26_gib() -> None:
    """The issue's figure: a T4 node on n1-standard-8 offers about 26 GiB, less than the
    balloon's 28Gi."""
    shape = fit.allocatable("gcp", node("gcp", "n1-standard-8"), 1, 200)
    assert 25.5 < shape.memory_mi / 1024 < 26.5


# --- misfits refused before any resource --------------------------------------------------
def test_balloon_on_g5_xlarge_is_refused() -> None:
    config = config_of(AWS)
    set_path(config, "gpu.pools[0].instanceType", "g5.xlarge")
    set_path(config, "gpu.pools[0].balloonReplicas", 1)
    set_path(config, "gpu.pools[0].minSize", 1)
    message = refused(config)
    assert f"{KEY}gpu.pools[0]" in message
    assert "balloon" in message and "'a10'" in message and "g5.xlarge" in message
    assert "28.0Gi memory requested" in message  # what is short
    assert "larger instanceType" in message  # the fix


def test_t4_balloon_on_n1_standard_8_is_refused() -> None:
    config = config_of(GCP)
    set_path(config, "gpu.pools[0].instanceType", "n1-standard-8")
    message = refused(config)
    assert f"{KEY}gpu.pools[0]" in message
    assert "balloon" in message and "n1-standard-8" in message
    assert "28.0Gi memory requested" in message


@pytest.mark.parametrize(
    ("stack", "pool", "node"),
    [(AWS, 0, "g5.12xlarge"), (AZURE, 0, "Standard_NC24ads_A100_v4"), (GCP, 0, "n1-standard-16")],
)
def test_balloon_on_a_pool_that_starts_empty_is_refused(stack: str, pool: int, node: str) -> None:
    """The atomic Release would wait for a GPU node the autoscaler may never get."""
    config = config_of(stack)
    set_path(config, f"gpu.pools[{pool}].balloonReplicas", 1)
    set_path(config, f"gpu.pools[{pool}].minSize", 0)
    message = refused(config)
    assert f"{KEY}gpu.pools[{pool}].minSize" in message
    assert f"needs 1 {node} node(s) at install" in message and "starts with 0" in message
    assert "Set minSize (or desiredSize) to 1" in message  # the fix


def test_balloon_on_a_pool_that_starts_with_its_nodes_is_accepted() -> None:
    config = config_of(AWS)
    # g5.12xlarge has 4 A10s: two 2-GPU balloons a node, so three need two nodes.
    set_path(config, "gpu.pools[0].balloonReplicas", 3)
    set_path(config, "gpu.pools[0].balloonGpus", 2)
    set_path(config, "gpu.pools[0].desiredSize", 2)
    settings = settings_from(config)
    assert fit.balloon_start_problems(settings, "p") == []
    set_path(config, "gpu.pools[0].desiredSize", 1)
    [message] = fit.balloon_start_problems(settings_from(config), "p")
    assert "needs 2 g5.12xlarge node(s)" in message and "starts with 1" in message


def test_gke_pools_start_with_their_minimum_across_zones() -> None:
    """GKE's initialNodeCount is per zone: two zones and minSize 3 need two a zone."""
    config = config_of(GCP)
    set_path(config, "gpu.pools[0].minSize", 3)
    set_path(config, "gpu.pools[0].balloonReplicas", 3)
    pool = _inputs(run_program(config), "gcp:container/nodePool:NodePool", "platform-nodes-gpu-t4")
    assert pool["initialNodeCount"] * len(pool["nodeLocations"]) >= 3
    assert pool["initialNodeCount"] == 2 and len(pool["nodeLocations"]) == 2


def test_balloons_share_nodes_when_they_fit() -> None:
    # g5.12xlarge has 4 A10s: four 1-GPU balloons fit on one node, five need two.
    assert fit.balloon_nodes(4, 1, 4) == 1
    assert fit.balloon_nodes(5, 1, 4) == 2
    assert fit.balloon_nodes(2, 8, 8) == 2
    assert fit.balloon_nodes(0, 1, 4) == 0


@pytest.mark.parametrize("stack", [AWS, AZURE, GCP])
def test_example_balloons_start_on_their_pools_nodes(stack: str) -> None:
    assert misfits(config_of(stack)) == []


def test_tiers_on_local_nvme_are_accepted() -> None:
    """The 900Gi H100 tier and the deepseek rows need more than any default root disk; on
    p5's instance-store NVMe they fit, one pod per node."""
    config = config_of(AWS)
    assert misfits(config) == []
    settings = settings_from(config)
    [_, h100] = PLATFORMS["aws"].gpu_pools(settings)
    assert h100.node is not None and h100.node.local_disk
    assert h100.node.allocatable.storage_mi / 1024 > 900
    lines = fit.table(settings, [h100], fit.hardware(settings))
    assert "instance-store NVMe (RAID0) 30400 GB" in lines[0]
    assert "gpu_memory_le 1280" in lines[1] and "1 per node" in lines[1]


@pytest.mark.parametrize(
    ("stack", "local", "root"),
    [
        (AWS, "instance-store NVMe (RAID0) 30400 GB", "gp3 root"),
        (AZURE, "temporary disk 2880 GB", "Premium SSD OS disk"),
        (GCP, "local SSD 6000 GB", "pd-balanced boot"),
    ],
)
def test_the_fit_table_names_the_disk_the_kubelet_uses(stack: str, local: str, root: str) -> None:
    """A pool on local disk names the node type's local disk and its size; a pool off it
    names the cloud's root disk."""
    config = config_of(stack)
    if stack == AZURE:  # the example's sizes have no temporary disk large enough
        set_path(config, "gpu.pools[1].accelerator", "t4")
        set_path(config, "gpu.pools[1].instanceType", "Standard_NC64as_T4_v3")

    def second_pool_disk(local_disk: bool) -> str:
        set_path(config, "gpu.pools[1].localDisk", local_disk)
        settings = settings_from(config)
        node = PLATFORMS[settings.cloud].gpu_pools(settings)[1].node
        assert node is not None
        return node.disk

    assert second_pool_disk(True) == local
    assert second_pool_disk(False).startswith(f"{root} ")


def test_a_tier_larger_than_the_declared_root_disk_is_refused() -> None:
    config = config_of(AWS)
    set_path(config, "gpu.pools[1].localDisk", False)
    set_path(config, "gpu.pools[1].diskSizeGb", 200)
    [problem, *_] = misfits(config)
    assert problem.startswith(f"{KEY}gpu.recommendedHardware: the tier byGpuMemoryGb[4]")
    assert "ephemeral-storage requested" in problem and "'h100' (p5.48xlarge)" in problem


def test_without_local_disk_the_root_is_sized_for_the_largest_tier() -> None:
    config = config_of(AWS)
    set_path(config, "gpu.pools[1].localDisk", False)
    assert misfits(config) == []
    [_, h100] = PLATFORMS["aws"].gpu_pools(settings_from(config))
    assert h100.node is not None and not h100.node.local_disk
    # 900Gi tier + forwarder + 80Gi of images within 90% of the disk, less 1Gi.
    assert h100.node.root_disk_gb * 1e9 / 2**30 * 0.9 - 1 >= 900 + 80
    assert h100.node.root_disk_gb < 1200


@pytest.mark.parametrize(("cpus", "fits"), [(93, True), (94, False)])
def test_the_forwarder_and_sidecar_count_against_the_node(cpus: int, fits: bool) -> None:
    """ND96isr_H100_v5: 96 cores less AKS's 1060m (140m + 10m per core above 4) and the
    400m DaemonSet budget leave 94.54; a tier of 94 CPUs plus the forwarder's 1 and the
    sidecar's 0.1 does not fit, 93 does."""
    config = config_of(AZURE)
    tiers = config[KEY + "gpu"]["recommendedHardware"]["byGpuMemoryGb"]
    tiers[-1]["cpus"] = cpus
    problems = misfits(config)
    if fits:
        assert problems == []
    else:
        [problem] = problems
        assert "byGpuMemoryGb[3]" in problem and "95.1 CPU requested" in problem


@pytest.mark.parametrize(
    ("field", "value", "refused_text"),
    [
        # A100 allows 95 CPUs in all, 1 of them the forwarder's.
        ("cpus", 94, None),
        ("cpus", 95, "cpus 95 (at most 94 beside the forwarder)"),
        # 1000Gi less the forwarder's 2Gi.
        ("memory", "998Gi", None),
        ("memory", "999Gi", "memory 999Gi (at most 998Gi beside the forwarder)"),
        # The default 640Gi less the forwarder's 1G (decimal): 639.07Gi.
        ("storage", "639Gi", None),
        ("storage", "640Gi", "storage 640Gi (at most 639.1Gi beside the forwarder)"),
    ],
)
def test_a_tier_above_the_servers_limits_is_refused(
    field: str, value: Any, refused_text: str | None
) -> None:
    """common/resource_limits.py: A100_INSTANCE_LIMITS cpus=95, memory="1000Gi", the default
    STORAGE_LIMIT "640Gi"; the forwarder adds 1 CPU, 2Gi and 1G to every create."""
    config = config_of(AZURE)
    set_path(config, f"gpu.recommendedHardware.byGpuMemoryGb[0].{field}", value)
    settings = settings_from(config)
    found = fit.server_limit_problems(fit.hardware(settings), "p")
    if refused_text is None:
        assert found == []
        return
    [problem] = found
    assert problem.startswith("p:gpu.recommendedHardware: tier byGpuMemoryGb[0] (gpu_memory_le 80)")
    assert "nvidia-ampere-a100e" in problem and refused_text in problem


def test_h100_tiers_get_the_h100_storage_limit_and_the_program_refuses_before_any_resource() -> (
    None
):
    """H100_INSTANCE_LIMITS carries its own storage="1300Gi"."""
    config = config_of(AZURE)
    set_path(config, "gpu.recommendedHardware.byGpuMemoryGb[3].storage", "1299Gi")
    assert fit.server_limit_problems(fit.hardware(settings_from(config)), "p") == []
    set_path(config, "gpu.recommendedHardware.byGpuMemoryGb[3].storage", "1300Gi")
    message = refused(config)
    assert "tier byGpuMemoryGb[3] (gpu_memory_le 640) asks more than the server" in message


def test_server_limits_match_the_pinned_server() -> None:
    """The limits the fit check holds against are the ones the server file declares."""
    source = server_file("common/resource_limits.py")
    gpu_types = dict(
        re.findall(r'(NVIDIA_\w+) = "([a-z0-9-]+)"', server_file("domain/entities/gpu_type.py"))
    )
    limits = {
        name: dict(re.findall(r'(cpus|memory|storage)=("?[\w.]+"?)', body))
        for name, body in re.findall(r"^(\w+_INSTANCE_LIMITS) = dict\(\s*([^)]*)\)", source, re.M)
    }
    default_storage = re.search(r'^STORAGE_LIMIT = "(\w+)"', source, re.M)
    assert default_storage is not None
    by_type = re.findall(r"GpuType\.(\w+): (\w+_INSTANCE_LIMITS)", source)
    assert len(by_type) == len(fit.SERVER_LIMITS)
    for enum_name, limits_name in by_type:
        row = limits[limits_name]
        expected = (
            int(row["cpus"]),
            row["memory"].strip('"'),
            row.get("storage", default_storage.group(1)).strip('"'),
        )
        assert fit.SERVER_LIMITS[gpu_types[enum_name]] == expected, enum_name
    forwarder = dict(re.findall(r'^FORWARDER_(\w+)_USAGE = "?(\w+)"?', source, re.M))
    assert (
        int(forwarder["CPU"]),
        forwarder["MEMORY"],
        forwarder["STORAGE"],
    ) == fit.SERVER_FORWARDER


def test_every_example_plans_with_no_misfit() -> None:
    for stack in ("customer-prod", "azure-prod", "gcp-prod", "existing-infra", "local"):
        assert misfits(config_of(stack)) == [], stack


# --- existing clusters ------------------------------------------------------------------
def test_existing_pool_without_allocatable_is_unchecked() -> None:
    config = config_of("existing-infra")
    del config[KEY + "gpu"]["pools"][0]["nodeAllocatable"]
    settings = settings_from(config)
    pools = PLATFORMS["existing"].gpu_pools(settings)
    lines = fit.table(settings, pools, fit.hardware(settings))
    assert lines[0] == (
        "- a10: fit unchecked (declare the node's allocatable in gpu.pools[].nodeAllocatable)"
    )
    assert misfits(config) == []


def test_existing_pool_with_small_allocatable_is_refused() -> None:
    config = config_of("existing-infra")
    set_path(
        config,
        "gpu.pools[0].nodeAllocatable",
        {"cpu": "15", "memory": "60Gi", "ephemeralStorage": "200Gi"},
    )
    problems = misfits(config)
    assert any("byGpuMemoryGb[2]" in p and "'a10' (declared)" in p for p in problems), problems


def test_node_allocatable_is_refused_on_a_cloud() -> None:
    config = config_of(AWS)
    set_path(
        config,
        "gpu.pools[0].nodeAllocatable",
        {"cpu": "47", "memory": "180Gi", "ephemeralStorage": "3000Gi"},
    )
    with pytest.raises(Exception, match="nodeAllocatable: on cloud aws"):
        settings_from(config)


# --- capacity -----------------------------------------------------------------------------
def test_capacity_reservation_needs_a_name() -> None:
    config = config_of(AWS)
    set_path(config, "gpu.pools[1].capacity", {"type": "reservation"})
    with pytest.raises(Exception, match="consumes a reservation"):
        settings_from(config)


@pytest.mark.parametrize(
    ("stack", "capacity", "zones", "words"),
    [
        (AWS, {"type": "flex-start"}, [], "aws has no flex-start"),
        (
            AWS,
            {"type": "reservation", "reservation": "my-odcr"},
            [],
            "not a capacity reservation id",
        ),
        (
            AWS,
            {"type": "capacity-block", "reservation": "cr-0123456789abcdef0"},
            [],
            "one availability zone",
        ),
        (
            AWS,
            {"type": "reservation", "reservation": "cr-0123456789abcdef0"},
            [],
            "zones: a Capacity Reservation lives in one availability zone",
        ),
        (AWS, {"type": "on-demand"}, ["eu-west-1a"], "not availability zones of us-west-2"),
        (GCP, {"type": "reservation", "reservation": "h100-res"}, [], "zones: reservation"),
        (GCP, {"type": "capacity-block", "reservation": "x"}, [], "gcp has no capacity-block"),
        (GCP, {"type": "on-demand"}, ["us-east1-b"], "not zones of us-central1"),
        (AZURE, {"type": "spot"}, [], "gpu.extraTaintKeys"),
        (AZURE, {"type": "reservation", "reservation": "crg"}, [], "capacity reservation group"),
    ],
)
def test_capacity_the_cloud_lacks_is_refused_before_any_resource(
    stack: str, capacity: dict[str, Any], zones: list[str], words: str
) -> None:
    config = config_of(stack)
    set_path(config, "gpu.pools[1].capacity", capacity)
    set_path(config, "gpu.pools[1].zones", zones)
    message = refused(config)
    assert f"{KEY}gpu.pools[1]" in message and words in message, message


@pytest.mark.parametrize(
    ("stack", "reservation", "zone"),
    [(AWS, "cr-0123456789abcdef0", "us-west-2b"), (GCP, "h100-res", "us-central1-a")],
)
def test_a_reservation_with_its_zone_is_accepted(stack: str, reservation: str, zone: str) -> None:
    config = config_of(stack)
    set_path(config, "gpu.pools[1].capacity", {"type": "reservation", "reservation": reservation})
    set_path(config, "gpu.pools[1].zones", [zone])
    settings = settings_from(config)
    PLATFORMS[settings.cloud].check(settings)


def test_large_pool_without_reservation_warns_and_with_one_does_not() -> None:
    config = config_of(AWS)
    settings = settings_from(config)
    [warning] = fit.capacity_warnings(settings, "model-engine-infra")
    assert "gpu.pools[1].capacity" in warning and "p5.48xlarge" in warning
    set_path(
        config,
        "gpu.pools[1].capacity",
        {"type": "reservation", "reservation": "cr-0123456789abcdef0"},
    )
    assert fit.capacity_warnings(settings_from(config), "model-engine-infra") == []


# --- cold start ---------------------------------------------------------------------------
def test_gp3_baseline_writes_140_gib_in_about_19_minutes() -> None:
    """The issue's figure for a root volume left at gp3's baseline."""
    seconds = 140 * 2**30 / 1e6 / instances.root_disk_mbps("aws", 500, provisioned=False)
    assert 18 * 60 < seconds < 20 * 60


def test_cold_start_names_a_bottleneck_per_tier() -> None:
    config = config_of(GCP)
    settings = settings_from(config)
    pools = PLATFORMS["gcp"].gpu_pools(settings)
    rows = coldstart.estimate(settings, pools, fit.hardware(settings))
    by_pool = {(r.pool, r.tier): r for r in rows}
    t4 = by_pool[("t4", "byGpuMemoryGb[0]")]
    # 16 GB of weights through a 320 GB pd-balanced disk (0.28 MB/s per GB): disk-bound.
    assert t4.bottleneck == "disk"
    assert t4.weights_s == pytest.approx(16_000 / (0.28 * 320), rel=0.01)
    # The floor: 16 GB over n1-standard-16's 32 Gbps.
    assert t4.floor_s == pytest.approx(16 * 8 / 32, rel=0.01)
    h100 = by_pool[("h100", "byGpuMemoryGb[3]")]
    assert h100.bottleneck == "disk" and h100.total_s < t4.total_s + 10 * 60


def _largest(stack: str) -> coldstart.ColdStart:
    settings = settings_from(config_of(stack))
    pools = PLATFORMS[settings.cloud].gpu_pools(settings)
    top = coldstart.largest(coldstart.estimate(settings, pools, fit.hardware(settings)))
    assert top is not None
    return top


def test_the_floor_is_what_a_pods_downloads_can_use() -> None:
    # p5.48xlarge: 3200 Gbps over 32 network cards; a pod's ENIs sit on card 0: 100 Gbps.
    # a3-highgpu-8g: 1000 Gbps = a 200 Gbps host NIC + 4 x 200 Gbps GPUDirect NICs.
    assert instances.pod_network_gbps("aws", "p5.48xlarge") == 3200 / 32
    assert instances.pod_network_gbps("gcp", "a3-highgpu-8g") == 200
    # Single-NIC types: their listed bandwidth.
    assert instances.pod_network_gbps("aws", "g5.12xlarge") == 40
    top = _largest(AWS)
    assert top.floor_s == pytest.approx(top.weights_gb * 8 / 100, rel=0.01)


def test_cold_ratio_per_example() -> None:
    """The bench's cold ratios for the largest tier: the weights transfer ÷ the floor, and the
    whole estimate (node + image + weights) ÷ the floor. customer-prod's weights meet 2 on
    p5's RAID0 of 8 NVMe devices; the others are bound by a disk the platform cannot make
    faster: AKS puts the kubelet on a Premium SSD OS disk (200 MB/s at 1 TiB, 250 MB/s at
    most) since ND H100 v5's NVMe is not given to the kubelet, and A3's 16 Local SSDs write
    3,120 MB/s against a 200 Gbps host NIC."""
    aws = _largest(AWS)
    assert aws.bottleneck == "disk" and aws.ratio <= 2
    # 8 devices x 1000 MB/s against 100 Gbps = 12,500 MB/s.
    assert aws.ratio == pytest.approx(12_500 / 8_000, rel=0.01)
    # The image: 12 GB compressed at the disk's 8,000 MB/s, then unpacked at the slower of a
    # 50 MB/s single-core gunzip and writing 28.6 GB at 8,000 MB/s; the node in 5 minutes.
    assert aws.image_s == pytest.approx(12_000 / 8_000 + 12_000 / 50, rel=0.01)
    weights_s = aws.weights_gb * 1000 / 8_000
    floor_s = aws.weights_gb * 8 / 100
    assert aws.whole_ratio == pytest.approx(
        (300 + 12_000 / 8_000 + 12_000 / 50 + weights_s) / floor_s, rel=0.01
    )
    azure = _largest(AZURE)
    assert azure.bottleneck == "disk"
    assert azure.ratio == pytest.approx(10_000 / 200, rel=0.01)  # 80 Gbps vs P30
    gcp = _largest(GCP)
    assert gcp.bottleneck == "disk"
    assert gcp.ratio == pytest.approx(25_000 / 3_120, rel=0.01)  # 200 Gbps vs 16 SSDs
    for row in (aws, azure, gcp):
        whole = (row.node_s + row.image_s + row.weights_s) / row.floor_s
        assert row.whole_ratio == pytest.approx(whole)
        assert row.verdict == ("MISSED" if whole > 2 else "ok")


@pytest.mark.parametrize(("node_s", "verdict"), [(90, "ok"), (100, "MISSED")])
def test_the_whole_cold_start_is_judged_against_twice_the_floor(node_s: int, verdict: str) -> None:
    """(90 + 10 + 100) / 100 = 2.0 meets the goal of 2; (100 + 10 + 100) / 100 = 2.1 misses."""
    row = coldstart.ColdStart("p", "t", 100, node_s, 10, 100, "network", 100)
    assert row.verdict == verdict
    line = coldstart.report([row])[1]
    assert line.endswith(f"{(node_s + 110) / 100:.1f}x {verdict}")


def test_the_bench_reports_the_whole_and_the_weights_ratio() -> None:
    from bench.__main__ import cold_ratio

    top = _largest(AZURE)
    assert cold_ratio(AZURE) == f"{top.whole_ratio:.1f} {top.verdict} (weights {top.ratio:.1f})"
    assert cold_ratio("local") == "-"


# --- the node pools ------------------------------------------------------------------------
def _inputs(run: Any, typ: str, name: str) -> dict[str, Any]:
    return run.one(typ, name).inputs


def test_eks_gpu_group_raids_local_nvme_and_upgrades_in_place() -> None:
    run = run_program(config_of(AWS))
    lt = _inputs(run, "aws:ec2/launchTemplate:LaunchTemplate", "platform-nodes-gpu-h100-lt")
    user_data = base64.b64decode(lt["userData"]).decode()
    assert "Content-Type: application/node.eks.aws" in user_data
    assert "kind: NodeConfig" in user_data and "strategy: RAID0" in user_data
    group = _inputs(run, "aws:eks/nodeGroup:NodeGroup", "platform-nodes-gpu-h100")
    assert group["updateConfig"] == {"maxUnavailable": 1, "updateStrategy": "MINIMAL"}
    cpu = _inputs(run, "aws:eks/nodeGroup:NodeGroup", "platform-nodes-cpu")
    assert cpu["updateConfig"] == {"maxUnavailablePercentage": 33}


def test_eks_root_volume_without_local_disk_is_sized_and_provisioned() -> None:
    config = config_of(AWS)
    set_path(config, "gpu.pools[1].localDisk", False)
    set_path(config, "gpu.pools[1].capacity", {"type": "spot"})
    set_path(config, "gpu.pools[1].zones", ["us-west-2a"])
    run = run_program(config)
    lt = _inputs(run, "aws:ec2/launchTemplate:LaunchTemplate", "platform-nodes-gpu-h100-lt")
    assert "userData" not in lt
    [root] = lt["blockDeviceMappings"]
    assert root["ebs"]["throughput"] == 1000 and root["ebs"]["iops"] == 4000
    assert root["ebs"]["volumeSize"] > 1000
    group = _inputs(run, "aws:eks/nodeGroup:NodeGroup", "platform-nodes-gpu-h100")
    assert group["capacityType"] == "SPOT"
    # One zone of three: the private subnet the simulated VPC put there.
    assert len(group["subnetIds"]) == 1


def test_eks_capacity_block_targets_the_reservation() -> None:
    config = config_of(AWS)
    set_path(
        config,
        "gpu.pools[1].capacity",
        {"type": "capacity-block", "reservation": "cr-0123456789abcdef0"},
    )
    set_path(config, "gpu.pools[1].zones", ["us-west-2b"])
    run = run_program(config)
    lt = _inputs(run, "aws:ec2/launchTemplate:LaunchTemplate", "platform-nodes-gpu-h100-lt")
    assert lt["instanceMarketOptions"] == {"marketType": "capacity-block"}
    target = lt["capacityReservationSpecification"]["capacityReservationTarget"]
    assert target == {"capacityReservationId": "cr-0123456789abcdef0"}
    group = _inputs(run, "aws:eks/nodeGroup:NodeGroup", "platform-nodes-gpu-h100")
    assert group["capacityType"] == "CAPACITY_BLOCK"


def test_aks_gpu_pools_upgrade_without_surge_and_use_the_temp_disk_when_it_fits() -> None:
    config = config_of(AZURE)
    pools = config[KEY + "gpu"]["pools"]
    pools.append({"name": "t4", "accelerator": "t4", "maxSize": 2})
    tiers = config[KEY + "gpu"]["recommendedHardware"]["byGpuMemoryGb"]
    tiers.insert(
        0,
        {
            "gpu_memory_le": 16,
            "cpus": 4,
            "gpus": 1,
            "memory": "24Gi",
            "storage": "100Gi",
            "gpu_type": "t4",
        },
    )
    set_path(
        config,
        "gpu.pools[1].capacity",
        {
            "type": "reservation",
            "reservation": "/subscriptions/3f2504e0-4f89-41d3-9a0c-0305e82c3301/resourceGroups/"
            "gpu/providers/Microsoft.Compute/capacityReservationGroups/h100",
        },
    )
    run = run_program(config)
    agent = "azure-native:containerservice:AgentPool"
    t4 = _inputs(run, agent, "platform-nodes-gpu-t4")
    assert t4["vmSize"] == "Standard_NC8as_T4_v3"  # the default holds a balloon
    assert t4["kubeletDiskType"] == "Temporary"  # 360 GB temp disk holds 100Gi + images
    h100 = _inputs(run, agent, "platform-nodes-gpu-h100")
    assert h100["kubeletDiskType"] == "OS" and h100["osDiskType"] == "Managed"
    assert h100["upgradeSettings"] == {"maxSurge": "0", "maxUnavailable": "1"}
    assert h100["capacityReservationGroupID"].endswith("/capacityReservationGroups/h100")


def test_gke_gpu_pools_use_local_ssd_and_upgrade_without_surge() -> None:
    config = config_of(GCP)
    set_path(config, "gpu.pools[1].capacity", {"type": "flex-start"})
    run = run_program(config)
    pool = "gcp:container/nodePool:NodePool"
    h100 = _inputs(run, pool, "platform-nodes-gpu-h100")
    assert h100["nodeConfig"]["ephemeralStorageLocalSsdConfig"] == {"localSsdCount": 16}
    assert h100["upgradeSettings"] == {"strategy": "SURGE", "maxSurge": 0, "maxUnavailable": 1}
    assert h100["nodeConfig"]["flexStart"] is True
    assert h100["nodeConfig"]["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    t4 = _inputs(run, pool, "platform-nodes-gpu-t4")
    assert "ephemeralStorageLocalSsdConfig" not in t4["nodeConfig"]
    assert t4["nodeConfig"]["diskSizeGb"] >= 200  # sized for the 80Gi tier and the images
