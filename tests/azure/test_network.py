"""The network: the resource group, private endpoints and zones for the private services,
and which of them user code reaches."""

from __future__ import annotations

import ipaddress

from tests.azure.helpers import AzureRun, azure_config, run_azure


def test_private_endpoints_and_zones_for_the_private_services(prod: AzureRun) -> None:
    zones = {
        r.inputs["privateZoneName"] for r in prod.of_type("azure-native:privatedns:PrivateZone")
    }
    assert {
        "privatelink.redis.azure.net",
        "privatelink.blob.core.windows.net",
        "privatelink.vaultcore.azure.net",
        "privatelink.azurecr.io",
    } <= zones
    assert any(z.endswith(".private.postgres.database.azure.com") for z in zones)
    # Premium Service Bus (the example) has a private endpoint too.
    assert "privatelink.servicebus.windows.net" in zones
    groups = {
        g
        for r in prod.of_type("azure-native:network:PrivateEndpoint")
        for c in r.inputs["privateLinkServiceConnections"]
        for g in c["groupIds"]
    }
    assert groups == {"redisEnterprise", "blob", "vault", "registry", "namespace"}


def test_existing_resource_group_is_used_not_created() -> None:
    config = azure_config()
    config["model-engine-infra:azure"]["resourceGroup"] = {"name": "rg-shared", "existing": True}
    run = run_azure(config)
    assert run.of_type("azure-native:resources:ResourceGroup") == []
    server = run.one("azure-native:dbforpostgresql:Server", "platform-database-postgres")
    assert server.inputs["resourceGroupName"] == "rg-shared"


def test_without_private_access_no_endpoints_and_public_services() -> None:
    config = azure_config()
    config["model-engine-infra:azure"]["network"]["privateAccess"] = False
    run = run_azure(config)
    assert run.of_type("azure-native:network:PrivateEndpoint") == []
    account = run.one("azure-native:storage:StorageAccount", "platform-storage-account").inputs
    assert account["publicNetworkAccess"] == "Enabled"
    # Still Entra-only and private to blobs.
    assert account["allowSharedKeyAccess"] is False


def test_user_code_reaches_only_the_blob_and_service_bus_private_endpoints(prod: AzureRun) -> None:
    """The isolation admits a subnet of private endpoints: the one only Blob's and Service
    Bus's are in, never Key Vault's (the database password), the registry's or Redis's."""
    from components.isolation import matrix, netpol
    from components.isolation import policies as pol
    from plan.cli import ISOLATION, NETWORK_POLICY

    [component] = prod.of_type(ISOLATION)
    scope = pol.scope_from(component.inputs["scope"])
    policies = [r.inputs for r in prod.of_type(NETWORK_POLICY)]
    [vnet] = prod.of_type("azure-native:network:VirtualNetwork")
    prefix = {s["name"]: s["addressPrefix"] for s in vnet.inputs["subnets"]}
    pod = matrix.endpoint_pod(scope)
    reached = set()
    for endpoint in prod.of_type("azure-native:network:PrivateEndpoint"):
        subnet = endpoint.inputs["subnet"]["id"].rsplit("/subnets/", 1)[1]
        [group] = endpoint.inputs["privateLinkServiceConnections"][0]["groupIds"]
        # Every address of its subnet: the endpoint's own is assigned at deploy.
        hosts = list(ipaddress.ip_network(prefix[subnet]).hosts())
        if any(netpol.allowed(pod, netpol.External(str(h)), 443, policies) for h in hosts):
            reached.add(group)
    assert reached == {"blob", "namespace"}
