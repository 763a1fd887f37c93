"""A fourth platform that creates its nodes fits its GPU pools through the real fit model.

tests/fourth_platform brings its own catalog (tests/fourth_platform/catalog.py: node types,
what its kubelet reserves, the DaemonSets on its nodes, the capacity it can hold). Added to
PLATFORMS, as a real fourth platform would be, its gpu_pools get each node's allocatable from
components/fit.py, which knows no platform by name; the rules that depend on whether the
program creates the nodes read the `creates_nodes` trait, not the platform's name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from components import fit, instances, program
from components.instances import MESSAGE_WORDS
from components.isolation import component as isolation
from components.platforms import PLATFORMS
from components.settings import StackSettings
from components.settings_base import PROJECT, SettingsError
from components.settings_loader import settings_from_config
from tests import fourth_platform
from tests.fourth_platform import Fourth
from tests.helpers import KEY, T4_TIER

FOURTH = fourth_platform.PLATFORM
MIB_PER_GB = 1e9 / 2**20  # disks are sold in decimal GB


@pytest.fixture(autouse=True)
def fourth_in_platforms(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The one line a fourth platform adds to components/platforms.py."""
    monkeypatch.setitem(PLATFORMS, FOURTH.cloud, FOURTH)
    yield


def config(*pools: dict[str, Any], tiers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        f"{KEY}cloud": "fourth",
        f"{KEY}domain": "llm-engine.example.com",
        f"{KEY}chart": {"path": "./model-engine"},
        f"{KEY}image": {"tag": "0a1b2c3"},
        f"{KEY}fourth": {"kubernetesVersion": "1.33"},
        f"{KEY}gpu": {
            "pools": list(pools),
            "recommendedHardware": {"byGpuMemoryGb": tiers or [T4_TIER]},
        },
    }


def load(cfg: dict[str, Any]) -> StackSettings:
    return settings_from_config(cfg, PLATFORMS.values())


ROOT_POOL = {"name": "small", "accelerator": "t4", "instanceType": "f1.8x", "maxSize": 2}
ROOT_POOL |= {"diskSizeGb": 200, "localDisk": False}
LOCAL_POOL = {"name": "wide", "accelerator": "t4", "instanceType": "f1.32x", "maxSize": 2}


def test_a_fourth_platforms_gpu_pools_get_their_allocatable_from_its_catalog() -> None:
    settings = load(config(ROOT_POOL, LOCAL_POOL))
    small, wide = FOURTH.gpu_pools(settings)
    # f1.8x: 8 vCPU, 64 GiB, a 200 GB root disk; less 200m/1Gi/2Gi reserved, the kubelet's
    # 100Mi and 10% eviction thresholds, and the node agent's 150m/256Mi (memory:
    # 1024 + 100 + 256 = 1380 MiB; CPU: 200 + 150 = 350m).
    assert small.node is not None and small.gpus_per_node == 1
    node = small.node.allocatable
    assert (node.cpu_m, node.memory_mi, node.gpus) == (8000 - 200 - 150, 64 * 1024 - 1380, 1)
    assert node.storage_mi == pytest.approx(0.9 * 200 * MIB_PER_GB - 2048)
    assert small.node.disk == "fourth root 200 GB" and not small.node.local_disk
    # f1.32x: kubelet on its 1000 GB local disk, which the catalog reserves 4Gi of.
    assert wide.node is not None and wide.node.local_disk
    node = wide.node.allocatable
    assert (node.cpu_m, node.memory_mi, node.gpus) == (32000 - 350, 256 * 1024 - 1380, 4)
    assert node.storage_mi == pytest.approx(0.9 * 1000 * MIB_PER_GB - 4096)
    assert wide.node.disk == "fourth local 1000 GB"
    assert fit.problems(settings, [small, wide], fit.hardware(settings), PROJECT) == []


def test_a_tier_too_large_for_the_fourth_platforms_node_is_refused() -> None:
    tier = {**T4_TIER, "memory": "63Gi"}
    settings = load(config(ROOT_POOL, tiers=[tier]))
    [misfit] = fit.problems(settings, FOURTH.gpu_pools(settings), fit.hardware(settings), PROJECT)
    assert "fits no node of any pool of that GPU: pool 'small' (f1.8x)" in misfit
    assert "memory requested, 62.7Gi allocatable" in misfit


def test_node_allocatable_on_the_fourth_platform_names_its_catalog() -> None:
    declared = {"cpu": "7", "memory": "60Gi", "ephemeralStorage": "100Gi"}
    with pytest.raises(ValueError) as failure:
        load(config({**ROOT_POOL, "nodeAllocatable": declared}))
    assert (
        "gpu.pools[0].nodeAllocatable: on cloud fourth the program knows the node type's "
        "allocatable (tests/fourth_platform/catalog.py); remove it"
    ) in str(failure.value)


def test_the_capacity_warning_names_what_the_fourth_platform_can_hold() -> None:
    big = {"name": "big", "accelerator": "t4", "instanceType": "f1.64x", "maxSize": 1}
    [warning] = fit.capacity_warnings(load(config(big)), PROJECT)
    assert warning.endswith("or set capacity.type to reservation, capacity-block")


