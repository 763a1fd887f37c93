"""Conformance: every platform fills the one interface (components/platform.py) and keeps its
word. Each example stack runs against the simulated cloud once; the checks then read what its
platform declared before anything existed (traits, preview facts) against what the program
built (resources, chart values), and run the stack at the longest environment name the stack
file accepts to hold every generated name to its cloud's limit."""

from __future__ import annotations

import ast
import copy
import dataclasses
import functools
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, get_args
from unittest import mock

import pulumi
import pytest

from components import accelerators
from components.addons.addons import prometheus_address
from components.contract import PlatformOutputs, gpu_pool_specs, is_deferred
from components.instances import Catalog
from components.model_engine.release import render, secret_refs
from components.platform import GPU_DEVICE_PLUGIN, METRICS_SERVER, Platform
from components.platforms import PLATFORMS
from components.settings import CapacityType, StackSettings
from components.settings_base import PROJECT, Model
from components.settings_loader import settings_from_config
from plan.simulator import RecordedResource, run_program
from tests.conftest import ROOT, stack_file
from tests.fourth_platform import PLATFORM as FOURTH
from tests.helpers import StackRun, run_stack, set_path, settings_from

# Every platform with its example stacks (`local` is the existing platform on k3s).
STACKS = {
    "existing-infra": "existing",
    "local": "existing",
    "customer-prod": "aws",
    "azure-prod": "azure",
    "gcp-prod": "gcp",
}
ADDON_COMPONENT = "model-engine-infra:addons:"


@dataclass
class Deployed:
    stack: str
    platform: Platform
    settings: StackSettings
    run: StackRun
    # What the platform's `build` returned in that run.
    outputs: PlatformOutputs

    def installed_addons(self) -> set[str]:
        return {
            r.name.removeprefix("addons-")
            for r in self.run.run.resources
            if r.type.startswith(ADDON_COMPONENT) and r.name != "addons"
        }


def _run(stack: str, config: dict[str, Any]) -> StackRun:
    return run_stack(config, stack=stack)


@functools.cache
def example(stack: str) -> Deployed:
    """An example stack as committed, run once for the whole module, keeping what its
    platform's `build` returned."""
    config = copy.deepcopy(stack_file(stack))
    settings = settings_from(config)
    built: list[PlatformOutputs] = []
    build = Platform.build

    def recording_build(self: Platform[Model], name: str, s: StackSettings) -> PlatformOutputs:
        built.append(build(self, name, s))
        return built[-1]

    with mock.patch.object(Platform, "build", recording_build):
        run = _run(stack, config)
    (outputs,) = built
    return Deployed(stack, PLATFORMS[settings.cloud], settings, run, outputs)


@pytest.fixture(params=sorted(STACKS))
def deployed(request: pytest.FixtureRequest) -> Deployed:
    return example(request.param)


def test_every_cloud_is_one_platform_object_from_its_package() -> None:
    assert set(STACKS.values()) == set(PLATFORMS)
    for cloud, platform in PLATFORMS.items():
        assert platform.cloud == cloud
        assert type(platform).__module__ == f"components.{cloud}"


def _modules_after(imports: str) -> list[str]:
    """The modules a fresh interpreter holds after `import <imports>`."""
    code = f"import sys, {imports}\nprint(sorted(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return ast.literal_eval(out.stdout)


def _provider_sdks(modules: list[str]) -> set[str]:
    """Every Pulumi provider SDK among them: any `pulumi_*` package, a new provider's too."""
    return {m.split(".")[0] for m in modules if m.startswith("pulumi_")}


def test_listing_the_platforms_loads_no_cloud_sdk_or_component() -> None:
    """The program's own modules need Kubernetes' SDK (every platform runs the add-ons and
    the chart on it); no other provider's, and no platform's component or facts."""
    modules = _modules_after("components.program")
    assert _provider_sdks(modules) <= {"pulumi_kubernetes"}
    assert [
        m for m in modules if m.endswith((".platform", ".facts")) and m != "components.platform"
    ] == []


