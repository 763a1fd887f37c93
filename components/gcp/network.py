"""The network: a VPC with one subnet (nodes) and secondary ranges (pods, services), Cloud NAT
for the private nodes' egress, and private services access for Cloud SQL and Memorystore; or
an existing network and subnet.

Firewall: Memorystore accepts plain, unauthenticated connections (the server's forwarders
get neither AUTH nor TLS at the pinned commit), so only the GKE nodes' service account may
open connections to the private services range; every other VM in the network is denied.
The control plane of a private cluster reaches the nodes on 443 and 10250 only (GKE's own
rule); a second rule opens the ports of the add-ons' webhooks and aggregated APIs from its
range (components/addons/webhooks.py).

The private services connection is abandoned, not deleted, on destroy: Cloud SQL and
Memorystore (retained when protected) still use it, and Service Networking refuses to
delete a connection with producers on it, which would leave `pulumi destroy` failing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
from pulumi_gcp import servicenetworking
from pulumi_gcp.compute import (
    Firewall,
    FirewallAllowArgs,
    FirewallDenyArgs,
    GlobalAddress,
    Router,
    RouterNat,
    RouterNatLogConfigArgs,
    Subnetwork,
    SubnetworkLogConfigArgs,
    SubnetworkSecondaryIpRangeArgs,
)
from pulumi_gcp.compute import Network as VpcNetwork

from components.gcp import settings as gcp_settings
from components.gcp.common import child

PRIVATE_SERVICES = "servicenetworking.googleapis.com"
# servicenetworking.Connection on destroy: leave the peering (module docstring).
PRIVATE_SERVICES_DELETION = "ABANDON"
POSTGRES_PORT = 5432
REDIS_PORT = 6379


def network_id(project: str, name: str) -> str:
    return f"projects/{project}/global/networks/{name}"


def subnetwork_id(project: str, region: str, name: str) -> str:
    return f"projects/{project}/regions/{region}/subnetworks/{name}"


@dataclass
class NetworkArgs:
    settings: gcp_settings.Network
    project: str
    region: str
    name: str
    # The GKE nodes' service account: the only source allowed to reach Cloud SQL and Redis.
    node_service_account: pulumi.Input[str]
    # The control plane's range (masterIpv4CidrBlock) and the node ports it must reach.
    control_plane_cidr: str
    control_plane_ports: list[int]


class Network(pulumi.ComponentResource):
    network_id: pulumi.Output[str]
    subnetwork_id: pulumi.Output[str]
    pods_range_name: str
    services_range_name: str
    # Cloud SQL and Memorystore wait for private services access.
    private_services: list[pulumi.Resource]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:gcp:Network", name, None, opts)
        cfg = args.settings
        self.pods_range_name = cfg.pods_range_name
        self.services_range_name = cfg.services_range_name
        self.private_services = []
        if cfg.is_new:
            net = VpcNetwork(
                f"{name}-vpc",
                name=args.name,
                auto_create_subnetworks=False,
                routing_mode="REGIONAL",
                project=args.project,
                opts=child(self),
            )
            subnet = Subnetwork(
                f"{name}-subnet",
                name=f"{args.name}-nodes",
                network=net.id,
                region=args.region,
                project=args.project,
                ip_cidr_range=cfg.subnet_cidr,
                private_ip_google_access=True,
                secondary_ip_ranges=[
                    SubnetworkSecondaryIpRangeArgs(
                        range_name=cfg.pods_range_name, ip_cidr_range=cfg.pods_cidr
                    ),
                    SubnetworkSecondaryIpRangeArgs(
                        range_name=cfg.services_range_name, ip_cidr_range=cfg.services_cidr
                    ),
                ],
                log_config=SubnetworkLogConfigArgs(
                    aggregation_interval="INTERVAL_5_SEC", flow_sampling=0.5
                ),
                opts=child(self),
            )
            router = Router(
                f"{name}-router",
                name=f"{args.name}-router",
                network=net.id,
                region=args.region,
                project=args.project,
                opts=child(self),
            )
            # Private nodes reach the internet (Docker Hub, Hugging Face, the gcloud SDK the
            # endpoint containers download) only through NAT.
            RouterNat(
                f"{name}-nat",
                name=f"{args.name}-nat",
                router=router.name,
                region=args.region,
                project=args.project,
                nat_ip_allocate_option="AUTO_ONLY",
                source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
                log_config=RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
                opts=child(self),
            )
            self.network_id = net.id
            self.subnetwork_id = subnet.id
            network_for_psa: pulumi.Input[str] = net.id
        else:
            assert cfg.existing_network and cfg.existing_subnetwork
            self.network_id = pulumi.Output.from_input(
                network_id(args.project, cfg.existing_network)
            )
            self.subnetwork_id = pulumi.Output.from_input(
                subnetwork_id(args.project, args.region, cfg.existing_subnetwork)
            )
            network_for_psa = self.network_id

        psa = ipaddress.IPv4Network(cfg.private_services_cidr)
        if cfg.is_new or not cfg.private_services_access_exists:
            reserved = GlobalAddress(
                f"{name}-private-services",
                name=f"{args.name}-private-services",
                purpose="VPC_PEERING",
                address_type="INTERNAL",
                address=str(psa.network_address),
                prefix_length=psa.prefixlen,
                network=network_for_psa,
                project=args.project,
                opts=child(self),
            )
            self.private_services.append(
                servicenetworking.Connection(
                    f"{name}-private-services",
                    network=network_for_psa,
                    service=PRIVATE_SERVICES,
                    reserved_peering_ranges=[reserved.name],
                    deletion_policy=PRIVATE_SERVICES_DELETION,
                    opts=child(self),
                )
            )

        ports = [str(POSTGRES_PORT), str(REDIS_PORT)]
        # Higher priority (lower number) than the deny below: the nodes (and so the pods on
        # them) may connect.
        Firewall(
            f"{name}-data-from-nodes",
            name=f"{args.name}-data-from-nodes",
            network=network_for_psa,
            project=args.project,
            direction="EGRESS",
            priority=900,
            destination_ranges=[cfg.private_services_cidr],
            target_service_accounts=[args.node_service_account],
            allows=[FirewallAllowArgs(protocol="tcp", ports=ports)],
            description="PostgreSQL and Redis from the GKE nodes",
            opts=child(self),
        )
        Firewall(
            f"{name}-data-from-others",
            name=f"{args.name}-data-from-others",
            network=network_for_psa,
            project=args.project,
            direction="EGRESS",
            priority=1000,
            destination_ranges=[cfg.private_services_cidr],
            denies=[FirewallDenyArgs(protocol="tcp", ports=ports)],
            description="PostgreSQL and Redis (no AUTH, no TLS) from nothing but the GKE nodes",
            opts=child(self),
        )
        if args.control_plane_ports:
            Firewall(
                f"{name}-webhooks",
                name=f"{args.name}-webhooks",
                network=network_for_psa,
                project=args.project,
                direction="INGRESS",
                priority=1000,
                source_ranges=[args.control_plane_cidr],
                target_service_accounts=[args.node_service_account],
                allows=[
                    FirewallAllowArgs(
                        protocol="tcp", ports=[str(p) for p in args.control_plane_ports]
                    )
                ],
                description="Add-on webhooks and aggregated APIs, from the GKE control plane",
                opts=child(self),
            )
        self.register_outputs({"network_id": self.network_id, "subnetwork_id": self.subnetwork_id})
