"""The `gcp` block of the stack file: the genuine choices for the GCP platform.

Everything a GCP resource can tell us (private IPs, the registry path, service-account
emails, the cluster endpoint) is derived, never typed here. Defaults are the safe choice:
private, encrypted, backed up, regional.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.restore import optional_point_in_time
from components.settings_base import (
    Model,
    StringId,
    api_allowlist,
    checked,
    known_name,
    ordered,
    postgres_identifier,
    validate_bucket_name,
)

# Compute Engine regions (cloud.google.com/compute/docs/regions-zones, 2026-11). GKE, Cloud
# SQL, Memorystore for Redis and Artifact Registry are offered in each; a region Google opens
# later is added here.
GCP_REGIONS = (
    *("us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2"),
    *("us-west3", "us-west4", "northamerica-northeast1", "northamerica-northeast2"),
    *("northamerica-south1", "southamerica-east1", "southamerica-west1", "europe-central2"),
    *("europe-north1", "europe-north2", "europe-southwest1", "europe-west1", "europe-west2"),
    *("europe-west3", "europe-west4", "europe-west6", "europe-west8", "europe-west9"),
    *("europe-west10", "europe-west12", "me-central1", "me-central2", "me-west1"),
    *("africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2"),
    *("asia-northeast3", "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2"),
    *("australia-southeast1", "australia-southeast2"),
)
# GCP project ids: 6-30 characters, lower-case letters, digits and hyphens, starting with a
# letter and not ending with a hyphen.
_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# A resource name (networks, subnetworks, repositories ...): RFC 1035 label.
_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
# Machine types: family-series-size (e2-standard-8, n2-highmem-16, c3-standard-22-lssd) or
# custom (n2-custom-8-32768).
_MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*-(standard|highmem|highcpu|custom|ultramem|megamem)")
_MACHINE_TAIL = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")
# GKE minor versions the release channels offer (GKE release notes, 2026-11: Regular 1.34-1.36,
# Stable 1.34-1.35, Extended 1.31-1.36).
_GKE_VERSION = re.compile(r"^1\.(\d+)$")
_MIN_GKE_MINOR = 31
# Cloud SQL for PostgreSQL major versions (POSTGRES_16 ... POSTGRES_18); the server needs 14+,
# the platform asks for 16 or later.
POSTGRES_VERSIONS = ("16", "17", "18")
# Memorystore for Redis versions (redis_version) that are not past end of support.
REDIS_VERSIONS = ("REDIS_7_2", "REDIS_7_0", "REDIS_6_X")
# A clone keeps the source's users and their passwords: the stack gives the user's.
RESTORE_PASSWORD_KEY = "gcpRestoreUserPassword"
KMS_KEY = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")


def validate_kms_key(value: str | None) -> str | None:
    if value is not None and not KMS_KEY.match(value):
        raise ValueError(
            f"{value!r} is not a Cloud KMS key name: projects/P/locations/L/keyRings/R/cryptoKeys/K"
        )
    return value


def _cidr(value: str, what: str, low: int, high: int) -> str:
    try:
        net = ipaddress.IPv4Network(value)
    except ValueError as e:
        raise ValueError(f"{what} {value!r} is not an IPv4 CIDR block such as 10.40.0.0/20") from e
    if not net.is_private:
        raise ValueError(f"{what} {value!r} must be a private (RFC 1918) range")
    if not low <= net.prefixlen <= high:
        raise ValueError(f"{what} {value!r}: use a /{low} to /{high} block")
    return value


def machine_type_problem(value: str) -> str | None:
    if "." in value or not (_MACHINE_TYPE.match(value) and _MACHINE_TAIL.match(value)):
        return (
            f"{value!r} is not a Compute Engine machine type such as e2-standard-8 or n2-highmem-16"
        )
    return None


class Network(Model):
    """A new VPC with one subnet (nodes) and secondary ranges (pods, services), or an existing
    network and subnet that already have the secondary ranges."""

    # New network: primary range of the nodes' subnet and the secondary ranges GKE uses.
    subnet_cidr: str = "10.40.0.0/20"
    pods_cidr: str = "10.64.0.0/14"
    services_cidr: str = "10.68.0.0/20"
    # Private services access: the range Google allocates Cloud SQL and Memorystore from.
    private_services_cidr: str = "10.70.0.0/16"
    # Existing network: names (in the stack's project) and the secondary range names.
    existing_network: str | None = None
    existing_subnetwork: str | None = None
    pods_range_name: str = "pods"
    services_range_name: str = "services"
    # Existing network only: private services access is already set up on it.
    private_services_access_exists: bool = False

    @field_validator("subnet_cidr")
    @classmethod
    def _subnet(cls, v: str) -> str:
        return _cidr(v, "subnetCidr", 16, 24)

    @field_validator("pods_cidr")
    @classmethod
    def _pods(cls, v: str) -> str:
        return _cidr(v, "podsCidr", 9, 18)

    @field_validator("services_cidr")
    @classmethod
    def _services(cls, v: str) -> str:
        return _cidr(v, "servicesCidr", 16, 24)

    @field_validator("private_services_cidr")
    @classmethod
    def _psa(cls, v: str) -> str:
        # Cloud SQL and Memorystore need at least a /24 each; Google recommends a /16.
        return _cidr(v, "privateServicesCidr", 16, 24)

    @field_validator(
        "existing_network", "existing_subnetwork", "pods_range_name", "services_range_name"
    )
    @classmethod
    def _names(cls, v: str | None) -> str | None:
        if v is not None and not _NAME.match(v):
            raise ValueError(f"{v!r} is not a GCP resource name (lower-case, digits, -)")
        return v

    @model_validator(mode="after")
    def _shape(self) -> Network:
        if bool(self.existing_network) != bool(self.existing_subnetwork):
            raise ValueError(
                "existingNetwork and existingSubnetwork go together (the subnet must carry the "
                "pods and services secondary ranges)"
            )
        if self.existing_network is None:
            nets = {
                "subnetCidr": self.subnet_cidr,
                "podsCidr": self.pods_cidr,
                "servicesCidr": self.services_cidr,
                "privateServicesCidr": self.private_services_cidr,
            }
            parsed = {k: ipaddress.IPv4Network(v) for k, v in nets.items()}
            keys = list(parsed)
            for i, a in enumerate(keys):
                for b in keys[i + 1 :]:
                    if parsed[a].overlaps(parsed[b]):
                        raise ValueError(f"{a} and {b} overlap; give each its own range")
        return self

    @property
    def is_new(self) -> bool:
        return self.existing_network is None


_DAYS = {"MO": "MONDAY", "TU": "TUESDAY", "WE": "WEDNESDAY", "TH": "THURSDAY"}
_DAYS |= {"FR": "FRIDAY", "SA": "SATURDAY", "SU": "SUNDAY"}
# GKE wants at least 48 hours of maintenance availability in any 32 days, in windows of at
# least 4 hours (Maintenance windows and exclusions).
MIN_WINDOW_HOURS = 4
MIN_HOURS_PER_32_DAYS = 48


class Maintenance(Model):
    """When Google may upgrade or patch: GKE (control plane and nodes), Memorystore and Cloud
    SQL share one weekly window, in UTC. GKE minor upgrades are held back altogether
    (cluster.version)."""

    # Two-letter days (MO ... SU); Memorystore and Cloud SQL use the first one.
    days: list[str] = ["SA", "SU"]
    start_hour_utc: int = Field(default=2, ge=0, le=23)
    hours: int = Field(default=6, ge=MIN_WINDOW_HOURS, le=24)

    def covers_hour(self, hour: int) -> bool:
        """Whether `hour` (UTC) falls inside the window on one of its days (the window may
        run past midnight)."""
        return hour in {(self.start_hour_utc + i) % 24 for i in range(self.hours)}

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[str]) -> list[str]:
        unknown = [d for d in v if d not in _DAYS]
        if not v or unknown or len(set(v)) != len(v):
            raise ValueError(
                f"maintenance days {v}: list distinct two-letter days from {', '.join(_DAYS)}"
            )
        return v

    @model_validator(mode="after")
    def _enough(self) -> Maintenance:
        per_32_days = self.hours * len(self.days) * 32 / 7
        if per_32_days < MIN_HOURS_PER_32_DAYS:
            raise ValueError(
                f"maintenance: {len(self.days)} day(s) x {self.hours} h gives GKE about "
                f"{per_32_days:.0f} h in 32 days; it requires {MIN_HOURS_PER_32_DAYS}. Add days "
                "or hours"
            )
        return self

    @property
    def first_day(self) -> str:
        """The first day's full name (MONDAY ...), as Memorystore spells it."""
        return _DAYS[self.days[0]]

    @property
    def first_day_number(self) -> int:
        """The first day as Cloud SQL numbers it: 1 (Monday) to 7 (Sunday)."""
        return list(_DAYS).index(self.days[0]) + 1


