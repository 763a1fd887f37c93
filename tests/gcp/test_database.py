"""Cloud SQL: private, TLS only, backed up and protected."""

from __future__ import annotations

from tests.gcp.helpers import SQL, GcpRun


def test_cloud_sql_is_private_tls_only_and_backed_up(prod: GcpRun) -> None:
    db = prod.one(SQL, "platform-database-postgres")
    i = db.inputs
    s = i["settings"]
    assert i["databaseVersion"] == "POSTGRES_16"
    assert s["tier"] == "db-custom-4-16384" and s["edition"] == "ENTERPRISE"
    assert s["availabilityType"] == "REGIONAL"
    ip = s["ipConfiguration"]
    assert ip["ipv4Enabled"] is False
    assert ip["sslMode"] == "ENCRYPTED_ONLY"
    vpc = prod.one("gcp:compute/network:Network", "platform-network-vpc")
    # The network's id, as GCP computes it from its name.
    assert (
        ip["privateNetwork"] == f"projects/customer-llm-prod/global/networks/{vpc.inputs['name']}"
    )
    backups = s["backupConfiguration"]
    assert backups["enabled"] is True and backups["pointInTimeRecoveryEnabled"] is True
    assert backups["transactionLogRetentionDays"] == 7
    assert backups["backupRetentionSettings"]["retainedBackups"] == 14
    assert i["deletionProtection"] is True and s["deletionProtectionEnabled"] is True
    assert s["retainBackupsOnDelete"] is True
    assert db.protect
    # It waits for private services access.
    peering = prod.one("gcp:servicenetworking/connection:Connection")
    assert peering.urn in db.dependencies
    pw = prod.one("random:index/randomPassword:RandomPassword").inputs
    assert pw["special"] is False and pw["length"] >= 32  # URL-safe: [A-Za-z0-9]
