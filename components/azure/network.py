"""Resource group, VNet and private DNS: where every other Azure resource lives.

The VNet has four subnets: nodes (AKS, Azure CNI overlay: pods take no VNet addresses),
the PostgreSQL delegated subnet, and two for private endpoints: Blob's and Service Bus's,
which endpoint pods reach (the isolation admits that subnet), and everyone else's. Subnets
are declared inline in the VNet (a separate Subnet resource and the VNet would fight over
the subnet list). Each
private DNS zone is linked to the VNet so nodes resolve the services' private addresses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network, privatedns, resources

from components.azure import settings as az
from components.azure.common import child
from components.azure.settings import USER_CODE_ENDPOINTS_SUBNET, USER_CODE_PRIVATE_SERVICES

# Private DNS zone per private-link service ("Azure Private Endpoint private DNS zone
# values"), with the endpoint's group id.
PRIVATE_LINK_ZONES: Mapping[str, tuple[str, str]] = {
    "redis": ("privatelink.redis.azure.net", "redisEnterprise"),
    "servicebus": ("privatelink.servicebus.windows.net", "namespace"),
    "blob": ("privatelink.blob.core.windows.net", "blob"),
    "keyvault": ("privatelink.vaultcore.azure.net", "vault"),
    "registry": ("privatelink.azurecr.io", "registry"),
}
POSTGRES_DELEGATION = "Microsoft.DBforPostgreSQL/flexibleServers"


def postgres_zone(prefix: str) -> str:
    """VNet-integrated Flexible Server: a zone ending in .postgres.database.azure.com."""
    return f"{prefix}.private.postgres.database.azure.com"


@dataclass
class NetworkArgs:
    settings: az.Network
    resource_group: az.ResourceGroup
    resource_group_name: str
    location: str
    # The PostgreSQL private zone is <prefix>.private.postgres.database.azure.com.
    database_zone_prefix: str
    # PRIVATE_LINK_ZONES keys of the services that get a private endpoint.
    private_services: Sequence[str]
    tags: Mapping[str, str]


class Network(pulumi.ComponentResource):
    resource_group_name: pulumi.Output[str]
    vnet: network.VirtualNetwork
    node_subnet_id: pulumi.Output[str]
    database_subnet_id: pulumi.Output[str]
    endpoint_subnet_id: pulumi.Output[str]
    user_code_endpoint_subnet_id: pulumi.Output[str]
    postgres_zone: privatedns.PrivateZone
    postgres_zone_link: privatedns.VirtualNetworkLink
    # Zone key (PRIVATE_LINK_ZONES) -> zone; empty without private access.
    zones: dict[str, privatedns.PrivateZone]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:azure:Network", name, None, opts)
        tags = dict(args.tags)
        if args.resource_group.existing:
            self.resource_group_name = pulumi.Output.from_input(args.resource_group_name)
        else:
            group = resources.ResourceGroup(
                f"{name}-rg",
                resource_group_name=args.resource_group_name,
                location=args.location,
                tags=tags,
                opts=child(self),
            )
            self.resource_group_name = group.name
        rg = self.resource_group_name
        cidrs = args.settings.subnets
        self.vnet = network.VirtualNetwork(
            f"{name}-vnet",
            resource_group_name=rg,
            location=args.location,
            address_space=network.AddressSpaceArgs(address_prefixes=[args.settings.address_space]),
            subnets=[
                network.SubnetArgs(name="nodes", address_prefix=cidrs["nodes"]),
                network.SubnetArgs(
                    name="database",
                    address_prefix=cidrs["database"],
                    delegations=[
                        network.DelegationArgs(name="postgres", service_name=POSTGRES_DELEGATION)
                    ],
                ),
                *(
                    network.SubnetArgs(
                        name=subnet,
                        address_prefix=cidrs[subnet],
                        private_endpoint_network_policies="Disabled",
                    )
                    for subnet in ("endpoints", USER_CODE_ENDPOINTS_SUBNET)
                ),
            ],
            tags=tags,
            opts=child(self),
        )
        self.node_subnet_id = pulumi.Output.concat(self.vnet.id, "/subnets/nodes")
        self.database_subnet_id = pulumi.Output.concat(self.vnet.id, "/subnets/database")
        self.endpoint_subnet_id = pulumi.Output.concat(self.vnet.id, "/subnets/endpoints")
        self.user_code_endpoint_subnet_id = pulumi.Output.concat(
            self.vnet.id, f"/subnets/{USER_CODE_ENDPOINTS_SUBNET}"
        )

        self.postgres_zone, self.postgres_zone_link = self._zone(
            name, "postgres", postgres_zone(args.database_zone_prefix)
        )
        self.zones = {}
        if args.settings.private_access:
            for key in args.private_services:
                self.zones[key] = self._zone(name, key, PRIVATE_LINK_ZONES[key][0])[0]
        self.register_outputs(
            {
                "vnet_id": self.vnet.id,
                "private_dns_zones": sorted([*self.zones, "postgres"]),
            }
        )

    def _zone(
        self, name: str, key: str, zone: str
    ) -> tuple[privatedns.PrivateZone, privatedns.VirtualNetworkLink]:
        dns = privatedns.PrivateZone(
            f"{name}-dns-{key}",
            resource_group_name=self.resource_group_name,
            private_zone_name=zone,
            location="global",
            opts=child(self),
        )
        link = privatedns.VirtualNetworkLink(
            f"{name}-dns-{key}",
            resource_group_name=self.resource_group_name,
            private_zone_name=dns.name,
            location="global",
            virtual_network=privatedns.SubResourceArgs(id=self.vnet.id),
            registration_enabled=False,
            opts=child(self),
        )
        return dns, link

    def private_endpoint(
        self,
        parent: pulumi.Resource,
        name: str,
        *,
        key: str,
        target_id: pulumi.Input[str],
        location: str,
    ) -> network.PrivateEndpoint | None:
        """A private endpoint for `target_id` in the endpoints subnet (Blob's and Service
        Bus's in the one user code may reach), registered in the service's private DNS zone;
        None without private access."""
        zone = self.zones.get(key)
        if zone is None:
            return None
        group_id = PRIVATE_LINK_ZONES[key][1]
        endpoint = network.PrivateEndpoint(
            f"{name}-pe",
            resource_group_name=self.resource_group_name,
            location=location,
            subnet=network.SubnetArgs(
                id=self.user_code_endpoint_subnet_id
                if key in USER_CODE_PRIVATE_SERVICES
                else self.endpoint_subnet_id
            ),
            private_link_service_connections=[
                network.PrivateLinkServiceConnectionArgs(
                    name=f"{name}-{key}",
                    private_link_service_id=target_id,
                    group_ids=[group_id],
                )
            ],
            opts=child(parent),
        )
        network.PrivateDnsZoneGroup(
            f"{name}-pe",
            resource_group_name=self.resource_group_name,
            private_endpoint_name=endpoint.name,
            private_dns_zone_group_name="default",
            private_dns_zone_configs=[
                network.PrivateDnsZoneConfigArgs(name=key, private_dns_zone_id=zone.id)
            ],
            opts=child(parent),
        )
        return endpoint
