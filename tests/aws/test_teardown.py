"""`pulumi destroy` finishes: what controllers made goes before the controllers, the nodes
and the network; and a stack re-created right after a destroy collides with nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.aws.helpers import AwsRun, run_aws
from tests.helpers import set_path

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
SECRET = "aws:secretsmanager/secret:Secret"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def _urn(run: AwsRun, typ: str, name: str) -> str:
    return run.one(typ, name).urn


@pytest.mark.parametrize("ns", ["model-engine-release-ns", "model-engine-endpoint-ns"])
def test_namespaces_go_before_keda_the_storage_driver_and_the_nodes(prod: AwsRun, ns: str) -> None:
    """Destroy runs in reverse dependency order: what a namespace depends on outlives it."""
    upstream = prod.upstream(prod.one(NAMESPACE, ns))
    assert _urn(prod, RELEASE, "addons-keda-release") in upstream  # ScaledObject finalizers
    assert _urn(prod, "aws:eks/addon:Addon", "platform-block-storage-ebs-csi") in upstream  # PVCs
    assert _urn(prod, NODE_GROUP, "platform-nodes-system") in upstream
    # ... and the chart's Release goes before its namespaces.
    chart = prod.one(RELEASE, "model-engine-chart")
    assert prod.one(NAMESPACE, ns).urn in chart.dependencies


@pytest.mark.parametrize(
    "release", ["addons-istio-gateway", "addons-prometheus-server", "model-engine-chart"]
)
def test_load_balancers_and_volumes_go_before_nodes_driver_and_cluster(
    prod: AwsRun, release: str
) -> None:
    """The gateway's LoadBalancer Service (an NLB in the VPC's subnets) and Prometheus' EBS
    volume are deleted while the controllers that remove them still run."""
    upstream = prod.upstream(prod.one(RELEASE, release))
    for typ, name in [
        (NODE_GROUP, "platform-nodes-system"),
        ("aws:eks/addon:Addon", "platform-block-storage-ebs-csi"),
        ("kubernetes:storage.k8s.io/v1:StorageClass", "platform-block-storage-gp3"),
        ("aws:eks/cluster:Cluster", "platform-cluster-eks"),
        ("aws:ec2/subnet:Subnet", "platform-network-private-0"),
    ]:
        assert _urn(prod, typ, name) in upstream, (release, name)


def _recovery_windows(run: AwsRun) -> set[float]:
    return {s.inputs["recoveryWindowInDays"] for s in run.of_type(SECRET)}


def test_secrets_are_recoverable_while_protected(prod: AwsRun) -> None:
    assert _recovery_windows(prod) == {7}


def test_unprotected_secrets_free_their_names_at_once(config: dict[str, Any]) -> None:
    set_path(config, "protect", False)
    set_path(config, "aws.database.useSecretsManagerRoute", True)
    run = run_aws(config)
    assert len(run.of_type(SECRET)) == 3
    assert _recovery_windows(run) == {0}


@pytest.mark.parametrize(
    ("typ", "name", "stem"),
    [
        ("aws:rds/instance:Instance", "platform-database-postgres", "model-engine-customer-prod"),
        (
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "platform-cache-redis",
            "model-engine-customer-prod",
        ),
    ],
)
def test_final_snapshots_are_unique_per_stack_life(
    prod: AwsRun, typ: str, name: str, stem: str
) -> None:
    suffix = prod.one("random:index/randomId:RandomId", f"{name.rsplit('-', 1)[0]}-final-snapshot")
    identifier = prod.one(typ, name).inputs["finalSnapshotIdentifier"]
    assert identifier == f"{stem}-final-" + prod.out(suffix.type, suffix.name, "hex")
