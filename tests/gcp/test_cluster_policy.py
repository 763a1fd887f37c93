"""Dataplane V2 and the policy that keeps the AUTH-less Memorystore to its clients; upgrades
on the stack's schedule and within what the pinned add-ons support; Secrets encrypted with a
Cloud KMS key GKE may use before the cluster exists."""

from __future__ import annotations

import pulumi
import pytest

from plan.simulator import RecordedResource, run_program
from tests.gcp.helpers import CLUSTER, REDIS, SQL, GcpRun, run_gcp
from tests.helpers import set_path, settings_from

POLICY = "kubernetes:cilium.io/v2:CiliumClusterwideNetworkPolicy"
KEY = "gcp:kms/cryptoKey:CryptoKey"
RING = "gcp:kms/keyRing:KeyRing"
KEY_IAM = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
RELEASE = "kubernetes:helm.sh/v3:Release"


def test_dataplane_v2_enforces_network_policy(prod: GcpRun) -> None:
    cluster = prod.one(CLUSTER).inputs
    assert cluster["datapathProvider"] == "ADVANCED_DATAPATH"
    assert cluster["enableCiliumClusterwideNetworkPolicy"] is True
    # Dataplane V2 enforces policy itself; the Calico add-on must not be asked for.
    assert "networkPolicy" not in cluster


def test_only_the_client_namespaces_reach_redis(prod: GcpRun) -> None:
    policy = prod.one(POLICY)
    spec = policy.inputs["spec"]
    host = prod.state(REDIS, "platform-cache-redis", "host")
    (deny,) = spec["egressDeny"]
    assert deny["toCIDR"] == [f"{host}/32"]
    assert deny["toPorts"] == [{"ports": [{"port": "6379", "protocol": "TCP"}]}]
    (selector,) = spec["endpointSelector"]["matchExpressions"]
    assert selector["key"] == "k8s:io.kubernetes.pod.namespace"
    assert selector["operator"] == "NotIn"
    # The release namespace, the endpoint namespace (forwarders), KEDA (its Redis trigger)
    # and GKE's own.
    assert set(selector["values"]) == {"model-engine", "llm-engine", "keda", "kube-system"}
    # Everything else stays allowed: the deny alone would make the pods default-deny.
    assert spec["egress"] == [{"toEntities": ["all"]}]


def test_the_policy_is_in_place_before_any_addon_pod(prod: GcpRun) -> None:
    policy = prod.one(POLICY)
    assert prod.one(CLUSTER).urn in prod.upstream(policy)
    found = prod.of_type(RELEASE)
    assert found
    for release in found:
        assert policy.urn in prod.upstream(release), release.name


def test_client_namespaces_follow_the_stack(config: dict) -> None:
    set_path(config, "namespaces", {"release": "me-ctl", "endpoints": "me-endpoints"})
    set_path(config, "addons.keda", {"namespace": "autoscaling"})
    run = run_gcp(config)
    (selector,) = run.one(POLICY).inputs["spec"]["endpointSelector"]["matchExpressions"]
    assert set(selector["values"]) == {"me-ctl", "me-endpoints", "autoscaling", "kube-system"}


def test_upgrades_happen_in_the_window_and_never_move_the_minor(prod: GcpRun) -> None:
    cluster = prod.one(CLUSTER).inputs
    assert cluster["minMasterVersion"] == "1.35"
    policy = cluster["maintenancePolicy"]
    window = policy["recurringWindow"]
    assert window["recurrence"] == "FREQ=WEEKLY;BYDAY=SA,SU"
    assert window["startTime"].endswith("T02:00:00Z")
    assert window["endTime"].endswith("T08:00:00Z")
    (hold,) = policy["maintenanceExclusions"]
    assert hold["exclusionOptions"] == {
        "scope": "NO_MINOR_UPGRADES",
        "endTimeBehavior": "UNTIL_END_OF_SUPPORT",
    }
    # Memorystore and Cloud SQL: the window's first day, same hour.
    (redis_window,) = prod.one(REDIS).inputs["maintenancePolicy"]["weeklyMaintenanceWindows"]
    assert redis_window["day"] == "SATURDAY"
    assert redis_window["startTime"]["hours"] == 2
    sql_window = prod.one(SQL).inputs["settings"]["maintenanceWindow"]
    assert (sql_window["day"], sql_window["hour"]) == (6, 2)


def test_a_window_across_midnight(config: dict) -> None:
    set_path(config, "gcp.maintenance", {"days": ["TU", "TH"], "startHourUtc": 22, "hours": 6})
    # The default backup hour (01:00) is inside this window: moved after it (and after the
    # operations window, sun 03:00-07:00).
    set_path(config, "operations.maintenance.backupStartHour", 8)
    run = run_gcp(config)
    window = run.one(CLUSTER).inputs["maintenancePolicy"]["recurringWindow"]
    assert window["recurrence"] == "FREQ=WEEKLY;BYDAY=TU,TH"
    assert window["startTime"] == "2026-01-01T22:00:00Z"
    assert window["endTime"] == "2026-01-02T04:00:00Z"
    assert run.one(SQL).inputs["settings"]["maintenanceWindow"]["day"] == 2


