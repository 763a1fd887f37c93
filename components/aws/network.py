"""Network: a new VPC over several AZs (private + public subnets, NAT), or an existing one."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws import settings as aws_settings
from components.aws.common import child


def subnet_cidrs(cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """Private and public CIDRs per AZ: private subnets take an eighth of the VPC each (pods
    get VPC addresses), public ones share the last eighth (load balancers, NAT only)."""
    vpc = ipaddress.IPv4Network(cidr)
    eighths = list(vpc.subnets(prefixlen_diff=3))
    private = [str(n) for n in eighths[:zones]]
    public = [str(n) for n in list(eighths[-1].subnets(prefixlen_diff=3))[:zones]]
    return private, public


@dataclass
class NetworkArgs:
    settings: aws_settings.Vpc
    region: str
    # Subnets carry kubernetes.io/cluster/<name> so load balancers find them.
    cluster_name: str


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    # The availability zone of each private subnet (new VPC only; empty for an existing one).
    private_subnet_zones: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:aws:Network", name, None, opts)
        cfg = args.settings
        if cfg.is_new:
            self._new_vpc(name, args)
        else:
            assert cfg.vpc_id is not None
            self.vpc_id = pulumi.Output.from_input(cfg.vpc_id)
            self.private_subnet_ids = [pulumi.Output.from_input(s) for s in cfg.private_subnet_ids]
            self.private_subnet_zones = []
            self.public_subnet_ids = []
        self.register_outputs(
            {"vpc_id": self.vpc_id, "private_subnet_ids": self.private_subnet_ids}
        )

    def _new_vpc(self, name: str, args: NetworkArgs) -> None:
        cfg = args.settings
        zones = cfg.availability_zones
        cluster_tag = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"}
        azs = aws.get_availability_zones_output(
            state="available", opts=pulumi.InvokeOutputOptions(parent=self)
        )

        def zone(i: int) -> pulumi.Output[str]:
            def pick(names: list[str]) -> str:
                if len(names) <= i:
                    raise ValueError(
                        f"{args.region} offers {len(names)} availability zones; set "
                        f"model-engine-infra:aws.vpc.availabilityZones to at most {len(names)}"
                    )
                return names[i]

            return azs.names.apply(pick)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=cfg.new_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{args.cluster_name}"},
            opts=child(self),
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags={"Name": args.cluster_name}, opts=child(self)
        )
        private_cidrs, public_cidrs = subnet_cidrs(cfg.new_cidr, zones)
        public_rt = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            tags={"Name": f"{args.cluster_name}-public"},
            opts=child(self),
        )
        aws.ec2.Route(
            f"{name}-public-internet",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child(self),
        )
        public: list[aws.ec2.Subnet] = []
        private: list[aws.ec2.Subnet] = []
        for i in range(zones):
            az = zone(i)
            pub = aws.ec2.Subnet(
                f"{name}-public-{i}",
                vpc_id=vpc.id,
                cidr_block=public_cidrs[i],
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={
                    "Name": f"{args.cluster_name}-public-{i}",
                    "kubernetes.io/role/elb": "1",
                    **cluster_tag,
                },
                opts=child(self),
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}",
                subnet_id=pub.id,
                route_table_id=public_rt.id,
                opts=child(self),
            )
            public.append(pub)
            private.append(
                aws.ec2.Subnet(
                    f"{name}-private-{i}",
                    vpc_id=vpc.id,
                    cidr_block=private_cidrs[i],
                    availability_zone=az,
                    tags={
                        "Name": f"{args.cluster_name}-private-{i}",
                        "kubernetes.io/role/internal-elb": "1",
                        **cluster_tag,
                    },
                    opts=child(self),
                )
            )

        nat_count = zones if cfg.nat_gateways == "per-az" else 1
        nats = []
        for i in range(nat_count):
            eip = aws.ec2.Eip(
                f"{name}-nat-{i}",
                domain="vpc",
                tags={"Name": f"{args.cluster_name}-nat-{i}"},
                opts=child(self),
            )
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=public[i].id,
                    tags={"Name": f"{args.cluster_name}-nat-{i}"},
                    opts=child(self, depends_on=[igw]),
                )
            )
        private_tables = []
        for i, subnet in enumerate(private):
            nat = nats[i] if cfg.nat_gateways == "per-az" else nats[0]
            rt = aws.ec2.RouteTable(
                f"{name}-private-{i}",
                vpc_id=vpc.id,
                tags={"Name": f"{args.cluster_name}-private-{i}"},
                opts=child(self),
            )
            aws.ec2.Route(
                f"{name}-private-{i}-nat",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child(self),
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}",
                subnet_id=subnet.id,
                route_table_id=rt.id,
                opts=child(self),
            )
            private_tables.append(rt)
        # S3 traffic (images' weights, Celery results) stays off the NAT gateways.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_tables],
            tags={"Name": f"{args.cluster_name}-s3"},
            opts=child(self),
        )
        self.vpc_id = vpc.id
        self.private_subnet_ids = [s.id for s in private]
        self.private_subnet_zones = [s.availability_zone for s in private]
        self.public_subnet_ids = [s.id for s in public]
