"""The plan's upgrade order comes from the dependency graph: a resource that waits for no
earlier stage is shown out of order."""

from __future__ import annotations

from plan import operations
from plan.simulator import RecordedResource


def _r(name: str, typ: str, deps: list[str]) -> RecordedResource:
    return RecordedResource(
        urn=name,
        type=typ,
        name=name,
        parent=None,
        custom=True,
        provider=None,
        dependencies=deps,
        inputs={},
        secret_inputs=[],
        protect=False,
    )


CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
RELEASE = "kubernetes:helm.sh/v3:Release"


def test_a_pool_that_does_not_wait_for_the_control_plane_is_out_of_order() -> None:
    resources = [
        _r("aks", CLUSTER, []),
        _r("gpu", POOL, ["aks"]),
        _r("cpu", POOL, []),
        # Waits for the cluster only through the gpu pool: transitively ordered.
        _r("chart", RELEASE, ["gpu"]),
    ]
    order = operations.upgrade_order(resources)
    assert order == [
        ("control plane", ["aks"], []),
        ("node pools", ["gpu", "cpu"], ["cpu"]),
        ("chart's dependants", ["chart"], []),
    ]
    assert "   - OUT OF ORDER: cpu waits for no earlier stage" in operations.lines(resources)


def test_without_a_cluster_of_ours_the_plan_says_so() -> None:
    lines = operations.lines([_r("chart", RELEASE, [])])
    assert lines[-1].startswith("the cluster is yours")
