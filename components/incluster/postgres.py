"""PostgreSQL in the cluster through the CloudNativePG operator (stack block
`existing.database.install`).

The operator chart (cloudnative-pg/charts) brings the CRDs, the admission webhooks and the
controller; this component then declares one `postgresql.cnpg.io/v1` Cluster: a primary and
`instances - 1` streaming replicas with automatic failover, each on its own PVC, the
model-engine database created by initdb and owned by a role whose generated password lives in
a `kubernetes.io/basic-auth` Secret. The server reaches the primary through the `<cluster>-rw`
Service the operator creates, over TLS (CNPG serves it by default with its own CA).

What is and is not protected ("nothing lost"):
- Data lives on PVCs (`storageSize`, `storageClass`); a pod restart or a node reboot keeps it.
  With one instance the PVC is the only copy: a lost disk (kind's local-path volumes are a
  directory on the node) loses the database unless backups are on.
- The Cluster is protected in Pulumi and kept on `pulumi destroy` (`protect: true`, the
  default, as for RDS in components/aws/database.py). The operator gives the PVCs an owner
  reference to the Cluster, so deleting the Cluster (protect: false, or deleting the data
  namespace, which the platform owns) deletes the PVCs and, with the usual `Delete`
  reclaim policy, the data.
- `backups`: continuous WAL archiving plus scheduled base backups to the platform's object
  store, kept for `retention`; these outlive the cluster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pulumi
from pydantic import field_validator, model_validator

from components import waits
from components.addons import versions
from components.incluster.common import child_opts, pinned_release, service_host
from components.isolation import psa
from components.restore import optional_point_in_time
from components.sdk import lazy
from components.settings_base import (
    Model,
    Quantity,
    checked,
    deep_merge,
    dns_label,
    kubernetes_quantity,
    storage_class_name,
)

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
    import pulumi_random as random
else:
    k8s = lazy("pulumi_kubernetes")
    random = lazy("pulumi_random")

# What the chart gets (components/model_engine/release.py builds the URL from these). Both go
# unescaped into the database URL, so letters, digits and `_` only (URL_SAFE_CREDENTIAL).
DATABASE = "llm_engine"
OWNER = "llm_engine"
PORT = 5432
# CNPG runs every instance with `ssl = on` and its own self-signed CA (pkg/postgres/
# configuration.go at v1.30.0, a fixed parameter). The server's pods have no copy of that CA,
# so `require` (encrypted, server not verified) is the strongest mode they can use; libpq
# and, after the server's `sslmode` -> `ssl` rewrite, asyncpg both accept it.
SSL_MODE = "require"

# The Cluster's name: CNPG derives its Services (`-rw`, `-ro`, `-r`), PVCs and pods from it.
CLUSTER_NAME = "model-engine-postgres"
OWNER_SECRET = f"{CLUSTER_NAME}-owner"
BACKUP_SECRET = f"{CLUSTER_NAME}-backup-store"
OPERATOR_CHART = "cloudnative-pg"
OPERATOR_RELEASE = "cnpg"
IMAGE = versions.IMAGES["postgresql"]

API_VERSION = "postgresql.cnpg.io/v1"
# pulumi-kubernetes awaits a custom resource only when told how (provider/pkg/metadata/
# overrides.go ReadyCondition: without `pulumi.com/waitFor` a CR is ready at once). CNPG sets
# the condition `Ready` to True once the primary and every replica run (api/v1/
# cluster_types.go ConditionClusterReady); the chart's migration hook needs exactly that.
WAIT_FOR_READY = "condition=Ready"
# The provider's default wait is 10 minutes (provider/pkg/await/await.go); a fresh node pulls
# the PostgreSQL image and each replica clones the primary: worst case in components/waits.py.
READY_TIMEOUT_SECONDS = waits.POSTGRES_READY_TIMEOUT_S

# robfig/cron v1.2.0, which CNPG's ScheduledBackup uses (`cron.Parse`), reads six fields with
# seconds first and also accepts five, read as seconds..month: a crontab-style `0 3 * * *`
# would then run every hour. Only six fields (or a descriptor such as @daily) are accepted.
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?,/-]+$")
_CRON_DESCRIPTOR = re.compile(
    r"^@(yearly|annually|monthly|weekly|daily|midnight|hourly|every \d+(\.\d+)?(ns|us|ms|s|m|h)"
    r"([\d.]+(ns|us|ms|s|m|h))*)$"
)
# The Cluster CRD's pattern for spec.backup.retentionPolicy.
_RETENTION = re.compile(r"^[1-9][0-9]*[dwm]$")
_PREFIX = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


def host(namespace: str) -> str:
    """The read-write Service CNPG creates for the Cluster: always the current primary."""
    return service_host(f"{CLUSTER_NAME}-rw", namespace)


class PostgresBackups(Model):
    """Continuous WAL archiving and scheduled base backups to the platform's object store."""

    # Six cron fields, seconds first (CNPG's ScheduledBackup): 03:00:00 every day.
    schedule: str = "0 0 3 * * *"
    # How long base backups and the WAL they need are kept: <n>d, <n>w or <n>m.
    retention: str = "30d"
    # Folder under the bucket; barman writes <path>/<cluster name>/{base,wals}.
    path: str = "postgres"

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        fields = v.split()
        if _CRON_DESCRIPTOR.match(v.strip()):
            return v.strip()
        if len(fields) != 6 or not all(_CRON_FIELD.match(f) for f in fields):
            raise ValueError(
                f"{v!r} is not a CloudNativePG schedule: it takes six cron fields with seconds "
                "first (second minute hour day-of-month month day-of-week), e.g. "
                "'0 0 3 * * *' for 03:00 daily; a five-field crontab line would be read as "
                "seconds..month and run at the wrong times"
            )
        return " ".join(fields)

    _retention = field_validator("retention")(
        checked(
            _RETENTION.match,
            "{value!r} is not a retention: write a number and d, w or m (days, weeks, months), "
            "e.g. 30d",
        )
    )

    _path = field_validator("path")(
        checked(
            _PREFIX.match,
            "{value!r} must be a folder inside the bucket, e.g. postgres or backups/postgres "
            "(no leading or trailing slash, no scheme)",
        )
    )


