"""The `aws` block of the stack file: the genuine choices for the AWS platform.

Everything an AWS resource can tell us (account, registry host, endpoints, ARNs) is
derived, never typed here. Each block has safe defaults: encrypted, private, backed up,
highly available; an operator writes only what differs.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.aws import versions as eks_versions
from components.model_engine.chart_facts import (
    CACHER_LATEST_TAG_REPOSITORY,
)
from components.restore import optional_point_in_time
from components.settings_base import (
    Model,
    PullThroughUpstream,
    StringId,
    api_allowlist,
    checked,
    known_name,
    network_cidr,
    one_or_more_tags,
    ordered,
    postgres_identifier,
    validate_bucket_name,
)

# Regions of the aws, aws-us-gov and aws-cn partitions that offer EKS, as listed in the AWS
# General Reference ("Service endpoints", 2026-11). A region AWS opens later is added here.
AWS_REGIONS = (
    *("us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1"),
    *("mx-central-1", "sa-east-1", "af-south-1", "il-central-1", "me-south-1", "me-central-1"),
    *("eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1"),
    *("eu-south-2", "eu-north-1", "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2"),
    *("ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2"),
    *("ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7"),
    *("us-gov-west-1", "us-gov-east-1", "cn-north-1", "cn-northwest-1"),
)
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_IAM_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/.+$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:policy/.+$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")
_EKS_VERSION = re.compile(r"^1\.(\d+)$")
# Older minors are past EKS extended support: no cluster runs them any more.
_MIN_EKS_MINOR = int(min(eks_versions.CALENDAR).split(".")[1])
_ALL_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]


# The retention periods CloudWatch Logs accepts (PutRetentionPolicy, retentionInDays).
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
     2922, 3288, 3653}
)  # fmt: skip


def log_retention(v: int) -> int:
    if v not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{v} is not a CloudWatch Logs retention; use one of "
            f"{', '.join(str(d) for d in sorted(LOG_RETENTION_DAYS))}"
        )
    return v


class Vpc(Model):
    """A new VPC (cidr, natGateways) or an existing one (vpcId + privateSubnetIds)."""

    # New VPC: a private and a public subnet per availability zone.
    cidr: str | None = None
    availability_zones: int = Field(default=3, ge=2, le=4)
    # per-az survives the loss of an AZ; one is cheaper.
    nat_gateways: Literal["one", "per-az"] = "per-az"
    # Existing VPC: the private subnets (at least two AZs) that nodes, PostgreSQL and Redis use.
    vpc_id: str | None = None
    private_subnet_ids: list[str] = []

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str | None) -> str | None:
        if v is None:
            return v
        return network_cidr(
            v,
            "10.40.0.0/16",
            "; pods take VPC addresses (VPC CNI), so the private subnets need room",
        )

    @field_validator("vpc_id")
    @classmethod
    def _vpc_id(cls, v: str | None) -> str | None:
        if v is not None and not _VPC_ID.match(v):
            raise ValueError(f"{v!r} is not a VPC id such as vpc-0abc12345def67890")
        return v

    @field_validator("private_subnet_ids")
    @classmethod
    def _subnets(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if not _SUBNET_ID.match(s)]
        if bad:
            raise ValueError(f"not subnet ids: {', '.join(bad)}")
        if len(set(v)) != len(v):
            raise ValueError("subnet ids repeat")
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> Vpc:
        if self.vpc_id is None:
            if self.private_subnet_ids:
                raise ValueError(
                    "privateSubnetIds needs vpcId (an existing VPC); remove them to create a "
                    "new VPC"
                )
            return self
        if self.cidr is not None:
            raise ValueError(
                "set either cidr (a new VPC) or vpcId with privateSubnetIds (an existing one)"
            )
        if len(self.private_subnet_ids) < 2:
            raise ValueError(
                "vpcId needs privateSubnetIds: at least two private subnets in different "
                "availability zones (RDS and ElastiCache require two)"
            )
        return self

    @property
    def is_new(self) -> bool:
        return self.vpc_id is None

    @property
    def new_cidr(self) -> str:
        return self.cidr or "10.0.0.0/16"


class Cluster(Model):
    """A new EKS cluster, or an existing one by name (existingClusterName)."""

    # Default: model-engine-<environment>.
    name: str | None = None
    # A quoted string: YAML reads 1.30 as the number 1.3. Default: a version in EKS
    # standard support (components/aws/versions.py holds the calendar).
    version: StringId = eks_versions.DEFAULT_VERSION
    # EKS upgrade policy: STANDARD upgrades the cluster automatically when standard support
    # ends; EXTENDED keeps the version for 12 more months at the extended-support price.
    support_type: Literal["STANDARD", "EXTENDED"] = "STANDARD"
    # The API endpoint is always private; it is also public only from these CIDRs.
    public_access_cidrs: list[str] = []
    log_types: list[LogType] = ["api", "audit", "authenticator"]
    log_retention_days: int = 90
    # IAM roles or users that get cluster-admin (EKS access entries), besides the deployer.
    admin_principal_arns: list[str] = []
    # IAM roles or users that may read the cluster (AmazonEKSViewPolicy): CI's preview role,
    # whose `pulumi preview` reads the Kubernetes objects.
    viewer_principal_arns: list[str] = []
    existing_cluster_name: str | None = None

    @field_validator("name", "existing_cluster_name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}", v):
            raise ValueError(
                f"{v!r} is not an EKS cluster name (letters, digits, - and _, at most 100)"
            )
        return v

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        m = _EKS_VERSION.match(v)
        if not m:
            raise ValueError(f'{v!r} is not a Kubernetes minor version such as "1.33"')
        if int(m.group(1)) < _MIN_EKS_MINOR:
            raise ValueError(f"{v!r} is past EKS extended support; use 1.{_MIN_EKS_MINOR} or later")
        return v

    _retention = field_validator("log_retention_days")(log_retention)

    @field_validator("public_access_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        return api_allowlist(v, "a private-only endpoint")

    @field_validator("log_types")
    @classmethod
    def _logs(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("log types repeat")
        return sorted(v, key=_ALL_LOG_TYPES.index)

    @field_validator("admin_principal_arns", "viewer_principal_arns")
    @classmethod
    def _admins(cls, v: list[str]) -> list[str]:
        bad = [a for a in v if not _IAM_ARN.match(a)]
        if bad:
            raise ValueError(f"not IAM role or user ARNs: {', '.join(bad)}")
        if len(set(v)) != len(v):
            raise ValueError("a principal is listed twice")
        return v

    @model_validator(mode="after")
    def _admin_or_viewer(self) -> Cluster:
        # EKS has one access entry per principal: it cannot be both.
        both = sorted(set(self.admin_principal_arns) & set(self.viewer_principal_arns))
        if both:
            raise ValueError(
                f"{', '.join(both)} is in both adminPrincipalArns and viewerPrincipalArns; "
                "keep it in one"
            )
        return self

    @model_validator(mode="after")
    def _existing(self) -> Cluster:
        if self.existing_cluster_name and self.name:
            raise ValueError("set name (a new cluster) or existingClusterName, not both")
        if self.is_new:
            self._check_calendar()
        return self

    def _check_calendar(self) -> None:
        """A new cluster only on a version EKS still creates, at the price the stack chose."""
        release = eks_versions.CALENDAR.get(self.version)
        day = eks_versions.today()
        if release is None:
            known = ", ".join(v.minor for v in eks_versions.CALENDAR.values() if v.creatable(day))
            raise ValueError(
                f"version {self.version!r} is not in the EKS calendar of this program "
                f"(components/aws/versions.py); use one of {known}, or add the version "
                "there with its dates and add-on builds"
            )
        if not release.creatable(day):
            raise ValueError(
                f"version {self.version!r}: EKS stopped creating clusters on it "
                f"({release.end_of_extended_support} was the end of extended support); use "
                f"{eks_versions.DEFAULT_VERSION}"
            )
        if self.support_type == "STANDARD" and not release.in_standard_support(day):
            raise ValueError(
                f"version {self.version!r} left EKS standard support on "
                f"{release.end_of_standard_support}: a cluster on it is billed at the "
                f"extended-support price; use {eks_versions.DEFAULT_VERSION}, or set "
                "supportType: EXTENDED to accept that price"
            )

    @property
    def is_new(self) -> bool:
        return self.existing_cluster_name is None


def architecture(instance_type: str) -> str:
    """arm64 for Graviton families (m7g, c6gn, r8gd, t4g ...), x86_64 otherwise."""
    family = instance_type.split(".", 1)[0]
    m = re.fullmatch(r"[a-z]+\d+([a-z-]*)", family)
    return "arm64" if m and "g" in m.group(1) else "x86_64"


class NodeGroup(Model):
    instance_types: list[str] = Field(min_length=1)
    min_size: int = Field(default=1, ge=0)
    max_size: int = Field(default=3, ge=1)
    desired_size: int | None = None
    disk_size_gb: int = Field(default=100, ge=20)

    @field_validator("instance_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        bad = [t for t in v if not re.fullmatch(r"[a-z][a-z0-9-]*\.[a-z0-9]+", t)]
        if bad:
            raise ValueError(f"not EC2 instance types: {', '.join(bad)}")
        if len({architecture(t) for t in v}) > 1:
            raise ValueError(
                "mixes arm64 (Graviton) and x86_64 instance types; one node group runs one AMI"
            )
        return v

    @model_validator(mode="after")
    def _sizes(self) -> NodeGroup:
        ordered(self, "min_size", "max_size")
        if (
            self.desired_size is not None
            and not self.min_size <= self.desired_size <= self.max_size
        ):
            raise ValueError("desiredSize must lie between minSize and maxSize")
        return self

    @property
    def desired(self) -> int:
        return self.min_size if self.desired_size is None else self.desired_size


class NodeGroups(Model):
    # The control plane (gateway, cacher, builder), add-ons and Celery autoscaler; one node
    # per AZ at least.
    system: NodeGroup = NodeGroup(instance_types=["m6i.2xlarge"], min_size=3, max_size=6)
    # CPU endpoints, image builds and the `cpu` image cache (label cpu-only: "true"). The
    # image builder's kaniko pods request 90Gi of memory and 80G of ephemeral storage, so
    # the default is a 128 GiB type with a 200 GB disk.
    cpu: NodeGroup = NodeGroup(
        instance_types=["r6i.4xlarge"], min_size=1, max_size=10, disk_size_gb=200
    )


class DatabaseRestore(Model):
    """`aws.database.restore`: create the instance from a DB snapshot, or from another
    instance's automated backups at a point in time (components/restore.py: once, at
    creation). The restored instance keeps the source's master user: `user` must match."""

    # A DB snapshot (manual or automated) identifier or ARN.
    snapshot_identifier: str | None = None
    # Point in time: the source instance (identifier, or its DbiResourceId db-...) and either
    # restoreTime (RFC 3339) or useLatestRestorableTime.
    source_db_instance_identifier: str | None = None
    restore_time: str | None = None
    use_latest_restorable_time: bool = False

    _when = field_validator("restore_time")(optional_point_in_time)

    @model_validator(mode="after")
    def _one_source(self) -> DatabaseRestore:
        point = self.restore_time is not None or self.use_latest_restorable_time
        if bool(self.snapshot_identifier) == bool(self.source_db_instance_identifier):
            raise ValueError(
                "set exactly one of snapshotIdentifier (restore a snapshot) or "
                "sourceDbInstanceIdentifier (restore a point in time)"
            )
        if self.snapshot_identifier and point:
            raise ValueError(
                "restoreTime and useLatestRestorableTime go with sourceDbInstanceIdentifier, "
                "not with snapshotIdentifier (a snapshot is one point already)"
            )
        if self.source_db_instance_identifier and (
            (self.restore_time is None) == (not self.use_latest_restorable_time)
        ):
            raise ValueError(
                "a point-in-time restore takes exactly one of restoreTime (RFC 3339, e.g. "
                "2026-11-30T08:15:00Z) or useLatestRestorableTime: true"
            )
        return self

    @property
    def source_is_resource_id(self) -> bool:
        """RDS names the source by identifier or by DbiResourceId (db-ABC...)."""
        return bool(
            self.source_db_instance_identifier
            and re.fullmatch(r"db-[A-Z0-9]{26}", self.source_db_instance_identifier)
        )


