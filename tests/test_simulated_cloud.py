"""The simulated cloud does not flatter: what it cannot know offline is a placeholder, and
what it does invent has the cloud's own shape."""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_random as random
import pytest
from pulumi.runtime import resource as pulumi_resource

from components.contract import is_deferred
from plan import computed_aws
from plan.simulator import run_program
from tests.conftest import stack_file

CLUSTER = computed_aws.ExistingCluster(vpc_id="vpc-0a1b2c3d4e5f60000", version="1.33")
WORLD = computed_aws.Existing(clusters={"shared-gpu": CLUSTER})
ARGS: dict[str, dict[str, Any]] = {
    computed_aws.GET_CLUSTER: {"name": "shared-gpu"},
    "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": {
        "url": computed_aws.oidc_issuer("us-west-2", CLUSTER.oidc_id)
    },
}


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _strings(v, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def _answers() -> Iterator[tuple[str, str, str]]:
    for token, rule in computed_aws.CALLS.items():
        for path, value in _strings(rule(dict(ARGS.get(token, {})), WORLD)):
            yield token, path, value


def test_the_account_id_is_never_invented() -> None:
    assert is_deferred(computed_aws.account_id())
    invented = [(t, p, v) for t, p, v in _answers() if re.search(r"(?<!\d)\d{12}(?!\d)", v)]
    assert invented == []


ID_SHAPES = {
    "vpcId": r"vpc-[0-9a-f]{17}",
    "clusterSecurityGroupId": r"sg-[0-9a-f]{17}",
}


def test_invented_ids_and_arns_have_the_clouds_shapes() -> None:
    seen: set[str] = set()
    for token, path, value in _answers():
        if is_deferred(value) and not value.startswith("arn:"):
            continue
        leaf = path.rsplit(".", 1)[-1]
        if leaf in ID_SHAPES:
            assert re.fullmatch(ID_SHAPES[leaf], value), (token, path, value)
            seen.add(leaf)
        if value.startswith("arn:"):
            # arn:partition:service:region:account:resource (IAM is global: no region);
            # the account is the caller identity's placeholder.
            arn = value.replace(computed_aws.account_id(), "ACCOUNT")
            parts = arn.split(":", 5)
            assert len(parts) == 6 and parts[1] == "aws" and parts[4] == "ACCOUNT", value
            service, region, resource = parts[2], parts[3], parts[5]
            assert service in {"iam", "eks"}, value
            assert (region == "") == (service == "iam"), value
            assert re.match(r"(cluster|oidc-provider)/\S+", resource), value
            seen.add(f"arn:{service}")
        if token == computed_aws.GET_CLUSTER and leaf == "endpoint":
            assert re.fullmatch(
                r"https://[0-9A-F]{32}\.gr7\.us-west-2\.eks\.amazonaws\.com", value
            ), value
            seen.add(leaf)
    assert seen >= {*ID_SHAPES, "arn:eks", "arn:iam", "endpoint"}


@pytest.mark.parametrize(
    ("region", "zone_id"),
    [("us-west-2", "usw2-az1"), ("eu-central-1", "euc1-az1"), ("ap-southeast-1", "apse1-az1")],
)
def test_zone_ids_follow_the_region(region: str, zone_id: str) -> None:
    rule = computed_aws.CALLS["aws:index/getAvailabilityZones:getAvailabilityZones"]
    assert rule({"region": region}, WORLD)["zoneIds"][0] == zone_id


def test_created_resources_get_their_ids_after_deploy() -> None:
    run = run_program(stack_file("customer-prod"))
    vpc = run.one("aws:ec2/vpc:Vpc")
    found = run.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert found
    for sg in found:
        assert is_deferred(sg.inputs["vpcId"]) and vpc.name in sg.inputs["vpcId"]


def _two_resources() -> None:
    parent = pulumi.ComponentResource("test:index:Parent", "parent")
    random.RandomPet("pet", opts=pulumi.ResourceOptions(parent=parent))


def test_the_offline_run_skips_the_sdks_stack_walk_and_gives_it_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The SDK's per-resource stack walk (source positions the mocks drop) is off while a
    simulated run lasts, and the SDK's own function is back afterwards, also after a failing
    program, so that nothing else in the process runs without it."""
    walks: list[int] = []
    real_extract = traceback.extract_stack
    monkeypatch.setattr(traceback, "extract_stack", lambda *a: walks.append(1) or real_extract())
    real = pulumi_resource._get_stack_trace

    run = run_program({}, program=_two_resources)

    assert sorted(r.name for r in run.resources) == ["parent", "pet"]
    assert walks == []
    assert pulumi_resource._get_stack_trace is real
    # The SDK's own function walks the stack (so the count above could have been non-zero).
    real()
    assert walks == [1]

    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run_program({}, program=fails)
    assert pulumi_resource._get_stack_trace is real