@pytest.mark.parametrize("cloud", sorted(PLATFORMS))
def test_facts_import_no_provider_sdk(cloud: str) -> None:
    """A platform's facts.py (what the preflight and the plan read) loads no provider SDK,
    neither directly nor through the SDK-free helpers it takes from the component modules."""
    assert _provider_sdks(_modules_after(f"components.{cloud}.facts")) == set()


@pytest.mark.parametrize(
    "platform", [*PLATFORMS.values(), FOURTH], ids=[*PLATFORMS, f"{FOURTH.cloud} (tests)"]
)
def test_the_catalog_has_a_row_for_every_node_type_it_offers(platform: Platform[Model]) -> None:
    """A platform's catalog (its package's catalog.py) is whole on its own: every node type
    it offers for an accelerator has its shape (else the pool could not be fitted), every
    accelerator it names is one the program knows, and GPU nodes come with their disk rates,
    what the kubelet reserves, the DaemonSets every node runs and the pages their rows cite.
    A platform that creates no nodes (`existing`) has none."""
    cloud, catalog = platform.cloud, platform.catalog
    if not platform.creates_nodes:
        assert catalog == Catalog()
        return
    assert catalog.accelerators, cloud
    assert set(catalog.accelerators) <= set(accelerators.CATALOG)
    offered = {t for types in catalog.accelerators.values() for t in types}
    assert offered <= set(catalog.nodes), offered - set(catalog.nodes)
    for key, types in catalog.accelerators.items():
        assert types and all(gpus > 0 for gpus in types.values()), (key, types)
    for name, gbps in catalog.primary_nic_gbps.items():
        assert 0 < gbps < catalog.nodes[name].network_gbps, name
    assert catalog.source and catalog.root_disk and catalog.local_disk
    assert catalog.max_root_disk_gb >= 100  # the fit model's smallest root disk
    assert catalog.root_disk_mbps is not None and catalog.local_disk_mbps is not None
    # The fit model's reservations and DaemonSets: without them no pool could be fitted.
    assert catalog.reserved is not None and catalog.daemonsets, cloud
    assert all(cpu > 0 and memory >= 0 for _, cpu, memory in catalog.daemonsets), cloud
    assert catalog.held_capacity, cloud
    # What it holds is a capacity.type a stack file can name, beyond the two every cloud has.
    assert set(catalog.held_capacity) <= set(get_args(CapacityType)) - {"on-demand", "spot"}


@pytest.mark.parametrize("cloud", sorted(PLATFORMS))
def test_the_chart_cloud_provider_is_declared_once_as_the_trait(cloud: str) -> None:
    """facts.py reads the chart's cloud_provider from the trait and looks its catalog up by
    `cloud`: no module constant repeats either (a cloud_provider used as the catalog key
    breaks every platform whose two differ, as `existing`'s onprem does)."""
    assert "CLOUD_PROVIDER" not in vars(PLATFORMS[cloud].facts()), cloud


def test_the_shared_catalogs_name_no_platform() -> None:
    """Each platform's rows live in its package: the cloud-independent catalog modules hold
    no row, branch or table keyed by a platform's name, and neither does the fit model."""
    for module in ("accelerators", "instances", "fit"):
        source = (ROOT / "components" / f"{module}.py").read_text()
        named = [cloud for cloud in PLATFORMS if f'"{cloud}"' in source]
        assert named == [], (module, named)


@pytest.mark.parametrize("stack", ["customer-prod", "azure-prod", "gcp-prod"])
def test_every_cloud_starts_a_gpu_pool_at_desired_size_else_min_size(stack: str) -> None:
    config = copy.deepcopy(stack_file(stack))
    pools = config["model-engine-infra:gpu"]["pools"]
    assert len(pools) >= 2
    pools[0].update(minSize=1, desiredSize=2, maxSize=3)
    pools[1].update(minSize=1, maxSize=3)
    pools[1].pop("desiredSize", None)
    settings = settings_from(config)
    platform = PLATFORMS[settings.cloud]
    specs = gpu_pool_specs(settings, platform.gpu_pools(settings), platform.cloud)
    assert [(s.pool.name, s.initial_count) for s in specs[:2]] == [
        (pools[0]["name"], 2),
        (pools[1]["name"], 1),
    ]