class Cluster(Model):
    """A GKE Standard cluster with private nodes and Workload Identity."""

    # Default: model-engine-<environment>.
    name: str | None = None
    # Set: a zonal cluster in this zone (cheaper, no control-plane HA); unset: regional.
    zone: str | None = None
    release_channel: Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"] = "REGULAR"
    # The Kubernetes minor version (quoted), e.g. "1.35": the cluster is created at it and
    # GKE's minor upgrades are excluded until its end of support, because the pinned add-ons
    # support only some minors (components/addons/versions.py KUBERNETES_MINORS). Required.
    version: StringId | None = None
    # /28 for the control plane's private endpoint.
    master_cidr: str = "172.16.0.0/28"
    # Networks that may reach the public endpoint; empty: private endpoint only.
    master_authorized_networks: list[str] = []
    # GPU pools' zones (GPUs are zonal); unset: the cluster's zones.
    gpu_zones: list[str] = []
    # Cloud KMS key that encrypts the cluster's Secrets (application-layer encryption), in
    # the cluster's region; unset: the program creates a key ring and key for it.
    secrets_kms_key: str | None = None

    _kms = field_validator("secrets_kms_key")(validate_kms_key)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and not (_NAME.match(v) and len(v) <= 40):
            raise ValueError(
                f"{v!r} is not a GKE cluster name (lower-case letters, digits and -, at most 40)"
            )
        return v

    @field_validator("version")
    @classmethod
    def _version(cls, v: str | None) -> str | None:
        if v is None:
            return v
        m = _GKE_VERSION.match(v)
        if not m:
            raise ValueError(f'{v!r} is not a Kubernetes minor version such as "1.34"')
        if int(m.group(1)) < _MIN_GKE_MINOR:
            raise ValueError(f"{v!r} is no longer offered by GKE; use 1.{_MIN_GKE_MINOR} or later")
        return v

    @field_validator("master_cidr")
    @classmethod
    def _master(cls, v: str) -> str:
        return _cidr(v, "masterCidr", 28, 28)

    @field_validator("master_authorized_networks")
    @classmethod
    def _authorized(cls, v: list[str]) -> list[str]:
        return api_allowlist(v, "a private-only endpoint")