class PostgresRestore(Model):
    """`existing.database.install.restore`: bootstrap the Cluster by recovery from the base
    backups and archived WAL another Cluster wrote to the platform's object store
    (components/restore.py: once, at creation). The model-engine database and owner come
    from the backup; CNPG sets the owner's password from the stack's Secret."""

    # The folder the source archived to (its backups.path) and its Cluster name (barman's
    # serverName: <path>/<serverName>/{base,wals}).
    path: str = "postgres"
    server_name: str = CLUSTER_NAME
    # RFC 3339 (2026-11-30T08:15:00Z); unset: replay to the end of the archived WAL.
    target_time: str | None = None

    _when = field_validator("target_time")(optional_point_in_time)

    _path = field_validator("path")(
        checked(_PREFIX.match, "{value!r} is not a folder such as postgres or backups/postgres")
    )

    _server = field_validator("server_name")(dns_label)


class PostgresResources(Model):
    """Requests and limits of each PostgreSQL pod. CNPG recommends memory request = limit
    so that the OOM killer does not pick PostgreSQL first. Without any, the pod is
    BestEffort: scheduled onto a full node and evicted first under memory pressure.
    The defaults carry the server's pools (CNPG's 128MB shared_buffers plus a few dozen
    connections) on a small cluster; a setting replaces its whole map."""

    requests: dict[Literal["cpu", "memory"], Quantity] = {"cpu": "250m", "memory": "1Gi"}
    limits: dict[Literal["cpu", "memory"], Quantity] = {"cpu": "1", "memory": "1Gi"}