# -- traits against what `build` made ------------------------------------------------------


def _cluster(run: StackRun, typ: str) -> RecordedResource:
    clusters = run.of_type(typ)
    assert len(clusters) == 1, [c.name for c in clusters]
    return clusters[0]


def _aks(run: StackRun) -> dict[str, Any]:
    return _cluster(run, "azure-native:containerservice:ManagedCluster").inputs


def _gke(run: StackRun) -> dict[str, Any]:
    return _cluster(run, "gcp:container/cluster:Cluster").inputs


def _vpc_cni_enforces(run: StackRun) -> bool:
    cni = [a for a in run.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni"]
    return any(
        '"enableNetworkPolicy":"true"' in a.inputs.get("configurationValues", "") for a in cni
    )


@dataclass(frozen=True)
class ClusterReader:
    """How a platform's cluster resource, as the program made it, tells the traits: whether
    its CNI enforces NetworkPolicy, and the Kubernetes version it was asked for."""

    network_policy: Callable[[StackRun], bool]
    kubernetes_version: Callable[[StackRun], str | None]


# One per platform: the traits are checked against the cluster each one makes.
CLUSTER_READERS: dict[str, ClusterReader] = {
    "aws": ClusterReader(
        _vpc_cni_enforces, lambda run: _cluster(run, "aws:eks/cluster:Cluster").inputs["version"]
    ),
    "azure": ClusterReader(
        lambda run: bool(_aks(run)["networkProfile"].get("networkPolicy")),
        lambda run: _aks(run)["kubernetesVersion"],
    ),
    "gcp": ClusterReader(
        lambda run: (
            bool(_gke(run).get("networkPolicy", {}).get("enabled"))
            or _gke(run).get("datapathProvider") == "ADVANCED_DATAPATH"
        ),
        lambda run: _gke(run).get("minMasterVersion"),
    ),
    # The operator's cluster: the program makes none, so neither is the program's to state.
    "existing": ClusterReader(lambda run: False, lambda run: None),
}


def cluster_reader(cloud: str) -> ClusterReader:
    """The platform's reader; a platform without one fails here rather than pass unchecked."""
    reader = CLUSTER_READERS.get(cloud)
    if reader is None:
        pytest.fail(
            f"add a reader for {cloud}'s cluster resource here (CLUSTER_READERS in "
            "tests/test_platform.py): whether the cluster it makes enforces NetworkPolicy and "
            "the Kubernetes version it asks for"
        )
    return reader


def test_every_platform_has_a_cluster_reader() -> None:
    for cloud in PLATFORMS:
        cluster_reader(cloud)


def test_a_platform_without_a_cluster_reader_is_named() -> None:
    with pytest.raises(pytest.fail.Exception) as failure:
        cluster_reader(FOURTH.cloud)
    assert str(failure.value).startswith(
        "add a reader for fourth's cluster resource here (CLUSTER_READERS in "
        "tests/test_platform.py)"
    )


def test_traits_are_what_build_made(deployed: Deployed) -> None:
    d, platform = deployed, deployed.platform
    assert d.run.infra["cloud_provider"] == platform.cloud_provider
    reader = cluster_reader(platform.cloud)
    assert reader.kubernetes_version(d.run) == platform.kubernetes_version(d.settings)
    assert reader.network_policy(d.run) == platform.enforces_network_policy
    installed = d.installed_addons()
    assert installed, d.stack
    # The program installs an autoscaler exactly where the platform says it needs one.
    assert ("cluster-autoscaler" in installed) == platform.needs_cluster_autoscaler
    # Alertmanager publishes to a target only where the platform says it delivers.
    assert platform.alertmanager_delivers == (d.outputs.alert_sns_topic_arn is not None)
    # Nothing the managed cluster runs is installed a second time.
    assert not installed & platform.managed_components
    # What it does not run is installed unless the stack turns it off.
    if d.settings.addons.metrics_server.enabled is None:
        assert (METRICS_SERVER in installed) == (METRICS_SERVER not in platform.managed_components)


def test_gke_runs_the_gpu_device_plugin_and_aks_installs_the_driver() -> None:
    """The two GPU facts behind the traits, asserted where the pools are made: GKE installs
    the driver (and with it its device plugin), AKS installs the driver and leaves the
    device plugin to the add-ons."""
    assert PLATFORMS["gcp"].managed_components >= {GPU_DEVICE_PLUGIN, METRICS_SERVER}
    assert GPU_DEVICE_PLUGIN not in PLATFORMS["azure"].managed_components
    assert METRICS_SERVER in PLATFORMS["azure"].managed_components
    gcp = example("gcp-prod").run
    gpu_pools = [p for p in gcp.of_type("gcp:container/nodePool:NodePool") if "gpu" in p.name]
    assert gpu_pools
    for pool in gpu_pools:
        (accelerator,) = pool.inputs["nodeConfig"]["guestAccelerators"]
        assert accelerator["gpuDriverInstallationConfig"]["gpuDriverVersion"] == "LATEST"
    azure = example("azure-prod").run
    gpu_pools = [
        p
        for p in azure.of_type("azure-native:containerservice:AgentPool")
        if p.inputs.get("gpuProfile")
    ]
    assert gpu_pools
    for pool in gpu_pools:
        # The stack leaves addons.nvidia.installDriver off: AKS installs the driver.
        assert pool.inputs["gpuProfile"]["driver"] == "Install"


@pytest.mark.parametrize(
    ("cloud", "key"), [("azure", "metricsServer"), ("gcp", "metricsServer"), ("gcp", "nvidia")]
)
def test_turning_on_what_the_cluster_runs_is_refused(cloud: str, key: str) -> None:
    stack = next(s for s, c in STACKS.items() if c == cloud)
    config = copy.deepcopy(stack_file(stack))
    set_path(config, f"addons.{key}.enabled", True)
    registered: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as failure:
        run_program(config, stack=stack, recorded=registered)
    message = str(failure.value)
    assert f"{PROJECT}:addons.{key}.enabled" in message, message
    assert "runs its own" in message, message
    assert registered == []


# -- preview facts against the deployed ones ------------------------------------------------


def _leaves(tree: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _leaves(v, f"{path}.{k}")
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, tree


def test_preview_facts_are_the_deployed_facts_where_known(deployed: Deployed) -> None:
    """The chart values derived from the preview facts equal the deployed chart values at
    every leaf known before deploy; the rest are placeholders, and only clouds have them."""
    d, platform = deployed, deployed.platform
    facts = platform.preview_facts(d.settings)
    # As the program's preflight: the chart gets the add-ons' Prometheus when they install one.
    facts = dataclasses.replace(
        facts, prometheus_address=prometheus_address(d.settings, facts.prometheus_address)
    )
    refs = secret_refs(facts, platform.secret_env_keys(d.settings))
    preview, _ = render(facts, d.settings, platform.gpu_pools(d.settings), refs)
    deployed_leaves = dict(_leaves(d.run.values))
    preview_leaves = dict(_leaves(preview))
    known = {p: v for p, v in preview_leaves.items() if not is_deferred(v)}
    placeholders = sorted(p for p, v in preview_leaves.items() if is_deferred(v))
    assert len(known) > 50
    mismatched = {
        p: (v, deployed_leaves.get(p)) for p, v in known.items() if deployed_leaves.get(p) != v
    }
    assert not mismatched
    if platform.cloud == "existing":
        assert placeholders == []
    else:
        assert placeholders, "a cloud knows its endpoints only after deploy"
        # Each placeholder stands for a value the deployed chart gets at the same place.
        assert [p for p in placeholders if p not in deployed_leaves] == []


def test_azure_preview_cache_port_is_managed_redis_tls_port() -> None:
    """Azure Managed Redis serves TLS on 10000 (not 6380, Azure Cache for Redis's)."""
    settings = settings_from(copy.deepcopy(stack_file("azure-prod")))
    assert PLATFORMS["azure"].preview_facts(settings).cache.port == 10000


# -- bad stack blocks ----------------------------------------------------------------------


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_a_bad_key_in_the_platform_block_is_named(stack: str) -> None:
    cloud = STACKS[stack]
    config = copy.deepcopy(stack_file(stack))
    set_path(config, f"{cloud}.noSuchKey", 1)
    registered: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as failure:
        run_program(config, stack=stack, recorded=registered)
    assert f"{PROJECT}:{cloud}.noSuchKey" in str(failure.value)
    assert registered == []


# -- names at the longest environment name ------------------------------------------------

# (resource type, name input) -> the most characters the cloud accepts (its documentation).
LIMITS: dict[str, dict[tuple[str, str], int]] = {
    "aws": {
        ("aws:eks/cluster:Cluster", "name"): 100,
        ("aws:eks/nodeGroup:NodeGroup", "nodeGroupName"): 63,
        ("aws:rds/instance:Instance", "identifier"): 63,
        ("aws:elasticache/replicationGroup:ReplicationGroup", "replicationGroupId"): 40,
        ("aws:iam/role:Role", "name"): 64,
        ("aws:secretsmanager/secret:Secret", "name"): 512,
    },
    "azure": {
        ("azure-native:resources:ResourceGroup", "resourceGroupName"): 90,
        ("azure-native:containerservice:ManagedCluster", "resourceName"): 63,
        ("azure-native:containerservice:ManagedCluster", "dnsPrefix"): 54,
        # Linux node pools.
        ("azure-native:containerservice:AgentPool", "agentPoolName"): 12,
        ("azure-native:storage:StorageAccount", "accountName"): 24,
        ("azure-native:containerregistry:Registry", "registryName"): 50,
        ("azure-native:keyvault:Vault", "vaultName"): 24,
        ("azure-native:servicebus:Namespace", "namespaceName"): 50,
        ("azure-native:dbforpostgresql:Server", "serverName"): 63,
        ("azure-native:managedidentity:UserAssignedIdentity", "resourceName"): 128,
    },
    "gcp": {
        ("gcp:container/cluster:Cluster", "name"): 40,
        ("gcp:container/nodePool:NodePool", "name"): 40,
        ("gcp:serviceaccount/account:Account", "accountId"): 30,
        ("gcp:redis/instance:Instance", "name"): 40,
        ("gcp:storage/bucket:Bucket", "name"): 63,
        ("gcp:compute/network:Network", "name"): 63,
        ("gcp:compute/subnetwork:Subnetwork", "name"): 63,
    },
    "existing": {},
}
# Every cloud's Kubernetes objects.
KUBERNETES: dict[tuple[str, str], int] = {
    # Helm stores a release in a Secret named sh.helm.release.v1.<name>.v<n>.
    ("kubernetes:helm.sh/v3:Release", "name"): 53,
    ("kubernetes:core/v1:Namespace", "metadata.name"): 63,
}


def longest_environment(config: dict[str, Any]) -> str:
    """The longest environment name the stack file accepts (the settings decide)."""
    for length in range(100, 0, -1):
        candidate = ("e" + "-long" * 20)[:length].rstrip("-")
        if len(candidate) != length:
            continue
        trial = copy.deepcopy(config)
        set_path(trial, "environment", candidate)
        try:
            settings_from(trial)
        except ValueError:
            continue
        return candidate
    raise AssertionError("no environment name is accepted")


def _input(resource: RecordedResource, key: str) -> Any:
    value: Any = resource.inputs
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_every_generated_name_fits_at_the_longest_environment(stack: str) -> None:
    cloud = STACKS[stack]
    config = copy.deepcopy(stack_file(stack))
    environment = longest_environment(config)
    assert len(environment) >= 63
    set_path(config, "environment", environment)
    run = _run(stack, config)
    checked = 0
    too_long: list[str] = []
    for (typ, key), limit in {**LIMITS[cloud], **KUBERNETES}.items():
        resources = run.of_type(typ)
        assert resources, f"{stack} makes no {typ}"
        # A resource without the input is auto-named from its logical name, which no
        # environment lengthens.
        named = [(r.name, v) for r in resources if (v := _input(r, key)) is not None]
        for name, value in named:
            assert isinstance(value, str), (name, key)
            checked += 1
            if len(value) > limit:
                too_long.append(f"{typ} {name} {key}={value!r} ({len(value)} > {limit})")
    assert checked >= len(LIMITS[cloud]) + len(KUBERNETES)
    assert not too_long


# Names that must follow a pattern, not only a length.
PATTERNS: dict[tuple[str, str], Callable[[str], bool]] = {
    ("gcp:serviceaccount/account:Account", "accountId"): lambda v: bool(
        re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", v)
    ),
    ("azure-native:containerservice:AgentPool", "agentPoolName"): lambda v: bool(
        re.fullmatch(r"[a-z][a-z0-9]{0,11}", v)
    ),
}


def test_long_pool_names_and_environments_keep_the_id_patterns() -> None:
    """A GPU pool named at the settings' limit and the longest environment: AKS pool names
    (1-12 lower-case letters and digits) and GCP service-account ids (6-30 characters) are
    still valid ids."""
    for stack in ("azure-prod", "gcp-prod"):
        config = copy.deepcopy(stack_file(stack))
        set_path(config, "environment", longest_environment(config))
        set_path(config, "gpu.pools[0].name", "a" + "-pool" * 12)
        run = _run(stack, config)
        seen = 0
        for (typ, key), valid in PATTERNS.items():
            for r in run.of_type(typ):
                value = _input(r, key)
                seen += 1
                assert isinstance(value, str) and valid(value), (r.name, value)
        assert seen >= 2


# --- the GPU pool checks every platform that creates its nodes gets from the interface ----
# (Platform.pool_problems: one rule, each cloud's words from its catalog; the fourth platform
# is refused by the same rule in tests/test_fourth_platform_fit.py.)
AWS_TYPES = "g5.12xlarge, g5.xlarge, g5.2xlarge, g5.4xlarge, g5.8xlarge, g5.16xlarge, "
AWS_TYPES += "g5.24xlarge, g5.48xlarge"
AZURE_TYPES = "Standard_NC24ads_A100_v4, Standard_NC48ads_A100_v4, Standard_NC96ads_A100_v4, "
AZURE_TYPES += "Standard_ND96amsr_A100_v4"
DWS = "(flex-start is GKE's Dynamic Workload Scheduler)"
BLOCKS = "(capacity-block is AWS's Capacity Blocks for ML)"
AZURE_HELD = "use on-demand, spot or reservation (a capacity reservation group)"
POOL_REFUSALS: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "aws-instance-type",
        "customer-prod",
        {"instanceType": "x9.big"},
        f"instanceType: 'x9.big' does not carry a10; use one of {AWS_TYPES}",
    ),
    (
        "aws-gpus-per-node",
        "customer-prod",
        {"gpusPerNode": 3},
        "gpusPerNode: g5.12xlarge exposes 4 nvidia.com/gpu for a10; remove gpusPerNode (it "
        "follows from the instance type)",
    ),
    (
        "aws-flex-start",
        "customer-prod",
        {"capacity": {"type": "flex-start"}},
        f"capacity.type: aws has no flex-start {DWS}; use on-demand, spot, reservation (an "
        "On-Demand Capacity Reservation) or capacity-block (AWS's Capacity Blocks for ML)",
    ),
    (
        "azure-vm-size",
        "azure-prod",
        {"instanceType": "x9.big"},
        f"instanceType: 'x9.big' is not an Azure VM size with a100e GPUs; use one of {AZURE_TYPES}",
    ),
    (
        "azure-gpus-per-node",
        "azure-prod",
        {"gpusPerNode": 3},
        "gpusPerNode: Standard_NC24ads_A100_v4 exposes 1 nvidia.com/gpu for a100e; remove "
        "gpusPerNode (it follows from the VM size)",
    ),
    (
        "azure-capacity-block",
        "azure-prod",
        {"capacity": {"type": "capacity-block", "reservation": "crg"}},
        f"capacity.type: azure has no capacity-block {BLOCKS}; {AZURE_HELD}",
    ),
    (
        "azure-flex-start",
        "azure-prod",
        {"capacity": {"type": "flex-start"}},
        f"capacity.type: azure has no flex-start {DWS}; {AZURE_HELD}",
    ),
    (
        "gcp-accelerator",
        "gcp-prod",
        {"accelerator": "a10", "instanceType": None},
        "accelerator: 'a10' is not offered on GCP (GKE has no machine type with it); use one of "
        "t4, a100, a100e, h100, h100-1g20gb, h100-3g40gb, or run this pool on another cloud",
    ),
    (
        "gcp-machine-type",
        "gcp-prod",
        {"instanceType": "x9.big"},
        "instanceType: 'x9.big' is not a GCP machine type with t4; use one of n1-standard-16, "
        "n1-standard-8, n1-standard-4, n1-standard-32",
    ),
    (
        "gcp-balloon",
        "gcp-prod",
        {"balloonGpus": 4},
        "balloonGpus: n1-standard-16 exposes only 2 GPUs; the balloon never fits",
    ),
    (
        "gcp-capacity-block",
        "gcp-prod",
        {"capacity": {"type": "capacity-block", "reservation": "r"}},
        f"capacity.type: gcp has no capacity-block {BLOCKS}; use on-demand, spot, reservation "
        "(a specific Compute Engine reservation) or flex-start (GKE's Dynamic Workload "
        "Scheduler)",
    ),
]


