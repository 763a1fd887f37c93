"""Memorystore: plain connections on the private network only, and the plan says so."""

from __future__ import annotations

from tests.gcp.helpers import REDIS, SQL, GcpRun

FIREWALL = "gcp:compute/firewall:Firewall"


def test_memorystore_accepts_plain_connections_on_the_private_network_only(
    prod: GcpRun,
) -> None:
    r = prod.one(REDIS, "platform-cache-redis")
    i = r.inputs
    # The pinned server's forwarders send neither AUTH nor TLS.
    assert i["authEnabled"] is False
    assert i["transitEncryptionMode"] == "DISABLED"
    assert i["connectMode"] == "PRIVATE_SERVICE_ACCESS"
    assert (
        i["authorizedNetwork"]
        == prod.one(SQL).inputs["settings"]["ipConfiguration"]["privateNetwork"]
    )
    assert i["tier"] == "STANDARD_HA"
    assert i["persistenceConfig"]["persistenceMode"] == "RDB"
    assert r.protect
    peering = prod.one("gcp:servicenetworking/connection:Connection")
    assert peering.urn in r.dependencies
    # Only the GKE nodes may connect to the private services range.
    node = prod.email("platform-node-identity-account")
    allow = prod.one(FIREWALL, "platform-network-data-from-nodes").inputs
    deny = prod.one(FIREWALL, "platform-network-data-from-others").inputs
    assert allow["targetServiceAccounts"] == [node]
    assert allow["destinationRanges"] == deny["destinationRanges"] == ["10.70.0.0/16"]
    assert allow["priority"] < deny["priority"]
    assert deny["denies"] == [{"protocol": "tcp", "ports": ["5432", "6379"]}]
    assert "targetServiceAccounts" not in deny


def test_plan_reports_the_unauthenticated_redis() -> None:
    from components.program import check
    from tests.gcp.helpers import gcp_config
    from tests.helpers import settings_from

    findings = [str(f) for f in check(settings_from(gcp_config()))]
    assert any("without AUTH and TLS" in f for f in findings), findings
