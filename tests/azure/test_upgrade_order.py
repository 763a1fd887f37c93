"""A Kubernetes minor bump on AKS upgrades the control plane (AKS moves its managed add-ons,
the addon profiles, and the inline system pool with it), then the agent pools, then the
chart's dependants. Pulumi updates a resource only after everything it depends on, so the
dependency graph is the order; the plan prints it and the README's runbook follows it."""

from __future__ import annotations

from typing import Any

from plan import operations
from tests.azure.helpers import CLUSTER, POOL, AzureRun, run_azure
from tests.helpers import CHART, set_path


def test_control_plane_then_node_pools_then_chart(prod: AzureRun) -> None:
    cluster = prod.one(CLUSTER).urn
    pools = prod.of_type(POOL)
    assert pools
    for pool in pools:
        assert cluster in prod.upstream(pool), pool.name
    chart = prod.upstream(prod.one(*CHART))
    assert cluster in chart and {p.urn for p in pools} <= chart


def test_the_plan_shows_the_order_and_nothing_out_of_it(prod: AzureRun) -> None:
    order = operations.upgrade_order(prod.run.resources)
    assert [stage for stage, _, _ in order] == ["control plane", "node pools", "chart's dependants"]
    assert all(not late for _, _, late in order)
    assert "model-engine-chart" in order[-1][1]


def test_a_minor_bump_moves_the_control_plane_and_every_pool(config: dict[str, Any]) -> None:
    set_path(config, "azure.cluster.version", "1.35")
    before = run_azure(config)
    set_path(config, "azure.cluster.version", "1.36")
    after = run_azure(config)
    assert before.one(CLUSTER).inputs["kubernetesVersion"] == "1.35"
    assert after.one(CLUSTER).inputs["kubernetesVersion"] == "1.36"
    assert {p.inputs["orchestratorVersion"] for p in after.of_type(POOL)} == {"1.36"}
    # The inline system pool follows the control plane too.
    system = after.one(CLUSTER).inputs["agentPoolProfiles"]
    assert {p.get("orchestratorVersion", "1.36") for p in system} == {"1.36"}