class NodePool(Model):
    machine_type: str
    # Nodes in the whole pool (all zones).
    min_nodes: int = Field(default=1, ge=0)
    max_nodes: int = Field(default=3, ge=1)
    disk_size_gb: int = Field(default=100, ge=20)

    @field_validator("machine_type")
    @classmethod
    def _machine(cls, v: str) -> str:
        problem = machine_type_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _sizes(self) -> NodePool:
        return ordered(self, "min_nodes", "max_nodes")


class NodePools(Model):
    # Control plane, add-ons (label node-lifecycle: normal); one node per zone at least.
    system: NodePool = NodePool(machine_type="e2-standard-8", min_nodes=3, max_nodes=6)
    # CPU endpoints and the `cpu` image cache (label cpu-only: "true").
    cpu: NodePool = NodePool(
        machine_type="n2-highmem-16", min_nodes=0, max_nodes=10, disk_size_gb=200
    )


def _tier_problem(tier: str) -> str | None:
    """Cloud SQL machine tiers: db-custom-<vCPUs>-<MiB> (1 or an even count up to 96 vCPUs,
    0.9-6.5 GiB per vCPU in 256 MiB steps, at least 3840 MiB) or db-perf-optimized-N-<vCPUs>."""
    m = re.fullmatch(r"db-custom-(\d+)-(\d+)", tier)
    if m:
        cpus, mib = int(m.group(1)), int(m.group(2))
        if not (cpus == 1 or (cpus % 2 == 0 and 2 <= cpus <= 96)):
            return f"{tier!r}: vCPUs must be 1 or an even number from 2 to 96"
        if mib % 256 or mib < 3840 or not 0.9 * 1024 * cpus <= mib <= 6.5 * 1024 * cpus:
            return (
                f"{tier!r}: memory must be a multiple of 256 MiB, at least 3840, and 0.9 to 6.5 "
                "GiB per vCPU"
            )
        return None
    if re.fullmatch(r"db-perf-optimized-N-(2|4|8|16|32|48|64|80|96|128)", tier):
        return None
    return (
        f"{tier!r} is not a Cloud SQL tier for production: use db-custom-<vCPUs>-<MiB> (e.g. "
        "db-custom-4-16384) or db-perf-optimized-N-<vCPUs> (shared-core tiers have no SLA)"
    )


