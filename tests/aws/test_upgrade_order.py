"""A Kubernetes minor bump upgrades in the order EKS requires: the control plane, then the
managed add-ons built for the new minor, then the node groups, then the chart's dependants.
Pulumi updates a resource only after everything it depends on, so the dependency graph is
the order; the README's upgrade runbook follows it."""

from __future__ import annotations

from typing import Any

from components.aws import versions as eks_versions
from tests.aws.helpers import AwsRun, run_aws
from tests.helpers import set_path

CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
NODES = "aws:eks/nodeGroup:NodeGroup"


def test_control_plane_then_addons_then_nodes_then_chart(prod: AwsRun) -> None:
    cluster = prod.one(CLUSTER).urn
    addons = {r.name: r for r in prod.of_type(ADDON)}
    for name, addon in addons.items():
        assert cluster in prod.upstream(addon), name
    before_nodes = {
        addons["platform-eks-addons-vpc-cni"].urn,
        addons["platform-eks-addons-kube-proxy"].urn,
    }
    found = prod.of_type(NODES)
    assert found
    for group in found:
        up = prod.upstream(group)
        assert cluster in up and before_nodes <= up, group.name
    release = prod.upstream(prod.run.release)
    assert {g.urn for g in prod.of_type(NODES)} & release
    assert addons["platform-eks-addons-coredns"].urn in release


def test_a_minor_bump_moves_every_managed_addon_to_the_new_builds(config: dict[str, Any]) -> None:
    set_path(config, "aws.cluster.version", "1.34")
    old = {r.inputs["addonName"]: r.inputs["addonVersion"] for r in run_aws(config).of_type(ADDON)}
    set_path(config, "aws.cluster.version", "1.35")
    new = {r.inputs["addonName"]: r.inputs["addonVersion"] for r in run_aws(config).of_type(ADDON)}
    assert set(new) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"}
    assert new == eks_versions.addon_versions("1.35")
    # kube-proxy must match the minor: it always changes with it.
    assert old["kube-proxy"] != new["kube-proxy"] and new["kube-proxy"].startswith("v1.35.")
