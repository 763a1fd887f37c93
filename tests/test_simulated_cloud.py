"""The simulated cloud does not flatter: what it cannot know offline is a placeholder, and
what it does invent has the cloud's own shape."""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi.resource as pulumi_resource_class
import pulumi_random as random
import pytest
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime.proto import resource_pb2

from components.contract import is_deferred
from plan import computed_aws, simulator
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


def _aliased() -> None:
    parent = pulumi.ComponentResource(
        "test:index:Parent",
        "parent",
        opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="test:index:OldParent")]),
    )
    random.RandomPet(
        "pet", opts=pulumi.ResourceOptions(parent=parent, aliases=[pulumi.Alias(name="old-pet")])
    )


def _sent_aliases(monkeypatch: pytest.MonkeyPatch, *, specs: bool = True) -> dict[str, list[str]]:
    """The aliases each registration of `_aliased` carries, as the monitor receives them
    (`specs=False`: a monitor without alias specs, which gets URNs the SDK computed)."""
    sent: dict[str, list[str]] = {}
    register = simulator.RecordingMonitor.RegisterResource
    info = simulator.RecordingMonitor.GetDeploymentInfo

    def recording(self: simulator.RecordingMonitor, request: Any) -> Any:
        aliases = [str(a).replace("\n", " ") for a in request.aliases]
        sent[request.name] = sorted([*aliases, *request.aliasURNs])
        return register(self, request)

    def without_alias_specs(self: simulator.RecordingMonitor, request: Any) -> Any:
        features = info(self, request).supportedFeatures
        return resource_pb2.DeploymentInfo(
            supportedFeatures=[
                f for f in features if f != resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS
            ]
        )

    with monkeypatch.context() as m:
        m.setattr(simulator.RecordingMonitor, "RegisterResource", recording)
        if not specs:
            m.setattr(simulator.RecordingMonitor, "GetDeploymentInfo", without_alias_specs)
        run_program({}, program=_aliased)
    return sent


def test_the_offline_run_skips_alias_urns_nothing_reads_and_sends_every_alias(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each resource's constructor turns its aliases into URNs that only an engine without
    alias specs reads: the offline run skips them, the registrations carry the same aliases
    as with the SDK's own function, and the function is back afterwards."""
    collapsed: list[str] = []
    real = pulumi_resource_class.collapse_alias_to_urn  # pyright: ignore[reportPrivateImportUsage]

    def counting(alias: Any, name: str, *rest: Any) -> Any:
        collapsed.append(name)
        return real(alias, name, *rest)

    monkeypatch.setattr(pulumi_resource_class, "collapse_alias_to_urn", counting)
    skipped = _sent_aliases(monkeypatch)
    assert collapsed == []
    assert pulumi_resource_class.collapse_alias_to_urn is counting  # pyright: ignore[reportPrivateImportUsage]

    # The same run with the SDK's own function in place: it computes the URNs (so the count
    # above could have been non-zero) and the monitor receives exactly the same aliases.
    monkeypatch.setattr(simulator, "_unread_alias_urn", counting)
    assert _sent_aliases(monkeypatch) == skipped
    assert sorted(collapsed) == ["parent", "pet"]
    assert "test:index:OldParent" in skipped["parent"][0]
    assert "old-pet" in skipped["pet"][0]


def test_without_alias_specs_the_sdk_computes_the_alias_urns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A monitor without alias specs gets URNs, the child's inherited from its parent's alias:
    those need the URNs the constructor computed, so the run keeps the SDK's function."""
    sent = _sent_aliases(monkeypatch, specs=False)
    inherited = "test:index:OldParent$random:index/randomPet:RandomPet::pet"
    assert any(inherited in alias for alias in sent["pet"]), sent


def test_a_failing_program_leaves_the_sdk_alias_function_in_place() -> None:
    """The offline run puts the SDK's own function back even when the program raises, so a
    later run in the same process (the tests) is not on the shortcut."""
    real = pulumi_resource_class.collapse_alias_to_urn  # pyright: ignore[reportPrivateImportUsage]

    def failing() -> None:
        _aliased()
        raise RuntimeError("the program failed")

    with pytest.raises(Exception, match="the program failed"):
        run_program({}, program=failing)
    assert pulumi_resource_class.collapse_alias_to_urn is real  # pyright: ignore[reportPrivateImportUsage]