class DatabaseRestore(Model):
    """`gcp.database.restore`: create the instance as a clone of another Cloud SQL instance
    of the project, at a point in time of its write-ahead log (components/restore.py: once,
    at creation). The clone brings the source's databases and users: `name` and `user` must
    be the source's, and the config secret RESTORE_PASSWORD_KEY that user's password (the
    program then creates no user)."""

    # The source instance's name (same project).
    source_instance: str
    # RFC 3339 (2026-11-30T08:15:00Z), within the source's point-in-time recovery days; unset:
    # the source as it is now.
    point_in_time: str | None = None

    _when = field_validator("point_in_time")(optional_point_in_time)

    @field_validator("source_instance")
    @classmethod
    def _source(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,96}[a-z0-9]", v):
            raise ValueError(
                f"{v!r} is not a Cloud SQL instance name (lowercase letters, digits, hyphens); "
                "give the name alone, not project:name"
            )
        return v


class Database(Model):
    tier: str = "db-custom-4-16384"
    # PostgreSQL major version, quoted.
    version: StringId = "16"
    # REGIONAL: a standby in another zone with automatic failover.
    high_availability: bool = True
    disk_size_gb: int = Field(default=100, ge=10)
    # Daily backups kept, and days of write-ahead log for point-in-time recovery.
    retained_backups: int = Field(default=14, ge=7, le=365)
    point_in_time_recovery_days: int = Field(default=7, ge=1, le=7)
    # None: follow the stack's `protect`.
    deletion_protection: bool | None = None
    name: str = "llm_engine"
    user: str = "llm_engine"
    # Create the instance as a clone of another at a point in time instead of empty.
    restore: DatabaseRestore | None = None

    @field_validator("tier")
    @classmethod
    def _tier(cls, v: str) -> str:
        problem = _tier_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if v not in POSTGRES_VERSIONS:
            raise ValueError(
                f"PostgreSQL {v!r}: use one of {', '.join(POSTGRES_VERSIONS)} (Cloud SQL "
                "POSTGRES_<major>)"
            )
        return v

    _ident = field_validator("name", "user")(postgres_identifier)


