"""The aws package's facts.py (the role: components/platform.py): its stack checks, GPU pools,
physical names, and the facts from the account, region and IRSA roles."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components import contract, waits
from components.aws import PLATFORM
from components.aws import settings as aws_settings
from components.aws.common import base_name, lift, trim_name
from components.aws.identity import INFERENCE_SERVICE_ACCOUNT, queue_policy_template
from components.aws.registry import registry_prefix, repository_names
from components.aws.storage import (
    fine_tune_repository,
    fine_tuned_weights_prefix,
)
from components.contract import (
    DEFERRED_MARKER,
    Broker,
    GpuNodePool,
    Identities,
    ObjectStorage,
    PlatformFacts,
)
from components.model_engine.chart_facts import CACHER_LATEST_TAG_REPOSITORY, IRSA_ROLE_ANNOTATION
from components.settings import PoolCapacity, StackSettings
from components.settings_base import PROJECT, SettingsError, pool_key

BROKER = "sqs"
ROLE_ANNOTATION = IRSA_ROLE_ANNOTATION
# Tags the server puts on each endpoint queue.
QUEUE_TAGS = {
    "Spellbook-Serve-Endpoint-Id": "${endpoint_id}",
    "Spellbook-Serve-Endpoint-Name": "${endpoint_name}",
    "Spellbook-Serve-Endpoint-Created-By": "${endpoint_created_by}",
}


def _cfg(settings: StackSettings) -> aws_settings.AwsSettings:
    return PLATFORM.block(settings)


@dataclass(frozen=True)
class Names:
    """Physical names, derived from the environment (or the operator's explicit choice)."""

    cluster: str
    database: str
    redis: str
    database_secret: str
    cache_url_secret: str
    keda_secret: str

    @classmethod
    def of(cls, settings: StackSettings) -> Names:
        cfg = _cfg(settings)
        base = base_name(settings.environment)
        return cls(
            cluster=cfg.cluster.existing_cluster_name or cfg.cluster.name or base,
            database=trim_name(base, 63),
            redis=trim_name(base, 40),
            database_secret=f"{base}/database",
            cache_url_secret=f"{base}/redis-cache-url",
            keda_secret=f"{base}/redis-keda",
        )


# ---------------------------------------------------------------------------------------
# What the stack file alone decides


# In-tree AWS load balancer annotations for TLS termination at the NLB (ACM certificate).
SSL_CERT_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"
SSL_PORTS_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-ports"


def gateway_tls_annotations(settings: StackSettings) -> dict[str, str]:
    arn = _cfg(settings).gateway_certificate_arn
    if arn is None:
        return {}
    return {SSL_CERT_ANNOTATION: arn, SSL_PORTS_ANNOTATION: "443"}


def check(settings: StackSettings) -> None:
    """GPU pools as EKS can create them (their node types and capacity types: the
    interface's Platform.pool_problems); TLS at the gateway and the chart's host prefix
    agree."""
    problems: list[str] = []
    tls = _cfg(settings).gateway_certificate_arn is not None
    prefix = settings.istio.host_prefix
    if tls and prefix != "https://":
        problems.append(
            f"{PROJECT}:istio.hostPrefix: aws.gatewayCertificateArn terminates TLS at the "
            f"gateway, so the gateway URLs it exports must be https:// (is {prefix})"
        )
    for i, pool in enumerate(settings.gpu.pools):
        key = pool_key(i)
        if pool.max_size < 1:
            problems.append(
                f"{key}.maxSize: an EKS managed node group needs maxSize of at least 1; set "
                "maxSize: 1 or more (minSize: 0 already lets the pool idle at zero nodes), or "
                "remove the pool"
            )
        problems += capacity_problems(
            pool.zones,
            pool.capacity,
            key,
            _cfg(settings).region,
            _cfg(settings).vpc.private_subnet_ids,
        )
    registry = _cfg(settings).registry
    if registry.upstream is not None:
        problems += waits.warm_up_disk_problems(
            [key for key, tags in registry.upstream.warm.items() for _ in tags],
            _cfg(settings).node_groups.cpu.disk_size_gb,
            f"{PROJECT}:aws.nodeGroups.cpu.diskSizeGb",
        )
    if settings.chart.install and registry.upstream is None and not registry.images_pushed:
        problems.append(
            f"{PROJECT}:aws.registry.upstream: the model-engine cacher reads the newest image of "
            f"{repository_names(registry)[CACHER_LATEST_TAG_REPOSITORY]} when it starts and "
            "crash-loops while that repository is empty, so the install would time out. Name the "
            "registry your inference images come from (aws.registry.upstream, filled through an "
            "ECR pull-through cache), or create the repositories first (chart.install: false), "
            "copy the images (`python -m plan` prints the commands), then set "
            "aws.registry.imagesPushed: true and chart.install: true"
        )
    if problems:
        raise SettingsError(problems)


def capacity_problems(
    zones: Sequence[str],
    capacity: PoolCapacity,
    key: str,
    region: str,
    existing_subnets: Sequence[str],
) -> list[str]:
    """A GPU pool's capacity and zones as EKS can honour them: the reservation id shapes
    ODCRs and Capacity Blocks share, zones that are this region's, subnets that are the
    cluster's (which capacity types AWS has: the catalog's held_capacity)."""
    problems: list[str] = []
    if capacity.reservation is not None and not re.fullmatch(
        r"cr-[0-9a-f]{17}", capacity.reservation
    ):
        problems.append(
            f"{key}.capacity.reservation: {capacity.reservation!r} is not a capacity "
            "reservation id (cr- and 17 hex digits: `aws ec2 describe-capacity-reservations`)"
        )
    subnets = [z for z in zones if z.startswith("subnet-")]
    if subnets and len(subnets) != len(zones):
        problems.append(f"{key}.zones: list either availability zones or subnet ids, not both")
    elif subnets:
        foreign = [s for s in subnets if s not in existing_subnets]
        if foreign:
            problems.append(
                f"{key}.zones: {', '.join(foreign)} are not among aws.vpc.privateSubnetIds; "
                "a GPU group launches in the cluster's private subnets (on a new VPC, name "
                "availability zones instead)"
            )
    else:
        alien = [z for z in zones if not re.fullmatch(rf"{re.escape(region)}[a-z]", z)]
        if alien:
            problems.append(
                f"{key}.zones: {', '.join(alien)} are not availability zones of {region} "
                f"(e.g. {region}a)"
            )
        if zones and existing_subnets:
            problems.append(
                f"{key}.zones: with an existing VPC, name the pool's subnets (ids from "
                "aws.vpc.privateSubnetIds) rather than zones"
            )
    # Capacity Blocks and On-Demand Capacity Reservations are both bound to one availability
    # zone (EC2 user guide: "Capacity Reservations"); a group spanning others launches there
    # without the reservation, on capacity the account may not get.
    if capacity.type in ("capacity-block", "reservation") and not zones:
        what = "a Capacity Block" if capacity.type == "capacity-block" else "a Capacity Reservation"
        problems.append(
            f"{key}.zones: {what} lives in one availability zone; name it (or its "
            "subnet) so the group launches only there"
        )
    return problems


def gpu_pools(settings: StackSettings) -> list[GpuNodePool]:
    """One managed node group per gpu.pools entry; GPUs per node follow the instance type."""
    return contract.cloud_gpu_pools(settings, PLATFORM.cloud)


def kubernetes_version(settings: StackSettings) -> str:
    """The cluster's minor version: the one a new cluster is created with, or the one the
    stack states for an existing cluster (aws.cluster.version)."""
    return _cfg(settings).cluster.version


# ---------------------------------------------------------------------------------------
# Facts: the same functions build them from placeholders (preview) and Outputs (deploy)


def queue_tag_template() -> str:
    return json.dumps(QUEUE_TAGS)


@dataclass(frozen=True)
class FactSources:
    """Where each fact comes from: plain placeholders before deploy, Outputs during it."""

    cluster_name: pulumi.Input[str]
    region: pulumi.Input[str]
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    dns_suffix: pulumi.Input[str]
    repositories: Mapping[str, pulumi.Input[str]]
    database_host: pulumi.Input[str]
    database_port: pulumi.Input[int]
    database_secret_name: pulumi.Input[str] | None
    cache_host: pulumi.Input[str]
    cache_url_secret_name: pulumi.Input[str]
    keda_secret_name: pulumi.Input[str]
    bucket: pulumi.Input[str]
    role_arn: pulumi.Input[str]
    inference_role_arn: pulumi.Input[str]
    image_builder_role_arn: pulumi.Input[str]
    # The master user and database as the instance has them: a restored instance keeps its
    # source's (None: the stack's settings, which a new instance is created with).
    database_user: pulumi.Input[str] | None = None
    database_name: pulumi.Input[str] | None = None


def warmed_tags(settings: StackSettings) -> dict[str, tuple[str, ...]]:
    """The tags the warm-up Job pulls through the cache before the chart installs."""
    upstream = _cfg(settings).registry.upstream
    return {} if upstream is None else {k: tuple(v) for k, v in upstream.warm.items()}


# The stack key listing them, for the errors that ask for a tag.
WARMED_TAGS_KEY = "aws.registry.upstream.warm"


def build_facts(settings: StackSettings, src: FactSources) -> PlatformFacts:
    db = _cfg(settings).database
    role = {ROLE_ANNOTATION: src.role_arn}
    return PlatformFacts(
        cloud_provider=PLATFORM.cloud_provider,
        cluster_name=src.cluster_name,
        region=src.region,
        account_id=src.account_id,
        registry=contract.Registry(
            prefix=lift(registry_prefix, src.account_id, src.region, src.dns_suffix),
            repositories=dict(src.repositories),
            warmed_tags=warmed_tags(settings),
            warmed_tags_key=WARMED_TAGS_KEY,
        ),
        database=contract.Database(
            host=src.database_host,
            port=src.database_port,
            name=db.name if src.database_name is None else src.database_name,
            user=db.user if src.database_user is None else src.database_user,
            ssl_mode="require",
            cloud_secret_name=src.database_secret_name,
        ),
        cache=contract.Cache(
            host=src.cache_host,
            port=6379,
            tls=True,
            auth=True,
            cache_url_secret_name=src.cache_url_secret_name,
            keda_secret_name=src.keda_secret_name,
        ),
        broker=Broker(
            kind=BROKER,
            sqs_queue_policy_template=lift(
                queue_policy_template, src.partition, src.region, src.account_id, src.role_arn
            ),
            sqs_queue_tag_template=queue_tag_template(),
        ),
        storage=ObjectStorage(
            bucket=src.bucket,
            fine_tune_repository=lift(fine_tune_repository, src.bucket),
            fine_tuned_weights_prefix=lift(fine_tuned_weights_prefix, src.bucket),
        ),
        identities=Identities(
            control_plane=dict(role),
            inference={ROLE_ANNOTATION: src.inference_role_arn},
            inference_service_account=INFERENCE_SERVICE_ACCOUNT,
            image_builder={ROLE_ANNOTATION: src.image_builder_role_arn},
            aws_role_arn=src.role_arn,
        ),
        prometheus_address=settings.prometheus_address,
        # Every control-plane pod needs the region (SQS queues, Secrets Manager, ECR).
        env={"AWS_REGION": src.region},
    )


def _unknown(what: str) -> str:
    return f"{DEFERRED_MARKER}aws {what}>"


def _partition_of(region: str) -> tuple[str, str]:
    if region.startswith("cn-"):
        return "aws-cn", "amazonaws.com.cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov", "amazonaws.com"
    return "aws", "amazonaws.com"


def preview_facts(settings: StackSettings) -> PlatformFacts:
    """The facts before any resource exists: known values plain, the rest placeholders."""
    cfg = _cfg(settings)
    names = Names.of(settings)
    partition, dns_suffix = _partition_of(cfg.region)
    account = _unknown("account id")
    bucket = cfg.storage.bucket_name or _unknown("s3 bucket name")
    return build_facts(
        settings,
        FactSources(
            cluster_name=names.cluster,
            region=cfg.region,
            account_id=account,
            partition=partition,
            dns_suffix=dns_suffix,
            repositories=repository_names(cfg.registry),
            database_host=_unknown("rds address"),
            database_port=5432,
            database_secret_name=(
                names.database_secret if cfg.database.use_secrets_manager_route else None
            ),
            cache_host=_unknown("elasticache primary endpoint"),
            cache_url_secret_name=names.cache_url_secret,
            keda_secret_name=names.keda_secret,
            bucket=bucket,
            role_arn=_unknown("model-engine role arn"),
            inference_role_arn=_unknown("inference role arn"),
            image_builder_role_arn=_unknown("image-builder role arn"),
        ),
    )
