"""Network: a new VPC over three AZs with private and public subnets and NAT, or an
existing VPC whose subnets everything else lands in."""

from __future__ import annotations

import ipaddress
from typing import Any

from plan import computed_aws
from tests.aws.helpers import AwsRun, run_aws
from tests.helpers import set_path

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
EXISTING_SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]


def _subnets(run: AwsRun, kind: str) -> list[dict[str, Any]]:
    found = sorted((r for r in run.of_type(SUBNET) if f"-{kind}-" in r.name), key=lambda r: r.name)
    return [r.inputs for r in found]


def test_three_private_and_three_public_subnets_in_distinct_zones(prod: AwsRun) -> None:
    vpc = prod.one("aws:ec2/vpc:Vpc").inputs
    assert vpc["cidrBlock"] == "10.40.0.0/16"
    network = ipaddress.IPv4Network(vpc["cidrBlock"])
    zones = [f"us-west-2{z}" for z in "abc"]  # from getAvailabilityZones, in order
    for kind, role_tag in (
        ("private", "kubernetes.io/role/internal-elb"),
        ("public", "kubernetes.io/role/elb"),
    ):
        subnets = _subnets(prod, kind)
        assert [s["availabilityZone"] for s in subnets] == zones
        cidrs = [ipaddress.IPv4Network(s["cidrBlock"]) for s in subnets]
        assert all(c.subnet_of(network) for c in cidrs)
        assert all(s["tags"][role_tag] == "1" for s in subnets)
        assert all(
            s["tags"]["kubernetes.io/cluster/model-engine-customer-prod"] == "shared"
            for s in subnets
        )
    private = [ipaddress.ip_network(s["cidrBlock"]) for s in _subnets(prod, "private")]
    public = [ipaddress.ip_network(s["cidrBlock"]) for s in _subnets(prod, "public")]
    # Pods take VPC addresses: private subnets are the big ones, and nothing overlaps.
    assert all(p.num_addresses >= 8192 for p in private)
    everything = private + public
    assert not any(a.overlaps(b) for i, a in enumerate(everything) for b in everything[i + 1 :])
    assert all(s.get("mapPublicIpOnLaunch") in (None, False) for s in _subnets(prod, "public"))


def test_nat_per_zone_and_each_private_subnet_routes_through_its_own(prod: AwsRun) -> None:
    nats = prod.of_type(NAT)
    assert len(nats) == 3
    public_ids = {
        prod.out(SUBNET, r.name, "id") for r in prod.of_type(SUBNET) if "-public-" in r.name
    }
    assert {n.inputs["subnetId"] for n in nats} == public_ids
    for i in range(3):
        route = prod.one(ROUTE, f"platform-network-private-{i}-nat").inputs
        assert route["destinationCidrBlock"] == "0.0.0.0/0"
        assert route["natGatewayId"] == prod.out(NAT, f"platform-network-nat-{i}", "id")
    internet = prod.one(ROUTE, "platform-network-public-internet").inputs
    assert internet["gatewayId"] == prod.out(
        "aws:ec2/internetGateway:InternetGateway", "platform-network-igw", "id"
    )


def test_one_nat_gateway_when_chosen(config: dict[str, Any]) -> None:
    set_path(config, "aws.vpc.natGateways", "one")
    run = run_aws(config)
    assert len(run.of_type(NAT)) == 1
    for i in range(3):
        assert run.one(ROUTE, f"platform-network-private-{i}-nat").inputs["natGatewayId"] == (
            run.out(NAT, "platform-network-nat-0", "id")
        )


def test_s3_traffic_bypasses_nat(prod: AwsRun) -> None:
    endpoint = prod.one("aws:ec2/vpcEndpoint:VpcEndpoint").inputs
    assert endpoint["serviceName"] == "com.amazonaws.us-west-2.s3"
    assert endpoint["vpcEndpointType"] == "Gateway"
    assert sorted(endpoint["routeTableIds"]) == [
        prod.out(ROUTE_TABLE, f"platform-network-private-{i}", "id") for i in range(3)
    ]


def test_existing_vpc_is_used_as_is(config: dict[str, Any]) -> None:
    set_path(
        config,
        "aws.vpc",
        {"vpcId": "vpc-0a1b2c3d4e5f60000", "privateSubnetIds": EXISTING_SUBNETS},
    )
    run = run_aws(config)
    assert run.of_type("aws:ec2/vpc:Vpc") == [] and run.of_type(SUBNET) == [] == run.of_type(NAT)
    # Cluster, nodes, PostgreSQL and Redis all land in the operator's private subnets.
    cluster = run.one("aws:eks/cluster:Cluster").inputs
    assert cluster["vpcConfig"]["subnetIds"] == EXISTING_SUBNETS
    found3 = run.of_type("aws:eks/nodeGroup:NodeGroup")
    assert found3
    for ng in found3:
        assert ng.inputs["subnetIds"] == EXISTING_SUBNETS
    assert run.one("aws:rds/subnetGroup:SubnetGroup").inputs["subnetIds"] == EXISTING_SUBNETS
    assert (
        run.one("aws:elasticache/subnetGroup:SubnetGroup").inputs["subnetIds"] == EXISTING_SUBNETS
    )
    found2 = run.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert found2
    for sg in found2:
        assert sg.inputs["vpcId"] == "vpc-0a1b2c3d4e5f60000"


def test_simulated_zones_follow_the_provider_region(config: dict[str, Any]) -> None:
    set_path(config, "aws.region", "eu-west-1")
    run = run_aws(config)
    zones = [s["availabilityZone"] for s in _subnets(run, "private")]
    assert zones == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert computed_aws.DEFAULT_REGION not in str(run.infra)
