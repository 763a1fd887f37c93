"""Order and durability: stateful services start alongside the cluster, slow ones get time,
and state survives `pulumi destroy` unless the operator opts out."""

from __future__ import annotations

from typing import Any

from tests.aws.helpers import AwsRun, run_aws
from tests.helpers import set_path

STATEFUL = [
    ("aws:rds/instance:Instance", "platform-database-postgres"),
    ("aws:elasticache/replicationGroup:ReplicationGroup", "platform-cache-redis"),
    ("aws:s3/bucket:Bucket", "platform-storage-bucket"),
    ("aws:ecr/repository:Repository", "platform-registry-model-engine-launch-inference"),
    ("aws:kms/key:Key", "platform-data-key"),
]
CLUSTER = ("aws:eks/cluster:Cluster", "platform-cluster-eks")


def test_data_services_do_not_wait_for_the_cluster(prod: AwsRun) -> None:
    cluster = prod.one(*CLUSTER).urn
    nodes = {r.urn for r in prod.of_type("aws:eks/nodeGroup:NodeGroup")}
    for typ, name in [*STATEFUL, ("aws:iam/role:Role", "platform-nodes-role")]:
        upstream = prod.upstream(prod.one(typ, name))
        assert cluster not in upstream and not nodes & upstream, name
    # Only what must know the cluster waits for it: the ingress rules and IRSA roles.
    rule = prod.one(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "platform-database-from-nodes"
    )
    assert cluster in prod.upstream(rule)
    assert cluster in prod.upstream(prod.one("aws:iam/role:Role", "platform-identity-model-engine"))


def test_chart_waits_for_nodes(prod: AwsRun) -> None:
    chart = prod.one("kubernetes:helm.sh/v3:Release", "model-engine-chart")
    system = prod.one("aws:eks/nodeGroup:NodeGroup", "platform-nodes-system").urn
    assert system in chart.dependencies


def test_slow_resources_get_custom_timeouts(prod: AwsRun) -> None:
    for typ, name in [STATEFUL[0], STATEFUL[1], CLUSTER]:
        timeouts = prod.options[(typ, name)].custom_timeouts
        assert set(timeouts) == {"create", "update", "delete"}, name
        assert all(int(v.removesuffix("m")) >= 60 for v in timeouts.values()), name


def test_state_is_protected_and_retained(prod: AwsRun) -> None:
    for typ, name in STATEFUL:
        resource = prod.one(typ, name)
        assert resource.protect, name
        assert prod.options[(typ, name)].retain_on_delete, name
    assert prod.one(*CLUSTER).protect


def test_protect_false_opts_out(config: dict[str, Any]) -> None:
    set_path(config, "protect", False)
    run = run_aws(config)
    for typ, name in [*STATEFUL, CLUSTER]:
        assert not run.one(typ, name).protect, name
        assert not run.options[(typ, name)].retain_on_delete, name