class Database(Model):
    instance_class: str = "db.m6g.large"
    # PostgreSQL major (or major.minor) version, quoted: 14 or later.
    engine_version: StringId = "16"
    multi_az: bool = True
    # GiB; storage autoscaling may grow it up to maxAllocatedStorage.
    allocated_storage: int = Field(default=100, ge=20)
    max_allocated_storage: int = Field(default=500, ge=20)
    backup_retention_days: int = Field(default=7, ge=7, le=35)
    # None: follow the stack's `protect`.
    deletion_protection: bool | None = None
    name: str = "llm_engine"
    user: str = "llm_engine"
    # The chart reads credentials from a Secrets Manager JSON instead of a Kubernetes Secret.
    use_secrets_manager_route: bool = False
    # CloudWatch log groups of the exported PostgreSQL logs.
    log_retention_days: int = 30
    # Create the instance from a snapshot or a point in time instead of empty.
    restore: DatabaseRestore | None = None

    _retention = field_validator("log_retention_days")(log_retention)

    _class = field_validator("instance_class")(
        checked(
            lambda v: v.startswith("db."),
            "{value!r} is not an RDS instance class such as db.m6g.large",
        )
    )

    @field_validator("engine_version")
    @classmethod
    def _engine(cls, v: str) -> str:
        m = re.fullmatch(r"(\d+)(\.\d+)?", v)
        if not m:
            raise ValueError(f'{v!r} is not a PostgreSQL version such as "16" or "16.4"')
        if int(m.group(1)) < 14:
            raise ValueError(f"PostgreSQL {v} is too old: model-engine needs 14 or later")
        return v

    _ident = field_validator("name", "user")(postgres_identifier)

    @model_validator(mode="after")
    def _storage(self) -> Database:
        if self.max_allocated_storage < self.allocated_storage:
            raise ValueError("maxAllocatedStorage must not be below allocatedStorage")
        return self

    @property
    def major_version(self) -> str:
        return self.engine_version.split(".")[0]


