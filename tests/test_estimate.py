"""The provisioning estimate: the longest chain sets the total, and orderings the program
chose that lengthen it are findings."""

from __future__ import annotations

import re
from typing import Any

import pytest

from plan import estimate as est
from plan.simulator import RecordedResource, run_program
from tests.conftest import stack_file


def res(
    name: str, typ: str, deps: tuple[str, ...] = (), data: tuple[str, ...] = ()
) -> RecordedResource:
    return RecordedResource(
        urn=f"urn:{name}",
        type=typ,
        name=name,
        parent=None,
        custom=True,
        provider=None,
        dependencies=[f"urn:{d}" for d in (*deps, *data)],
        inputs={},
        secret_inputs=[],
        protect=False,
        property_dependencies={"x": [f"urn:{d}" for d in data]} if data else {},
    )


CLUSTER = "aws:eks/cluster:Cluster"
RDS = "aws:rds/instance:Instance"
RELEASE = "kubernetes:helm.sh/v3:Release"


def test_total_is_the_longest_chain_by_the_table() -> None:
    resources = [
        res("c-eks", CLUSTER),
        res("db", RDS),
        res("model-engine-chart", RELEASE, data=("c-eks", "db")),
    ]
    e = est.estimate(resources)
    # The slowest of the two parallel branches, then the chart, from DURATIONS.
    db_high = est.DURATIONS[RDS][1]
    chart_high = est.RELEASE_DURATIONS["model-engine-chart"][1]
    assert e.high == max(db_high, est.DURATIONS[CLUSTER][1]) + chart_high
    assert [s.name for s in e.critical_path] == ["db", "model-engine-chart"]
    assert e.ratio == 1.0 and not e.findings


def test_a_database_that_waits_for_the_cluster_is_a_finding() -> None:
    resources = [res("c-eks", CLUSTER), res("db", RDS, deps=("c-eks",))]
    e = est.estimate(resources)
    assert any("db waits for the cluster" in f for f in e.findings)
    assert e.ratio > 1.0


def test_add_ons_serialised_by_choice_are_a_finding() -> None:
    resources = [
        res("addons-keda-release", RELEASE),
        res("addons-lws-release", RELEASE, deps=("addons-keda-release",)),
    ]
    e = est.estimate(resources)
    assert e.ratio == pytest.approx(2.0)
    assert any("addons-lws-release waits for addons-keda-release" in f for f in e.findings)


def test_required_orderings_are_not_findings() -> None:
    resources = [
        res("addons-istio-base", RELEASE),
        res("addons-istio-istiod", RELEASE, deps=("addons-istio-base",)),
    ]
    e = est.estimate(resources)
    assert e.ratio == 1.0 and not e.findings


@pytest.mark.parametrize("stack", ["customer-prod", "existing-infra"])
def test_example_stacks_lose_no_time_to_ordering(stack: str) -> None:
    config: dict[str, Any] = stack_file(stack)
    e = est.estimate(run_program(config, stack=stack).resources)
    assert e.findings == ()
    assert e.ratio == pytest.approx(1.0)
    assert e.critical_path[-1].name == "model-engine-chart"


def test_a_resource_waits_for_its_provider() -> None:
    """A provider reference is `URN::ID`; the URN itself holds `::`, so the edge to the
    provider (a cluster's kubeconfig provider) exists only when cut at the last `::`."""
    provider_urn = "urn:pulumi:prod::model-engine-infra::pulumi:providers:kubernetes::k8s"
    provider = res("k8s", "pulumi:providers:kubernetes")
    provider.urn = provider_urn
    release = res("model-engine-chart", RELEASE)
    release.provider = f"{provider_urn}::04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    graph = est.Graph([provider, release])
    assert graph.edges(release) == {provider_urn: True}


def test_managed_redis_takes_its_documented_time() -> None:
    """Azure Managed Redis is the slowest create of an Azure stack: minutes, not seconds."""
    low, high, source = est.DURATIONS["azure-native:redisenterprise:RedisEnterprise"]
    documented = re.search(r"(\d+)-(\d+) minutes", source)
    assert documented is not None, source
    assert (low, high) == (int(documented[1]) * 60, int(documented[2]) * 60)
    assert low >= 10 * 60  # never the seconds of a cache node


def test_the_gke_cluster_counts_the_hold_for_its_key_grant() -> None:
    """GKE's creation waits until the service agent's grant on the Secrets key has
    propagated (components/gcp/cluster.py): the first `pulumi up` of gcp-prod is that much
    longer than the cluster's own creation."""
    from components import waits

    run = run_program(stack_file("gcp-prod"), stack="gcp-prod")
    (cluster,) = run.of_type("gcp:container/cluster:Cluster")
    low, high = est.duration(cluster)
    hold = waits.GCP_IAM_PROPAGATION.total_seconds()
    own_low, own_high, _ = est.DURATIONS[cluster.type]
    assert (low, high) == (own_low + hold, own_high + hold)
    assert cluster.name in [s.name for s in est.estimate(run.resources).critical_path]
