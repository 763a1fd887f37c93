"""In-cluster PostgreSQL (CloudNativePG), run against the simulated cloud.

What an operator relies on: the operator chart at its pin before the Cluster that needs its
CRDs and webhooks, a generated owner password that only ever travels as a secret, a Cluster
Pulumi waits on until it is Ready (the chart's migration hook runs after it), data kept on
`pulumi destroy` unless switched off, and backups only when asked for, to the store given.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pydantic import ValidationError

from components import fit
from components.addons import versions
from components.incluster import postgres
from components.incluster.postgres import (
    BackupStore,
    Postgres,
    PostgresArgs,
    PostgresInstall,
)
from components.model_engine.chart_facts import URL_SAFE_CREDENTIAL
from plan.simulator import ProgramRun, RecordedResource, deferred, run_program

NAMESPACE = "llm-data"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster"
SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup"
PASSWORD = "random:index/randomPassword:RandomPassword"

MINIO = BackupStore(
    bucket="ml-backups",
    region="us-east-1",
    access_key_id="AKIAEXAMPLE",
    secret_access_key="s3cr3t-example",
    endpoint_url="http://minio.llm-data.svc.cluster.local:9000",
)


def run(
    settings: dict[str, Any] | None = None, store: BackupStore | None = None
) -> tuple[ProgramRun, dict[str, Any]]:
    """The component alone, on its own provider, as the platform would create it."""
    built: dict[str, Any] = {}

    def program() -> None:
        provider = k8s.Provider("cluster", kubeconfig="{}")
        built["provider"] = provider
        built["pg"] = Postgres(
            "pg",
            PostgresArgs(
                settings=PostgresInstall.model_validate(settings or {}),
                namespace=NAMESPACE,
                provider=provider,
                backup_store=store,
            ),
        )
        # Whether the exposed password is secret, settled while the program runs.
        built["password_is_secret"] = asyncio.ensure_future(built["pg"].password.is_secret())

    return run_program({}, program=program), built


def provider_urn(r: ProgramRun) -> str:
    return r.one("pulumi:providers:kubernetes", "cluster").urn


def uses_cluster_provider(r: ProgramRun, res: RecordedResource) -> bool:
    return (res.provider or "").startswith(provider_urn(r) + "::")


def depends_on(r: ProgramRun, res: RecordedResource) -> set[str]:
    return {r.by_urn(urn).name for urn in res.dependencies}


# --- the operator ---------------------------------------------------------------------


def test_operator_release_is_the_pinned_chart_in_its_own_namespace() -> None:
    r, _ = run()
    release = r.one(RELEASE, "pg-operator")
    pin = versions.CHARTS["cloudnative-pg"]
    assert release.inputs["chart"] == "cloudnative-pg"
    assert release.inputs["version"] == pin.version == "0.29.0"
    assert release.inputs["repositoryOpts"] == {"repo": "https://cloudnative-pg.github.io/charts"}
    assert release.inputs["namespace"] == "cnpg-system"
    assert release.inputs["atomic"] is True
    assert release.inputs["values"]["crds"] == {"create": True}
    assert release.inputs["values"]["config"] == {"clusterWide": True}
    ns = r.one("kubernetes:core/v1:Namespace", "pg-operator-namespace")
    assert ns.inputs["metadata"]["name"] == "cnpg-system"
    assert "pg-operator-namespace" in depends_on(r, release)
    assert uses_cluster_provider(r, release)
    assert uses_cluster_provider(r, ns)


def test_operator_values_from_the_stack_are_merged_over_ours() -> None:
    r, _ = run({"operatorValues": {"image": {"repository": "mirror.local/cnpg"}}})
    values = r.one(RELEASE, "pg-operator").inputs["values"]
    assert values["image"] == {"repository": "mirror.local/cnpg"}
    assert values["crds"] == {"create": True}


def test_a_cluster_that_already_runs_cnpg_gets_no_second_operator() -> None:
    r, _ = run({"installOperator": False})
    assert r.of_type(RELEASE) == []
    assert r.of_type("kubernetes:core/v1:Namespace") == []
    cluster = r.one(CLUSTER)
    assert "pg-operator" not in depends_on(r, cluster)


def test_operator_namespace_is_settable_and_checked() -> None:
    r, _ = run({"operatorNamespace": "postgres-operator"})
    assert r.one(RELEASE, "pg-operator").inputs["namespace"] == "postgres-operator"
    with pytest.raises(ValidationError, match="not a valid Kubernetes name"):
        PostgresInstall.model_validate({"operatorNamespace": "CNPG_System"})


# --- the owner and its password -------------------------------------------------------


def test_owner_password_is_generated_letters_and_digits_and_stays_secret() -> None:
    r, _ = run()
    password = r.one(PASSWORD, "pg-password")
    # special=False: letters and digits only, as the unescaped database URL needs.
    assert password.inputs["special"] is False
    assert password.inputs["length"] >= 24
    secret = r.one(SECRET, "pg-owner")
    assert secret.inputs["type"] == "kubernetes.io/basic-auth"
    assert secret.inputs["metadata"] == {
        "name": "model-engine-postgres-owner",
        "namespace": NAMESPACE,
    }
    data = secret.inputs["stringData"]
    assert data["username"] == "llm_engine"
    # The Secret holds exactly the generated value, marked secret on the wire.
    assert data["password"] == deferred(PASSWORD, "pg-password", "result")
    assert any(p.startswith("stringData") for p in secret.secret_inputs)
    assert "stringData.username" not in secret.secret_inputs
    assert uses_cluster_provider(r, secret)


def test_exposed_password_is_a_secret_output() -> None:
    _, built = run()
    pg: Postgres = built["pg"]
    assert isinstance(pg.password, pulumi.Output)
    flag = built["password_is_secret"]
    assert flag.done() and not flag.cancelled()
    assert flag.result() is True


def test_database_and_owner_go_unescaped_into_the_url() -> None:
    # The server's URL is postgresql://OWNER:PASSWORD@host:port/DATABASE, read by alembic's
    # ConfigParser: nothing that needs %-escaping.
    assert re.fullmatch(URL_SAFE_CREDENTIAL, postgres.DATABASE)
    assert re.fullmatch(URL_SAFE_CREDENTIAL, postgres.OWNER)


# --- the Cluster ----------------------------------------------------------------------


def test_cluster_bootstraps_the_database_the_chart_is_given() -> None:
    r, _ = run()
    cluster = r.one(CLUSTER, "pg-cluster")
    assert cluster.inputs["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster.inputs["kind"] == "Cluster"
    assert cluster.inputs["metadata"]["name"] == "model-engine-postgres"
    assert cluster.inputs["metadata"]["namespace"] == NAMESPACE
    initdb = cluster.inputs["spec"]["bootstrap"]["initdb"]
    owner_secret = r.one(SECRET, "pg-owner").inputs
    assert initdb == {
        "database": postgres.DATABASE,
        "owner": owner_secret["stringData"]["username"],
        "secret": {"name": owner_secret["metadata"]["name"]},
    }
    assert uses_cluster_provider(r, cluster)


def test_cluster_defaults_fit_a_small_cluster() -> None:
    r, _ = run()
    spec = r.one(CLUSTER).inputs["spec"]
    assert spec["instances"] == 1
    # No storageClass: the cluster's default StorageClass (kind's `standard`).
    assert spec["storage"] == {"size": "10Gi"}
    assert spec["imageName"] == "ghcr.io/cloudnative-pg/postgresql:18.6-system-trixie"
    assert spec["imageName"] == versions.IMAGES["postgresql"]
    assert spec["affinity"]["podAntiAffinityType"] == "preferred"
    assert "backup" not in spec
    assert "walStorage" not in spec
    assert r.of_type(SCHEDULED_BACKUP) == []
    # Requests and limits (issue 18 item 10): not BestEffort, memory request = limit as CNPG
    # recommends, and small enough for a small cluster's node.
    resources = spec["resources"]
    assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}
    assert resources["requests"]["memory"] == resources["limits"]["memory"]
    assert fit.millicores(resources["requests"]["cpu"]) <= 500
    assert fit.mebibytes(resources["limits"]["memory"]) <= 2048


def test_cluster_settings_reach_the_spec() -> None:
    r, _ = run(
        {
            "instances": 3,
            "storageSize": "50Gi",
            "storageClass": "fast-ssd",
            "walStorageSize": "5Gi",
            "resources": {"requests": {"cpu": 1, "memory": "2Gi"}, "limits": {"memory": "2Gi"}},
            "parameters": {"max_connections": "300"},
            "podAntiAffinity": "required",
            "nodeSelector": {"pool": "data"},
            "image": "mirror.local/postgresql:18.6-system-trixie",
        }
    )
    spec = r.one(CLUSTER).inputs["spec"]
    assert spec["instances"] == 3
    assert spec["storage"] == {"size": "50Gi", "storageClass": "fast-ssd"}
    assert spec["walStorage"] == {"size": "5Gi", "storageClass": "fast-ssd"}
    assert spec["resources"] == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"memory": "2Gi"},
    }
    assert spec["postgresql"]["parameters"] == {"max_connections": "300"}
    assert spec["affinity"]["podAntiAffinityType"] == "required"
    assert spec["affinity"]["nodeSelector"] == {"pool": "data"}
    assert spec["imageName"] == "mirror.local/postgresql:18.6-system-trixie"
    # With replicas, a primary update switches over instead of restarting in place.
    assert spec["primaryUpdateMethod"] == "switchover"


def test_cluster_waits_for_the_operator_and_pulumi_waits_for_ready() -> None:
    r, built = run()
    cluster = r.one(CLUSTER)
    # After the operator's CRDs and webhook (the Release) and the owner's Secret.
    assert {"pg-operator", "pg-owner"} <= depends_on(r, cluster)
    annotations = cluster.inputs["metadata"]["annotations"]
    # CNPG's condition `Ready` (api/v1/cluster_types.go); without the annotation
    # pulumi-kubernetes treats a custom resource as ready at once.
    assert annotations["pulumi.com/waitFor"] == "condition=Ready"
    assert int(annotations["pulumi.com/timeoutSeconds"]) > 600
    pg: Postgres = built["pg"]
    assert pg.ready == [pg.cluster]


def test_clients_must_use_tls() -> None:
    r, _ = run()
    hba = r.one(CLUSTER).inputs["spec"]["postgresql"]["pg_hba"]
    assert "hostnossl all all all reject" in hba
    # So the server's URL must ask for TLS; it has no copy of CNPG's CA to verify with.
    assert postgres.SSL_MODE == "require"


def test_host_is_the_read_write_service_cnpg_creates() -> None:
    r, built = run()
    cluster_name = r.one(CLUSTER).inputs["metadata"]["name"]
    # CNPG names the primary's Service `<cluster>-rw` (api/v1/cluster_funcs.go
    # GetServiceReadWriteName) on port 5432 (pkg/postgres/configuration.go ServerPort).
    assert postgres.host(NAMESPACE) == f"{cluster_name}-rw.{NAMESPACE}.svc"
    assert postgres.host("data") == "model-engine-postgres-rw.data.svc"
    assert postgres.PORT == 5432
    assert built["pg"].host == postgres.host(NAMESPACE)


# --- keeping data ---------------------------------------------------------------------


def test_cluster_and_its_credentials_are_protected_by_default() -> None:
    r, _ = run()
    assert r.one(CLUSTER).protect is True
    assert r.one(SECRET, "pg-owner").protect is True
    assert r.one(PASSWORD).protect is True


def test_protect_false_lets_destroy_remove_the_database() -> None:
    r, _ = run({"protect": False})
    assert r.one(CLUSTER).protect is False
    assert r.one(PASSWORD).protect is False


# --- backups --------------------------------------------------------------------------


def test_backups_go_to_the_store_given_with_keys_in_our_secret() -> None:
    r, _ = run({"backups": {"schedule": "0 30 2 * * *", "retention": "14d"}}, MINIO)
    spec = r.one(CLUSTER).inputs["spec"]
    backup = spec["backup"]
    assert backup["retentionPolicy"] == "14d"
    store = backup["barmanObjectStore"]
    assert store["destinationPath"] == "s3://ml-backups/postgres/"
    assert store["endpointURL"] == "http://minio.llm-data.svc.cluster.local:9000"
    secret = r.one(SECRET, "pg-backup-store")
    name = secret.inputs["metadata"]["name"]
    data = secret.inputs["stringData"]
    creds = store["s3Credentials"]
    assert data[creds["accessKeyId"]["key"]] == "AKIAEXAMPLE"
    assert data[creds["secretAccessKey"]["key"]] == "s3cr3t-example"
    assert data[creds["region"]["key"]] == "us-east-1"
    assert {creds[k]["name"] for k in ("accessKeyId", "secretAccessKey", "region")} == {name}
    assert any(p.startswith("stringData") for p in secret.secret_inputs)
    assert "pg-backup-store" in depends_on(r, r.one(CLUSTER))
    # S3-compatible stores refuse boto3's newer default checksums.
    assert {"name": "AWS_REQUEST_CHECKSUM_CALCULATION", "value": "when_required"} in spec["env"]

    scheduled = r.one(SCHEDULED_BACKUP)
    assert scheduled.inputs["spec"]["schedule"] == "0 30 2 * * *"
    assert scheduled.inputs["spec"]["cluster"] == {"name": "model-engine-postgres"}
    assert scheduled.inputs["spec"]["method"] == "barmanObjectStore"
    assert scheduled.inputs["spec"]["immediate"] is True
    assert "pg-cluster" in depends_on(r, scheduled)


def test_backups_to_aws_s3_name_no_endpoint() -> None:
    aws = BackupStore(
        bucket="ml-backups", region="eu-west-1", access_key_id="a", secret_access_key="b"
    )
    r, _ = run({"backups": {}}, aws)
    spec = r.one(CLUSTER).inputs["spec"]
    assert "endpointURL" not in spec["backup"]["barmanObjectStore"]
    assert "env" not in spec
    assert r.one(SCHEDULED_BACKUP).inputs["spec"]["schedule"] == "0 0 3 * * *"


def test_no_backups_unless_asked_even_with_a_store() -> None:
    r, _ = run({}, MINIO)
    assert r.of_type(SCHEDULED_BACKUP) == []
    assert [s.name for s in r.of_type(SECRET)] == ["pg-owner"]


def test_backups_without_a_store_fail_with_the_reason() -> None:
    with pytest.raises(Exception, match="no object store"):
        run({"backups": {}})


def test_in_tree_backups_need_an_operator_before_1_31() -> None:
    # barmanObjectStore is removed in CloudNativePG 1.31.0 (docs/src/release_notes/v1.30.md):
    # an operator pin at 1.31 must come with the Barman Cloud Plugin instead.
    source = versions.CHARTS["cloudnative-pg"].source
    found = re.search(r"operator (\d+)\.(\d+)\.\d+", source)
    assert found, source
    assert (int(found[1]), int(found[2])) < (1, 31), "switch backups to the Barman Cloud Plugin"


# --- settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"instances": 0}, "instances is 0: set 1 for a single primary"),
        (
            {"storageSize": "ten gigs"},
            "'ten gigs' is not a Kubernetes quantity such as 500m, 2, 256Mi or 8Gi",
        ),
        ({"walStorageSize": "5GB"}, "'5GB' is not a Kubernetes quantity"),
        ({"storageClass": "Fast_SSD"}, "'Fast_SSD' is not a StorageClass name"),
        ({"backups": {"schedule": "0 3 * * *"}}, "six cron fields with seconds first"),
        ({"backups": {"schedule": "0 0 3 * * * *"}}, "six cron fields"),
        ({"backups": {"retention": "30"}}, "'30' is not a retention: write a number and d, w"),
        ({"backups": {"retention": "0d"}}, "is not a retention"),
        ({"backups": {"path": "/postgres/"}}, "must be a folder inside the bucket"),
        ({"podAntiAffinity": "sometimes"}, "preferred"),
        ({"instanceCount": 3}, "instanceCount"),
        ({"resources": {"requests": {"gpu": 1}}}, "cpu"),
    ],
)
def test_bad_settings_are_rejected_with_the_fix(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        PostgresInstall.model_validate(settings)
    assert message in str(err.value)


def test_schedules_cnpg_accepts() -> None:
    for schedule in ("0 0 3 * * *", "0 */15 * * * *", "@daily", "@every 6h", "0 0 3 * * MON"):
        assert PostgresInstall.model_validate({"backups": {"schedule": schedule}}).backups


def test_settings_keys_are_camel_case_and_frozen() -> None:
    cfg = PostgresInstall.model_validate(
        {"instances": 2, "storageSize": 20, "installOperator": False}
    )
    assert (cfg.instances, cfg.storage_size, cfg.install_operator) == (2, "20", False)
    with pytest.raises(ValidationError):
        cfg.instances = 3  # type: ignore[misc]


# -- restore (existing.database.install.restore) ----------------------------------------


def test_restore_bootstraps_by_recovery_from_the_source_archive() -> None:
    r, _ = run(
        {
            "backups": {"path": "postgres-restored"},
            "restore": {"path": "postgres", "targetTime": "2026-11-30T08:15:00Z"},
        },
        MINIO,
    )
    spec = r.one(CLUSTER).inputs["spec"]
    assert "initdb" not in spec["bootstrap"]
    recovery = spec["bootstrap"]["recovery"]
    assert recovery["recoveryTarget"] == {"targetTime": "2026-11-30T08:15:00Z"}
    # The owner's password comes from our Secret, as with initdb.
    assert (recovery["database"], recovery["owner"]) == ("llm_engine", "llm_engine")
    assert recovery["secret"] == {"name": "model-engine-postgres-owner"}
    (source,) = spec["externalClusters"]
    assert source["name"] == recovery["source"]
    store = source["barmanObjectStore"]
    assert store["destinationPath"] == "s3://ml-backups/postgres/"
    assert store["serverName"] == "model-engine-postgres"
    assert store["endpointURL"] == MINIO.endpoint_url
    assert store["s3Credentials"] == spec["backup"]["barmanObjectStore"]["s3Credentials"]
    # The restored Cluster archives to its own folder.
    assert spec["backup"]["barmanObjectStore"]["destinationPath"] == (
        "s3://ml-backups/postgres-restored/"
    )


def test_restore_without_a_target_time_replays_all_archived_wal() -> None:
    r, _ = run({"backups": {"path": "new"}, "restore": {"serverName": "old-pg"}}, MINIO)
    spec = r.one(CLUSTER).inputs["spec"]
    assert "recoveryTarget" not in spec["bootstrap"]["recovery"]
    assert spec["externalClusters"][0]["barmanObjectStore"]["serverName"] == "old-pg"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"restore": {}}, "restore reads the object store the backups block configures"),
        ({"backups": {}, "restore": {}}, "would archive its WAL over the backups"),
        (
            {"backups": {"path": "n"}, "restore": {"targetTime": "30/11/2026"}},
            "RFC 3339 with the offset",
        ),
    ],
)
def test_bad_restores_are_rejected_with_the_fix(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PostgresInstall.model_validate(settings)