def first_pool(stack: str, **changes: Any) -> StackSettings:
    """The example stack with its first GPU pool changed (None removes a key), validated
    among these four platforms alone: a refusal names what the type is on the others, so a
    platform added later would lengthen the expected messages."""
    config = copy.deepcopy(stack_file(stack))
    pool = config[f"{PROJECT}:gpu"]["pools"][0]
    pool.update(changes)
    for key in [k for k, v in pool.items() if v is None]:
        del pool[key]
    four = [PLATFORMS[cloud] for cloud in ("existing", "aws", "azure", "gcp")]
    return settings_from_config(config, four)


@pytest.mark.parametrize(
    ("stack", "changes", "problem"),
    [c[1:] for c in POOL_REFUSALS],
    ids=[c[0] for c in POOL_REFUSALS],
)
def test_a_gpu_pool_its_cloud_cannot_give_is_refused_in_its_words(
    stack: str, changes: dict[str, Any], problem: str
) -> None:
    settings = first_pool(stack, **changes)
    assert settings.platform.pool_problems(settings) == [f"{PROJECT}:gpu.pools[0].{problem}"]


@pytest.mark.parametrize(
    ("stack", "accelerator", "words"),
    [
        ("customer-prod", "a10", "has no AWS instance type in the aws node catalog"),
        ("azure-prod", "a100e", "has no Azure VM size in the azure node catalog"),
    ],
)
def test_an_accelerator_the_catalog_lost_names_the_catalog(
    monkeypatch: pytest.MonkeyPatch, stack: str, accelerator: str, words: str
) -> None:
    """AWS and Azure offer every accelerator the program knows; a catalog without one of them
    sends the operator to it."""
    settings = first_pool(stack, instanceType=None)
    platform = settings.platform
    rows = {k: v for k, v in platform.catalog.accelerators.items() if k != accelerator}
    lost = dataclasses.replace(platform.catalog, accelerators=rows)
    monkeypatch.setattr(type(platform), "catalog", lost)
    assert platform.pool_problems(settings) == [
        f"{PROJECT}:gpu.pools[0].accelerator: {accelerator!r} {words} "
        f"({platform.catalog_path()}); add one there or pick another accelerator"
    ]


@pytest.mark.parametrize(
    ("stack", "capacity"),
    [
        ("customer-prod", {"type": "spot"}),
        ("customer-prod", {"type": "reservation", "reservation": "cr-0123456789abcdef0"}),
        ("customer-prod", {"type": "capacity-block", "reservation": "cr-0123456789abcdef0"}),
        ("azure-prod", {"type": "spot"}),
        ("azure-prod", {"type": "reservation", "reservation": "crg"}),
        ("gcp-prod", {"type": "spot"}),
        ("gcp-prod", {"type": "reservation", "reservation": "h100-res"}),
        ("gcp-prod", {"type": "flex-start"}),
    ],
)
def test_the_capacity_types_each_cloud_has_pass_the_interfaces_rule(
    stack: str, capacity: dict[str, str]
) -> None:
    settings = first_pool(stack, capacity=capacity)
    assert settings.platform.pool_problems(settings) == []