class PostgresInstall(Model):
    """`existing.database.install`: PostgreSQL run in the cluster by CloudNativePG."""

    # 1 = a single primary; more = streaming replicas with automatic failover. At most the
    # number the Cluster's Ready wait is budgeted for (components/waits.py).
    instances: int = 1
    storage_size: Quantity = "10Gi"
    # Unset: the cluster's default StorageClass.
    storage_class: str | None = None
    # A separate volume for WAL (CNPG's walStorage); unset: WAL shares the data volume.
    wal_storage_size: Quantity | None = None
    resources: PostgresResources = PostgresResources()
    # postgresql.conf parameters (CNPG rejects the ones it manages itself).
    parameters: dict[str, str] = {}
    # Replicas on other nodes: `preferred` schedules anyway on a one-node cluster (kind);
    # `required` leaves a replica pending rather than share a node with the primary.
    pod_anti_affinity: Literal["preferred", "required"] = "preferred"
    node_selector: dict[str, str] = {}
    # Override the pinned PostgreSQL image (e.g. a mirror for an air-gapped cluster); keep
    # the major version: CNPG does not upgrade a major version in place by image change alone.
    image: str | None = None
    backups: PostgresBackups | None = None
    # Create the Cluster from another's backups in the object store instead of empty.
    restore: PostgresRestore | None = None
    # Kept out of `pulumi destroy` and protected from replacement; false to tear down.
    protect: bool = True
    # false when the cluster already runs CloudNativePG (its webhooks and CRDs are
    # cluster-wide: a second operator would fight the first).
    install_operator: bool = True
    operator_namespace: str = "cnpg-system"
    # Extra values for the operator chart (e.g. image.repository for a mirror). The chart
    # version is the pin: the Cluster spec here is checked against that version's CRDs.
    operator_values: dict[str, Any] = {}

    @field_validator("instances")
    @classmethod
    def _instances(cls, v: int) -> int:
        if v < 1:
            raise ValueError(
                f"instances is {v}: set 1 for a single primary, or more for a primary with "
                "streaming replicas (3 tolerates the loss of one node)"
            )
        if v > waits.POSTGRES_MAX_INSTANCES:
            raise ValueError(
                f"instances is {v}: the Cluster's Ready wait is budgeted for at most "
                f"{waits.POSTGRES_MAX_INSTANCES} (components/waits.py); set 3 or fewer"
            )
        return v

    _size = field_validator("storage_size", "wal_storage_size")(kubernetes_quantity)

    _class = field_validator("storage_class")(storage_class_name)

    _operator_namespace = field_validator("operator_namespace")(dns_label)

    @model_validator(mode="after")
    def _restore_needs_a_new_archive(self) -> PostgresInstall:
        r = self.restore
        if r is None:
            return self
        if self.backups is None:
            raise ValueError(
                "restore reads the object store the backups block configures; add "
                "backups (with a path other than restore.path) to restore"
            )
        if (r.path.strip("/"), r.server_name) == (self.backups.path.strip("/"), CLUSTER_NAME):
            raise ValueError(
                f"restore.path and backups.path are both {r.path!r}: the restored Cluster "
                "would archive its WAL over the backups it restores from (CloudNativePG "
                "refuses a non-empty archive); set backups.path to a new folder, e.g. "
                f"{r.path}-restored"
            )
        return self


@dataclass(frozen=True)
class BackupStore:
    """The object store the platform passes when backups are on."""

    bucket: str
    region: str
    access_key_id: pulumi.Input[str]
    secret_access_key: pulumi.Input[str]
    # An S3-compatible endpoint (MinIO, Ceph ...); None = AWS S3.
    endpoint_url: str | None = None


@dataclass
class PostgresArgs:
    settings: PostgresInstall
    # The data namespace: created by the platform, not here.
    namespace: str
    provider: k8s.Provider
    backup_store: BackupStore | None = None
    depends_on: Sequence[pulumi.Resource] = ()


def operator_values(settings: PostgresInstall) -> dict[str, Any]:
    """The operator chart's values: CRDs managed by the release (upgraded with it), watching
    every namespace, no Grafana dashboard (its subchart needs a Grafana sidecar)."""
    values: dict[str, Any] = {
        "crds": {"create": True},
        "config": {"clusterWide": True},
        "monitoring": {"grafanaDashboard": {"create": False}},
    }
    return deep_merge(values, settings.operator_values)


def backup_spec(settings: PostgresBackups, store: BackupStore) -> dict[str, Any]:
    """spec.backup of the Cluster.

    Why the operator's in-tree `barmanObjectStore` and not the Barman Cloud Plugin: the
    plugin is what the CNPG docs recommend from 1.26 on, but it needs cert-manager (its
    gRPC channel to the operator uses cert-manager certificates), which neither this program
    nor a bare kind/on-prem cluster has. At the pinned operator 1.30.x the in-tree method is
    deprecated yet fully supported; the 1.30.0 release notes move its removal to 1.31.0, and
    tests/incluster/test_postgres.py fails when the pin reaches 1.31, so the switch to the
    plugin is made together with that upgrade.
    """
    ref = {"name": BACKUP_SECRET}
    store_spec: dict[str, Any] = {
        "destinationPath": f"s3://{store.bucket}/{settings.path}/",
        "s3Credentials": {
            "accessKeyId": {**ref, "key": "ACCESS_KEY_ID"},
            "secretAccessKey": {**ref, "key": "ACCESS_SECRET_KEY"},
            "region": {**ref, "key": "REGION"},
        },
        "wal": {"compression": "gzip"},
        "data": {"compression": "gzip"},
    }
    if store.endpoint_url:
        # barman-cloud (boto3) talks to the S3-compatible endpoint instead of AWS.
        store_spec["endpointURL"] = store.endpoint_url
    return {"retentionPolicy": settings.retention, "barmanObjectStore": store_spec}