UNFENCED = (
    "the endpoint namespace's default deny is not enforced, so endpoint pods reach the "
    "database, Redis, the control plane, other endpoints and the metadata endpoint"
)


def test_a_cluster_the_fourth_platform_creates_is_not_fenced_by_the_stack_file() -> None:
    """Its cluster does not enforce NetworkPolicy (the trait's default): the warning sends the
    fix to the platform package, not to a stack key, and the stack key that would state the
    CNI is refused without claiming an enforcement the cluster lacks."""
    [finding] = [
        f for f in isolation.findings(load(config(ROOT_POOL)), FOURTH) if "network" in f.path
    ]
    assert (finding.path, finding.message) == (
        "fourth: network policy",
        "the fourth cluster the program creates does not enforce NetworkPolicy (its platform's "
        f"enforces_network_policy is false), so isolation is advisory: {UNFENCED}; the fix is "
        "in the platform package (tests/fourth_platform): create the cluster with a CNI that "
        "enforces NetworkPolicy and declare enforces_network_policy = True",
    )
    cfg = config(ROOT_POOL)
    cfg[f"{KEY}isolation"] = {"cniEnforcesNetworkPolicy": True}
    with pytest.raises(SettingsError) as failure:
        isolation.check(load(cfg))
    assert failure.value.problems == [
        f"{PROJECT}:isolation.cniEnforcesNetworkPolicy: only for cloud existing; the fourth "
        "cluster the program creates does not enforce NetworkPolicy, and the key cannot change "
        "that (the platform's enforces_network_policy, tests/fourth_platform): remove the key"
    ]


def test_a_fourth_platform_that_enforces_network_policy_needs_no_stack_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Fourth, "enforces_network_policy", True)
    settings = load(config(ROOT_POOL))
    assert not [f for f in isolation.findings(settings, FOURTH) if "network" in f.path]
    cfg = config(ROOT_POOL)
    cfg[f"{KEY}isolation"] = {"cniEnforcesNetworkPolicy": True}
    with pytest.raises(SettingsError) as failure:
        isolation.check(load(cfg))
    assert failure.value.problems == [
        f"{PROJECT}:isolation.cniEnforcesNetworkPolicy: only for cloud existing; the fourth "
        "cluster the program creates enforces NetworkPolicy: remove the key"
    ]


def test_a_platform_that_creates_no_nodes_is_known_by_its_trait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same platform, declared as one whose nodes are the operator's: every rule that
    depended on the name `existing` follows the trait."""
    monkeypatch.setattr(Fourth, "creates_nodes", False)
    declared = {"cpu": "7", "memory": "60Gi", "ephemeralStorage": "100Gi"}
    pool = {"name": "theirs", "accelerator": "t4", "instanceType": "f1.64x", "maxSize": 1}
    cfg = config({**pool, "nodeAllocatable": declared, "balloonReplicas": 1})
    cfg[f"{KEY}isolation"] = {"cniEnforcesNetworkPolicy": True}
    settings = load(cfg)  # nodeAllocatable accepted
    assert fit.balloon_start_problems(settings, PROJECT) == []
    assert fit.capacity_warnings(settings, PROJECT) == []
    isolation.check(settings)  # the stack states the CNI of a cluster it does not create
    assert isolation.enforces_network_policy(settings, FOURTH)
    with pytest.raises(ValueError, match=r"capacity, zones and diskSizeGb shape node pools"):
        load(config({**pool, "diskSizeGb": 200}))


def test_a_catalog_without_reservations_is_named_not_a_raw_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The completeness test in tests/test_platform.py refuses such a catalog; should one slip
    through, the fit model says which platform lacks what."""
    monkeypatch.setattr(Fourth, "catalog", dataclasses.replace(FOURTH.catalog, reserved=None))
    with pytest.raises(KeyError, match=r"catalog of platform 'fourth' has no `reserved`"):
        FOURTH.gpu_pools(load(config(ROOT_POOL)))


# --- the pool checks every platform that creates its nodes gets from the interface ------
# The fourth platform's facts.py checks nothing of gpu.pools: what follows comes from
# components/platform.py (Platform.pool_problems) and the words of its catalog.
@pytest.mark.parametrize(
    ("pool", "problem"),
    [
        (
            {"name": "big", "accelerator": "h100", "maxSize": 1},
            "gpu.pools[0].accelerator: 'h100' has no node type in the fourth node catalog "
            "(tests/fourth_platform/catalog.py); add one there or pick another accelerator (t4)",
        ),
        (
            {"name": "odd", "accelerator": "t4", "instanceType": "f9.big", "maxSize": 1},
            "gpu.pools[0].instanceType: 'f9.big' is not a fourth node type with t4; use one of "
            "f1.8x, f1.32x, f1.64x",
        ),
        (
            {**ROOT_POOL, "capacity": {"type": "flex-start"}},
            "gpu.pools[0].capacity.type: fourth has no flex-start (flex-start is GKE's Dynamic "
            "Workload Scheduler); use on-demand, spot, reservation (a fourth reservation) or "
            "capacity-block (a fourth block)",
        ),
    ],
    ids=["unknown-accelerator", "unknown-instance-type", "flex-start"],
)
def test_a_pool_the_fourth_catalog_cannot_give_is_refused_not_a_traceback(
    pool: dict[str, Any], problem: str
) -> None:
    settings = load(config(pool))
    # The program's check, what `pulumi up` runs first (__main__.py reports a SettingsError).
    with pytest.raises(SettingsError) as failure:
        program.check(settings)
    assert failure.value.problems == [f"{PROJECT}:{problem}"]


