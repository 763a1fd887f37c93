"""A Kubernetes minor bump on GKE upgrades the control plane (GKE moves its managed add-ons
with it), then the node pools, which follow the control plane's version, then the chart's
dependants. Pulumi updates a resource only after everything it depends on, so the
dependency graph is the order; the plan prints it and the README's runbook follows it."""

from __future__ import annotations

from typing import Any

from plan import operations
from tests.gcp.helpers import CLUSTER, NODE_POOL, GcpRun, run_gcp
from tests.helpers import CHART, set_path


def test_control_plane_then_node_pools_then_chart(prod: GcpRun) -> None:
    cluster = prod.one(CLUSTER)
    pools = prod.of_type(NODE_POOL)
    assert pools
    for pool in pools:
        # The version comes from the control plane: the pool waits for its upgrade.
        assert cluster.urn in pool.property_dependencies["version"], pool.name
    # The chart waits for the pools its pods run on (not for GPU pools, which may be empty).
    chart = prod.upstream(prod.one(*CHART))
    assert {p.urn for p in pools if not p.name.startswith("platform-nodes-gpu")} <= chart


def test_the_plan_shows_the_order_and_nothing_out_of_it(prod: GcpRun) -> None:
    order = operations.upgrade_order(prod.run.resources)
    assert [stage for stage, _, _ in order] == ["control plane", "node pools", "chart's dependants"]
    assert all(not late for _, _, late in order)


def test_a_minor_bump_moves_the_control_plane_then_every_pool(config: dict[str, Any]) -> None:
    set_path(config, "gcp.cluster.version", "1.34")
    before = run_gcp(config)
    set_path(config, "gcp.cluster.version", "1.35")
    after = run_gcp(config)
    assert before.one(CLUSTER).inputs["minMasterVersion"] == "1.34"
    assert after.one(CLUSTER).inputs["minMasterVersion"] == "1.35"
    versions = {p.inputs["version"] for p in after.of_type(NODE_POOL)}
    assert versions == {after.one(CLUSTER).state["masterVersion"]}
    assert versions.pop().startswith("1.35.")