def cluster_spec(settings: PostgresInstall, store: BackupStore | None) -> dict[str, Any]:
    """spec of the Cluster: initdb with the model-engine database and owner, storage,
    scheduling and (when on) backups. PodDisruptionBudgets stay CNPG's (enablePDB default)."""
    storage: dict[str, Any] = {"size": settings.storage_size}
    if settings.storage_class:
        storage["storageClass"] = settings.storage_class
    spec: dict[str, Any] = {
        "instances": settings.instances,
        "imageName": settings.image or IMAGE,
        # A primary's restart for a configuration change or an image update switches over to
        # an up-to-date replica first when there is one.
        "primaryUpdateStrategy": "unsupervised",
        "primaryUpdateMethod": "switchover" if settings.instances > 1 else "restart",
        **bootstrap_spec(settings, store),
        "storage": storage,
        "postgresql": {
            # CNPG's default rule is `host all all all scram-sha-256`, i.e. plain TCP too;
            # refusing it first makes every client use TLS (the operator and replicas connect
            # over the socket or with certificates, above the user rules).
            "pg_hba": ["hostnossl all all all reject"],
            **({"parameters": dict(settings.parameters)} if settings.parameters else {}),
        },
        "affinity": {
            "enablePodAntiAffinity": True,
            "podAntiAffinityType": settings.pod_anti_affinity,
            "topologyKey": "kubernetes.io/hostname",
            **({"nodeSelector": dict(settings.node_selector)} if settings.node_selector else {}),
        },
    }
    if settings.wal_storage_size:
        wal: dict[str, Any] = {"size": settings.wal_storage_size}
        if settings.storage_class:
            wal["storageClass"] = settings.storage_class
        spec["walStorage"] = wal
    resources = settings.resources
    if resources.requests or resources.limits:
        spec["resources"] = {
            k: dict(v)
            for k, v in (("requests", resources.requests), ("limits", resources.limits))
            if v
        }
    if settings.backups and store:
        spec["backup"] = backup_spec(settings.backups, store)
        if store.endpoint_url:
            # boto3's newer default checksums are refused by many S3-compatible stores
            # (docs/src/appendixes/object_stores.md at v1.30.0, the `x-amz-content-sha256`
            # note); ask for them only where the API requires them.
            spec["env"] = [
                {"name": "AWS_REQUEST_CHECKSUM_CALCULATION", "value": "when_required"},
                {"name": "AWS_RESPONSE_CHECKSUM_VALIDATION", "value": "when_required"},
            ]
    return spec


RESTORE_SOURCE = "origin"


def bootstrap_spec(settings: PostgresInstall, store: BackupStore | None) -> dict[str, Any]:
    """spec.bootstrap (and spec.externalClusters for a recovery): initdb with the
    model-engine database and owner, or recovery from the source's backups."""
    owner = {"database": DATABASE, "owner": OWNER, "secret": {"name": OWNER_SECRET}}
    r = settings.restore
    if r is None or store is None:
        return {"bootstrap": {"initdb": owner}}
    recovery: dict[str, Any] = {"source": RESTORE_SOURCE, **owner}
    if r.target_time:
        recovery["recoveryTarget"] = {"targetTime": r.target_time}
    source = backup_spec(PostgresBackups(path=r.path), store)["barmanObjectStore"]
    return {
        "bootstrap": {"recovery": recovery},
        "externalClusters": [
            {
                "name": RESTORE_SOURCE,
                "barmanObjectStore": {**source, "serverName": r.server_name},
            }
        ],
    }


def scheduled_backup_spec(settings: PostgresBackups) -> dict[str, Any]:
    return {
        "cluster": {"name": CLUSTER_NAME},
        "schedule": settings.schedule,
        "method": "barmanObjectStore",
        # A base backup right away: archived WAL is useless until one exists.
        "immediate": True,
        # The Backup objects belong to the ScheduledBackup (deleted with it); the files in the
        # object store are removed only by the retention policy.
        "backupOwnerReference": "self",
    }


def _kept(protect: bool) -> pulumi.ResourceOptions:
    """Stateful resources: protected, and left in the cluster by `pulumi destroy`, unless the
    operator opts out with `protect: false` (as components/aws/common.py `stateful`)."""
    return pulumi.ResourceOptions(protect=protect, retain_on_delete=protect)


