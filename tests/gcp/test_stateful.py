"""Cloud SQL, Memorystore, the bucket and the registry: private, encrypted, backed up and
protected (unless the operator opts out)."""

from __future__ import annotations

from tests.gcp.helpers import BUCKET, REDIS, REPOSITORY, SQL, GcpRun, run_gcp
from tests.helpers import set_path

FIREWALL = "gcp:compute/firewall:Firewall"


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


def test_bucket_is_private_versioned_and_expires_celery_results(prod: GcpRun) -> None:
    b = prod.one(BUCKET, "platform-storage-bucket")
    i = b.inputs
    assert i["uniformBucketLevelAccess"] is True
    assert i["publicAccessPrevention"] == "enforced"
    assert i["versioning"] == {"enabled": True}
    assert i["forceDestroy"] is False
    rules = i["lifecycleRules"]
    celery = [r for r in rules if r["condition"].get("matchesPrefixes") == ["tmp/celery/"]]
    assert celery and celery[0]["action"]["type"] == "Delete"
    assert celery[0]["condition"]["age"] == 7
    assert "encryption" not in i
    assert b.protect


def test_cmek_is_granted_to_the_storage_agent_first(config: dict) -> None:
    key = "projects/kms-proj/locations/us-central1/keyRings/ml/cryptoKeys/bucket"
    set_path(config, "gcp.storage.kmsKeyName", key)
    run = run_gcp(config)
    bucket = run.one(BUCKET)
    assert bucket.inputs["encryption"] == {"defaultKmsKeyName": key}
    grant = run.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "platform-storage-kms")
    assert grant.inputs["cryptoKeyId"] == key
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant.inputs["member"].endswith("@gs-project-accounts.iam.gserviceaccount.com")
    assert grant.urn in bucket.dependencies


def test_registry_is_protected_and_cleans_untagged(prod: GcpRun) -> None:
    repo = prod.one(REPOSITORY, "platform-registry-docker")
    assert repo.inputs["format"] == "DOCKER"
    assert repo.inputs["mode"] == "STANDARD_REPOSITORY"
    [policy] = repo.inputs["cleanupPolicies"]
    assert policy["condition"]["tagState"] == "UNTAGGED"
    assert repo.protect


def test_docker_hub_is_mirrored_and_istio_pulls_through_it(prod: GcpRun) -> None:
    mirror = prod.one(REPOSITORY, "platform-registry-dockerhub")
    assert (mirror.inputs["format"], mirror.inputs["mode"]) == ("DOCKER", "REMOTE_REPOSITORY")
    remote = mirror.inputs["remoteRepositoryConfig"]
    assert remote["dockerRepository"] == {"publicRepository": "DOCKER_HUB"}
    assert mirror.inputs["repositoryId"] == "model-engine-dockerhub"
    assert mirror.inputs["location"] == "us-central1"
    # A cache: losing it loses nothing.
    assert not mirror.protect
    istiod = prod.one("kubernetes:helm.sh/v3:Release", "addons-istio-istiod")
    uri = mirror.state["registryUri"]
    assert uri == "us-central1-docker.pkg.dev/customer-llm-prod/model-engine-dockerhub"
    assert istiod.inputs["values"]["global"]["hub"] == f"{uri}/istio"


def test_the_mirror_can_be_turned_off(config: dict) -> None:
    set_path(config, "gcp.registry.dockerHubMirror", False)
    run = run_gcp(config)
    assert [r.name for r in run.of_type(REPOSITORY)] == ["platform-registry-docker"]
    istiod = run.one("kubernetes:helm.sh/v3:Release", "addons-istio-istiod")
    assert "global" not in istiod.inputs["values"]


def test_protect_false_lets_everything_go(config: dict) -> None:
    set_path(config, "protect", False)
    run = run_gcp(config)
    for typ, name in ((SQL, None), (REDIS, None), (BUCKET, None)):
        assert not run.one(typ, name).protect, typ
    assert not run.one(REPOSITORY, "platform-registry-docker").protect
    assert run.one(SQL).inputs["deletionProtection"] is False
    assert run.one("gcp:container/cluster:Cluster").inputs["deletionProtection"] is False
