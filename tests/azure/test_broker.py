"""Service Bus: a private endpoint only where the SKU has one."""

from __future__ import annotations

from tests.azure.helpers import azure_config, run_azure


def test_standard_service_bus_has_no_private_endpoint() -> None:
    config = azure_config()
    config["model-engine-infra:azure"]["serviceBus"] = {"sku": "Standard"}
    run = run_azure(config)
    sb = run.one("azure-native:servicebus:Namespace", "platform-broker-servicebus").inputs
    assert sb["publicNetworkAccess"] == "Enabled"
    zones = {
        r.inputs["privateZoneName"] for r in run.of_type("azure-native:privatedns:PrivateZone")
    }
    assert "privatelink.servicebus.windows.net" not in zones