class Redis(Model):
    node_type: str = "cache.r7g.large"
    engine_version: StringId = "7.1"
    # Read replicas besides the primary.
    replicas: int = Field(default=1, ge=0, le=5)
    # Automatic failover to a replica in another AZ; needs replicas >= 1.
    multi_az: bool = True
    snapshot_retention_days: int = Field(default=7, ge=1, le=35)
    # CloudWatch log groups of the slow log and the engine log.
    log_retention_days: int = 30

    _retention = field_validator("log_retention_days")(log_retention)

    _node_type = field_validator("node_type")(
        checked(
            lambda v: v.startswith("cache."),
            "{value!r} is not an ElastiCache node type such as cache.r7g.large",
        )
    )

    @field_validator("engine_version")
    @classmethod
    def _engine(cls, v: str) -> str:
        m = re.fullmatch(r"(\d+)\.(\d+)", v)
        if not m or int(m.group(1)) < 6:
            raise ValueError(f'{v!r}: use Redis 6.2 or later, e.g. "7.1"')
        return v

    @model_validator(mode="after")
    def _failover(self) -> Redis:
        if self.multi_az and self.replicas < 1:
            raise ValueError(
                "multiAz needs replicas >= 1 (a replica in another AZ to fail over to); set "
                "replicas: 1 or multiAz: false"
            )
        return self

    @property
    def family(self) -> str:
        """The parameter-group family: `redis6.x` for every 6.x, `redis7` for 7.x
        (ElastiCache User Guide, "Redis OSS parameter group families")."""
        major = self.engine_version.split(".")[0]
        return "redis6.x" if major == "6" else f"redis{major}"

    @property
    def accepts_transit_encryption_mode(self) -> bool:
        """TransitEncryptionMode exists from Redis OSS 7.0.5; "7.0" may name an older 7.0
        patch, so the mode is set from 7.1 on (earlier versions encrypt all traffic when
        transit encryption is on at creation)."""
        major, minor = (int(x) for x in self.engine_version.split("."))
        return (major, minor) >= (7, 1)


