"""PostgreSQL flexible server: private, TLS only, backed up, with a URL-safe password."""

from __future__ import annotations

from tests.azure.helpers import AzureRun, azure_config, run_azure, upstream_types


def test_postgres_is_private_tls_backed_up(prod: AzureRun) -> None:
    server = prod.one("azure-native:dbforpostgresql:Server", "platform-database-postgres").inputs
    assert int(server["version"]) >= 16
    assert server["network"]["publicNetworkAccess"] == "Disabled"
    assert server["network"]["delegatedSubnetResourceId"].endswith("/subnets/database")
    assert server["backup"]["backupRetentionDays"] >= 7
    assert server["highAvailability"]["mode"] == "ZoneRedundant"
    configs = {
        r.inputs["configurationName"]: r.inputs["value"]
        for r in prod.of_type("azure-native:dbforpostgresql:Configuration")
    }
    assert configs["require_secure_transport"] == "ON"


def test_database_password_is_url_safe() -> None:
    import re

    from components.model_engine import chart_facts as cf

    run = run_azure(azure_config())
    password = run.one("random:index/randomPassword:RandomPassword", "platform-database-password")
    # Without specials RandomPassword draws from [A-Za-z0-9] only, inside the URL-safe set.
    assert password.inputs["special"] is False
    assert password.inputs.get("overrideSpecial") in (None, "")
    assert re.fullmatch(cf.URL_SAFE_CREDENTIAL, "".join(map(chr, range(48, 58))) + "aZ")


def test_postgres_waits_for_its_private_zone_link(prod: AzureRun) -> None:
    types = upstream_types(
        prod, "azure-native:dbforpostgresql:Server", "platform-database-postgres"
    )
    assert "azure-native:privatedns:VirtualNetworkLink" in types