@pytest.mark.parametrize(
    ("pool", "key"),
    [
        ({"name": "big", "accelerator": "h100", "maxSize": 1}, "accelerator"),
        ({"name": "odd", "accelerator": "t4", "instanceType": "f9.big"}, "instanceType"),
    ],
)
def test_the_plans_way_to_the_pools_refuses_a_node_type_the_catalog_lacks(
    pool: dict[str, Any], key: str
) -> None:
    """The plan and the bench read PLATFORMS[cloud].gpu_pools without the program's check:
    a pool with no node type is refused there too, not a KeyError from the catalog."""
    with pytest.raises(SettingsError) as failure:
        FOURTH.gpu_pools(load(config(pool)))
    [problem] = failure.value.problems
    assert problem.startswith(f"{PROJECT}:gpu.pools[0].{key}: ")


def test_a_capacity_the_fourth_catalog_holds_is_accepted() -> None:
    pool = {**ROOT_POOL, "capacity": {"type": "capacity-block", "reservation": "blk-1"}}
    settings = load(config(pool))
    assert FOURTH.pool_problems(settings) == []
    FOURTH.check(settings)


@pytest.mark.parametrize(("kind", "warned"), [("spot", True), ("reservation", False)])
def test_a_large_node_on_unheld_capacity_is_warned_of(kind: str, warned: bool) -> None:
    big = {"name": "big", "accelerator": "t4", "instanceType": "f1.64x", "maxSize": 1}
    capacity = {"type": kind, **({"reservation": "r"} if kind == "reservation" else {})}
    warnings = fit.capacity_warnings(load(config({**big, "capacity": capacity})), PROJECT)
    assert [f"on {kind} capacity" in w for w in warnings] == ([True] if warned else [])


@pytest.mark.parametrize("stated", [True, False])
def test_a_created_cluster_refuses_either_statement_of_its_cni(stated: bool) -> None:
    cfg = config(ROOT_POOL)
    cfg[f"{KEY}isolation"] = {"cniEnforcesNetworkPolicy": stated}
    with pytest.raises(SettingsError, match=r"cniEnforcesNetworkPolicy: only for cloud existing"):
        isolation.check(load(cfg))


def test_a_platform_that_creates_no_nodes_is_told_to_state_its_cni(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the key, the operator's cluster is asked to state its CNI (the stack's key),
    chosen by the trait, not by the platform's name."""
    monkeypatch.setattr(Fourth, "creates_nodes", False)
    declared = {"cpu": "7", "memory": "60Gi", "ephemeralStorage": "100Gi"}
    pool = {"name": "theirs", "accelerator": "t4", "instanceType": "f1.64x", "maxSize": 1}
    settings = load(config({**pool, "nodeAllocatable": declared, "balloonReplicas": 1}))
    [finding] = [f for f in isolation.findings(settings, FOURTH) if "NetworkPolicy" in f.message]
    assert finding.path == "isolation.cniEnforcesNetworkPolicy"
    assert finding.message.endswith("set isolation.cniEnforcesNetworkPolicy: true")


def test_a_misspelt_placeholder_in_a_catalogs_words_fails_at_once() -> None:
    """The words are filled in for every pool, valid or not: a typo would break every GPU
    stack on the platform, so the catalog refuses it when it is made."""
    with pytest.raises(ValueError, match=r"Catalog.absent names catalogue: use only accel"):
        dataclasses.replace(FOURTH.catalog, absent="has none in {catalogue}")
    with pytest.raises(ValueError, match=r"Catalog.foreign names nouns"):
        dataclasses.replace(FOURTH.catalog, foreign="is not a {nouns}")


def test_the_words_a_refusal_fills_in_are_the_ones_a_catalog_may_name() -> None:
    """Platform.pool_problems fills in exactly MESSAGE_WORDS: a name added to one and not the
    other would fail only when a pool is refused, not when the catalog is made."""
    every = " ".join(f"{{{w}}}" for w in MESSAGE_WORDS)
    odd = {"name": "odd", "accelerator": "t4", "instanceType": "f9.big", "maxSize": 1}
    catalog = dataclasses.replace(FOURTH.catalog, foreign=every)
    with mock.patch.object(Fourth, "catalog", catalog):
        [problem] = FOURTH.pool_problems(load(config(odd)))
    assert "{" not in problem and "'f9.big' t4 node type fourth " in problem


def test_a_platform_missing_from_platforms_is_named_by_the_catalog_lookup() -> None:
    with pytest.raises(KeyError, match=r"'fifth' is not in components/platforms.py"):
        instances.catalog("fifth")