def _secret(
    name: str, namespace: str, type_: str, data: Mapping[str, pulumi.Input[str]]
) -> k8s.core.v1.SecretInitArgs:
    return k8s.core.v1.SecretInitArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
        type=type_,
        string_data=dict(data),
    )


class Postgres(pulumi.ComponentResource):
    operator: k8s.helm.v3.Release | None = None
    cluster: k8s.apiextensions.CustomResource
    scheduled_backup: k8s.apiextensions.CustomResource | None = None
    password: pulumi.Output[str]
    host: str
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:incluster:Postgres", name, None, opts)
        cfg = args.settings
        if cfg.backups and args.backup_store is None:
            raise ValueError(
                "existing.database.install.backups is set but the platform passed no object "
                "store to write them to"
            )
        store = args.backup_store if cfg.backups else None
        self.host = host(args.namespace)
        cluster_deps: list[pulumi.Resource] = list(args.depends_on)
        if cfg.install_operator:
            self.operator = self._operator(name, args)
            # CRDs and the admission webhooks exist once Helm reports the release ready.
            cluster_deps.append(self.operator)
        # initdb sets the owner's password from the Secret once; a new password later would
        # no longer match the database, so both are kept exactly like the Cluster.
        generated = random.RandomPassword(
            f"{name}-password",
            length=32,
            special=False,
            opts=pulumi.ResourceOptions(parent=self, protect=cfg.protect),
        )
        self.password = pulumi.Output.secret(generated.result)
        owner_secret = k8s.core.v1.Secret(
            f"{name}-owner",
            _secret(
                OWNER_SECRET,
                args.namespace,
                "kubernetes.io/basic-auth",
                {"username": OWNER, "password": self.password},
            ),
            opts=pulumi.ResourceOptions.merge(
                child_opts(self, args.provider, args.depends_on), _kept(cfg.protect)
            ),
        )
        cluster_deps.append(owner_secret)
        if store:
            cluster_deps.append(self._backup_secret(name, args, store))
        self.cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version=API_VERSION,
            kind="Cluster",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=CLUSTER_NAME,
                namespace=args.namespace,
                annotations={
                    "pulumi.com/waitFor": WAIT_FOR_READY,
                    "pulumi.com/timeoutSeconds": str(READY_TIMEOUT_SECONDS),
                },
            ),
            spec=cluster_spec(cfg, store),
            opts=pulumi.ResourceOptions.merge(
                child_opts(self, args.provider, cluster_deps), _kept(cfg.protect)
            ),
        )
        if cfg.backups and store:
            self.scheduled_backup = k8s.apiextensions.CustomResource(
                f"{name}-scheduled-backup",
                api_version=API_VERSION,
                kind="ScheduledBackup",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"{CLUSTER_NAME}-daily", namespace=args.namespace
                ),
                spec=scheduled_backup_spec(cfg.backups),
                opts=child_opts(self, args.provider, [self.cluster]),
            )
        self.ready = [self.cluster]
        self.register_outputs({"host": self.host, "password": self.password})

    def _operator(self, name: str, args: PostgresArgs) -> k8s.helm.v3.Release:
        cfg = args.settings
        # The operator needs nothing of the data namespace: it installs meanwhile.
        namespace = k8s.core.v1.Namespace(
            f"{name}-operator-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=cfg.operator_namespace, labels=psa.labels("baseline", "restricted")
            ),
            opts=child_opts(self, args.provider),
        )
        return pinned_release(
            f"{name}-operator",
            OPERATOR_CHART,
            release_name=OPERATOR_RELEASE,
            namespace=namespace.metadata.name,
            values=operator_values(cfg),
            opts=child_opts(self, args.provider, [namespace]),
        )

    def _backup_secret(
        self, name: str, args: PostgresArgs, store: BackupStore
    ) -> k8s.core.v1.Secret:
        """The object store's keys, in a Secret of this component (the Cluster names it)."""
        return k8s.core.v1.Secret(
            f"{name}-backup-store",
            _secret(
                BACKUP_SECRET,
                args.namespace,
                "Opaque",
                {
                    "ACCESS_KEY_ID": pulumi.Output.secret(store.access_key_id),
                    "ACCESS_SECRET_KEY": pulumi.Output.secret(store.secret_access_key),
                    "REGION": store.region,
                },
            ),
            opts=child_opts(self, args.provider, args.depends_on),
        )