# Upstream registries an ECR pull-through cache rule can read (host -> what ECR calls its URL,
# whether it needs a Secrets Manager credential). Source: the ECR user guide, "Sync an upstream
# registry with an Amazon ECR private registry", and CreatePullThroughCacheRule.
PULL_THROUGH_UPSTREAMS: dict[str, tuple[str, bool]] = {
    "public.ecr.aws": ("public.ecr.aws", False),
    "registry.k8s.io": ("registry.k8s.io", False),
    "quay.io": ("quay.io", False),
    "docker.io": ("registry-1.docker.io", True),
    "registry-1.docker.io": ("registry-1.docker.io", True),
    "ghcr.io": ("ghcr.io", True),
    "registry.gitlab.com": ("registry.gitlab.com", True),
}
_ECR_PREFIX = r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"
_PTC_CREDENTIAL = r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:ecr-pullthroughcache/.+"


class Upstream(PullThroughUpstream):
    """Where the inference images come from: an ECR pull-through cache fills this stack's
    repositories from it on first pull (the url: public.ecr.aws/acme-ml or ghcr.io/acme)."""

    # Secrets Manager secret (name starting ecr-pullthroughcache/) for registries that need
    # one (Docker Hub, GHCR, GitLab); its user name and accessToken.
    credential_arn: str | None = None
    # ECR repository prefix the cache creates repositories under (2-30 characters).
    cache_prefix: str = "model-engine-upstream"
    # Chart repository key -> tag(s) to pull through the cache before the chart starts. The
    # cacher reads the newest tag of batch_inference_vllm_repository on start and crash-loops
    # while that repository is missing or empty, so it must be listed. The server checks a
    # framework image in ECR before it creates an endpoint (a cache fills only on pull), so
    # list every framework tag your endpoints use too.
    warm: dict[str, list[StringId]] = {}

    _tags = field_validator("warm", mode="before")(one_or_more_tags)

    @property
    def upstream_registry_url(self) -> str:
        azure = self.host.endswith(".azurecr.io")
        return self.host if azure else PULL_THROUGH_UPSTREAMS[self.host][0]

    @model_validator(mode="after")
    def _supported(self) -> Upstream:
        self.check_url("public.ecr.aws/acme")
        azure = self.host.endswith(".azurecr.io")
        if self.host not in PULL_THROUGH_UPSTREAMS and not azure:
            raise ValueError(
                f"url {self.url!r}: ECR pull-through caches read only from "
                f"{', '.join(sorted(PULL_THROUGH_UPSTREAMS))} and *.azurecr.io; copy the images "
                "from other registries yourself (the plan prints the commands) and set "
                "aws.registry.imagesPushed instead"
            )
        needs_credential = azure or PULL_THROUGH_UPSTREAMS[self.host][1]
        if needs_credential and not self.credential_arn:
            raise ValueError(
                f"credentialArn: {self.host} needs a Secrets Manager secret whose name starts "
                "with ecr-pullthroughcache/ (ECR reads the registry's user name and token from it)"
            )
        if self.credential_arn and not re.fullmatch(_PTC_CREDENTIAL, self.credential_arn):
            raise ValueError(
                f"credentialArn {self.credential_arn!r} must be a Secrets Manager secret ARN whose "
                "name starts with ecr-pullthroughcache/"
            )
        if not (2 <= len(self.cache_prefix) <= 30 and re.fullmatch(_ECR_PREFIX, self.cache_prefix)):
            raise ValueError(
                f"cachePrefix {self.cache_prefix!r} must be 2-30 characters of lower-case path "
                "segments"
            )
        self.check_warm(self.warm)
        if CACHER_LATEST_TAG_REPOSITORY not in self.warm:
            raise ValueError(
                f"warm.{CACHER_LATEST_TAG_REPOSITORY}: required, a tag that exists upstream: "
                "the model-engine cacher reads that repository's newest image when it starts and "
                "crash-loops while it is empty, so the install would time out"
            )
        return self