def test_a_window_gke_would_refuse_is_refused(config: dict) -> None:
    # One 4-hour window a week is about 18 h in 32 days; GKE asks for 48.
    set_path(config, "gcp.maintenance", {"days": ["SU"], "hours": 4})
    with pytest.raises(ValueError, match="48"):
        settings_from(config)


@pytest.mark.parametrize(
    ("version", "problem"),
    [
        (None, "set the Kubernetes minor version"),
        ("1.36", "outside what the installed add-ons support"),
        ("1.32", "outside what the installed add-ons support"),
    ],
)
def test_version_outside_the_addons_support_is_refused(
    config: dict, version: str | None, problem: str
) -> None:
    cluster = config["model-engine-infra:gcp"]["cluster"]
    if version is None:
        del cluster["version"]
    else:
        cluster["version"] = version
    with pytest.raises(pulumi.RunError) as e:
        run_gcp(config)
    (message,) = [line for line in str(e.value).splitlines() if line.startswith("  - ")]
    assert message.startswith("  - model-engine-infra:gcp.cluster.version: ")
    assert problem in message and "1.33 to 1.35" in message


def test_without_keda_the_version_is_free(config: dict) -> None:
    set_path(config, "addons.keda", {"enabled": False})
    set_path(config, "gcp.cluster.version", "1.36")
    assert run_gcp(config).one(CLUSTER).inputs["minMasterVersion"] == "1.36"


def test_secrets_are_encrypted_with_a_key_gke_may_use_first(prod: GcpRun) -> None:
    cluster = prod.one(CLUSTER)
    key = prod.one(KEY)
    # The ring's name ends in a random suffix, drawn once: read it from the ring.
    ring_name = prod.one(RING).inputs["name"]
    assert ring_name.startswith("model-engine-gcp-prod-")
    assert len(ring_name) > len("model-engine-gcp-prod-")
    key_id = (
        f"projects/customer-llm-prod/locations/us-central1/keyRings/{ring_name}/"
        "cryptoKeys/gke-secrets"
    )
    assert cluster.inputs["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": key_id}
    assert key.inputs["keyRing"] == key_id.split("/cryptoKeys/")[0]
    assert key.inputs["rotationPeriod"] == "7776000s"
    # The GKE service agent of the project (its number comes from the project lookup).
    (grant,) = prod.of_type(KEY_IAM)
    assert grant.inputs == {
        "cryptoKeyId": key_id,
        "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        "member": "serviceAccount:service-123456789012@container-engine-robot.iam."
        "gserviceaccount.com",
    }
    assert grant.urn in prod.upstream(cluster)
    # A destroyed key would leave every Secret unreadable: protected like the data.
    for resource in (key, prod.one(RING)):
        assert resource.protect, resource.name


def test_a_stack_created_again_gets_a_new_key_ring(prod: GcpRun) -> None:
    """Key rings are never deleted: a fixed name would fail the next `up` after a destroy."""
    ring = prod.one(RING)
    suffix = prod.one("random:index/randomString:RandomString")
    assert suffix.urn in ring.property_dependencies["name"]
    assert ring.inputs["name"] == f"model-engine-gcp-prod-{suffix.state['result']}"


def test_a_key_of_the_stack_is_used_as_is(config: dict) -> None:
    name = "projects/sec/locations/us-central1/keyRings/gke/cryptoKeys/secrets"
    set_path(config, "gcp.cluster.secretsKmsKey", name)
    run = run_gcp(config)
    assert run.of_type(RING) == [] and run.of_type(KEY) == []
    assert run.one(CLUSTER).inputs["databaseEncryption"]["keyName"] == name
    assert run.one(KEY_IAM).inputs["cryptoKeyId"] == name


def test_a_key_in_another_region_is_refused(config: dict) -> None:
    name = "projects/sec/locations/europe-west4/keyRings/gke/cryptoKeys/secrets"
    set_path(config, "gcp.cluster.secretsKmsKey", name)
    with pytest.raises(ValueError, match="secretsKmsKey: GKE needs the key in the cluster"):
        settings_from(config)


def test_cloud_sql_backups_start_at_the_stacks_backup_hour(config: dict) -> None:
    set_path(config, "operations.maintenance.backupStartHour", 9)
    backups = run_gcp(config).one(SQL).inputs["settings"]["backupConfiguration"]
    assert backups["startTime"] == "09:00"


def test_a_backup_hour_inside_the_gcp_window_is_refused(config: dict) -> None:
    # Default window: SA, SU from 02:00 UTC for 6 h; 02:00 (outside the operations window,
    # sun 03:00-07:00) would back up during Cloud SQL updates.
    set_path(config, "operations.maintenance.backupStartHour", 2)
    registered: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as failure:
        run_program(config, recorded=registered)
    message = str(failure.value)
    assert "model-engine-infra:operations.maintenance.backupStartHour" in message, message
    assert "gcp.maintenance" in message
    assert registered == []