class Redis(Model):
    # STANDARD_HA: a replica in another zone with automatic failover; BASIC: one node.
    tier: Literal["STANDARD_HA", "BASIC"] = "STANDARD_HA"
    memory_size_gb: int = Field(default=5, ge=1, le=300)
    version: str = "REDIS_7_2"

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if v not in REDIS_VERSIONS:
            raise ValueError(f"{v!r}: use one of {', '.join(REDIS_VERSIONS)}")
        return v


class Registry(Model):
    # Artifact Registry repository id: docker_repo_prefix is LOC-docker.pkg.dev/PROJECT/<id>.
    repository_id: str = "model-engine"
    # A remote repository that caches Docker Hub, which the add-ons pull through (Istio's
    # proxy on every new node), instead of pulling anonymously through Cloud NAT.
    docker_hub_mirror: bool = True
    # Untagged image versions are deleted after this many days.
    untagged_expiry_days: int = Field(default=14, ge=1)

    _id = field_validator("repository_id")(
        checked(
            _NAME.match,
            "{value!r} is not a repository id (lower-case letters, digits and -, at most 63)",
        )
    )


class Storage(Model):
    # Default: <project>-model-engine-<environment>.
    bucket_name: str | None = None
    # Celery results under tmp/celery/ are deleted after this many days.
    celery_results_expiry_days: int = Field(default=7, ge=1)
    # Overwritten and deleted object versions are kept this long.
    noncurrent_version_expiry_days: int = Field(default=30, ge=1)
    # Customer-managed encryption key (CMEK); unset: Google-managed encryption.
    kms_key_name: str | None = None

    _bucket = field_validator("bucket_name")(validate_bucket_name)

    _kms = field_validator("kms_key_name")(validate_kms_key)


class GcpSettings(Model):
    project: str
    region: str
    network: Network = Network()
    cluster: Cluster = Cluster()
    node_pools: NodePools = NodePools()
    database: Database = Database()
    redis: Redis = Redis()
    registry: Registry = Registry()
    storage: Storage = Storage()
    maintenance: Maintenance = Maintenance()
    # Labels on every labelled GCP resource, besides the program's own.
    labels: dict[str, str] = {}

    _project = field_validator("project")(
        checked(
            _PROJECT.match,
            "{value!r} is not a GCP project id (6-30 lower-case letters, digits and -, starting "
            "with a letter); use the id, not the project's display name or number",
        )
    )

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        return known_name(v, GCP_REGIONS, "a GCP region", "us-central1")

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if not re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", key) or not re.fullmatch(
                r"[a-z0-9_-]{0,63}", value
            ):
                raise ValueError(
                    f"label {key}: {value!r}: GCP labels are lower-case letters, digits, _ and -"
                )
        return v

    @model_validator(mode="after")
    def _zones(self) -> GcpSettings:
        zones = [self.cluster.zone] if self.cluster.zone else []
        for zone in [*zones, *self.cluster.gpu_zones]:
            if not re.fullmatch(rf"{re.escape(self.region)}-[a-z]", zone):
                raise ValueError(
                    f"zone {zone!r} is not in region {self.region} (e.g. {self.region}-a)"
                )
        if (
            self.cluster.zone
            and self.cluster.gpu_zones
            and set(self.cluster.gpu_zones) != {self.cluster.zone}
        ):
            raise ValueError(
                f"cluster.gpuZones: a zonal cluster has nodes only in {self.cluster.zone}"
            )
        key = self.cluster.secrets_kms_key
        if key and f"/locations/{self.region}/" not in key:
            raise ValueError(
                f"cluster.secretsKmsKey: GKE needs the key in the cluster's region {self.region}"
            )
        return self

    @property
    def location(self) -> str:
        """The cluster's location: its zone (zonal) or the region (regional)."""
        return self.cluster.zone or self.region