class Registry(Model):
    # Prefix for every repository name, e.g. "model-engine/" when several deployments share
    # an account and region; default: the chart's own paths (vllm, launch/inference, ...).
    path_prefix: str = ""
    untagged_expiry_days: int = Field(default=14, ge=1)
    build_cache_expiry_days: int = Field(default=30, ge=1)
    # Fill the framework repositories from this registry through an ECR pull-through cache.
    upstream: Upstream | None = None
    # Without an upstream: the operator has copied the images into this stack's repositories
    # (first `pulumi up` with chart.install: false, copy, then install).
    images_pushed: bool = False

    @field_validator("path_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if v and not re.fullmatch(r"[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*/", v):
            raise ValueError(f"{v!r} must be lower-case path segments ending in '/'")
        return v


class Storage(Model):
    # Default: a unique name derived from the component name.
    bucket_name: str | None = None
    # Celery results under tmp/celery/ expire after this many days.
    celery_results_expiry_days: int = Field(default=7, ge=1)
    # Overwritten and deleted object versions are kept this long.
    noncurrent_version_expiry_days: int = Field(default=30, ge=1)

    _bucket = field_validator("bucket_name")(validate_bucket_name)


class AwsSettings(Model):
    region: str
    vpc: Vpc = Vpc()
    cluster: Cluster = Cluster()
    node_groups: NodeGroups = NodeGroups()
    database: Database = Database()
    redis: Redis = Redis()
    registry: Registry = Registry()
    storage: Storage = Storage()
    # Tags on every AWS resource (provider default tags), besides the program's own.
    tags: dict[str, str] = {}
    # TLS at the internal gateway (off by default): an ACM certificate (public, or from ACM
    # Private CA for an internal domain) covering model-engine.<domain> and *.<domain>. The
    # gateway's NLB terminates TLS on 443 with it; set istio.hostPrefix: https:// with it.
    gateway_certificate_arn: str | None = None
    # The permissions boundary every IAM role of the program carries: CI's deploy role may
    # create roles only with it (bootstrap/ci_trust exports it as awsPermissionsBoundaryArn).
    permissions_boundary_arn: str | None = None

    @field_validator("permissions_boundary_arn")
    @classmethod
    def _boundary(cls, v: str | None) -> str | None:
        if v is not None and not _POLICY_ARN.match(v):
            raise ValueError(
                f"{v!r} is not an IAM policy ARN (arn:aws:iam::<account>:policy/<name>)"
            )
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        return known_name(v, AWS_REGIONS, "an AWS region", "us-west-2")

    @model_validator(mode="after")
    def _certificate_region(self) -> AwsSettings:
        arn = self.gateway_certificate_arn
        if arn is None:
            return self
        m = _ACM_ARN.match(arn)
        if not m:
            raise ValueError(
                f"gatewayCertificateArn {arn!r} is not an ACM certificate ARN such as "
                "arn:aws:acm:us-west-2:123456789012:certificate/<uuid>"
            )
        if m.group(1) != self.region:
            raise ValueError(
                f"gatewayCertificateArn is in {m.group(1)}, but a load balancer in "
                f"{self.region} can only use an ACM certificate from its own region"
            )
        return self

    @model_validator(mode="after")
    def _existing_cluster_network(self) -> AwsSettings:
        if not self.cluster.is_new and self.vpc.is_new:
            raise ValueError(
                "cluster.existingClusterName needs the cluster's network: set vpc.vpcId and "
                "vpc.privateSubnetIds (nodes, PostgreSQL and Redis go into those subnets)"
            )
        return self
