"""AwsPlatform: everything model-engine needs on AWS, returned as PlatformOutputs.

network -> EKS cluster -> node groups; PostgreSQL (RDS), Redis (ElastiCache), ECR, S3 and
IAM start alongside the cluster: only their security-group rules and the IRSA trust wait
for it. Every fact the chart needs comes from a resource output or an AWS lookup (account,
region, partition); the stack file holds only choices.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import accelerators, contract
from components.addons import identities as addon_ids
from components.aws import eks_versions
from components.aws import settings as aws_settings
from components.aws.alarms import AlarmTarget, AlertTopic, AlertTopicArgs
from components.aws.cache import Cache, CacheArgs
from components.aws.cluster import (
    BlockStorage,
    BlockStorageArgs,
    Cluster,
    ClusterArgs,
    ManagedAddons,
    ManagedAddonsArgs,
)
from components.aws.common import PART_OF_TAG, base_name, lift, policy_document, stateful, trim_name
from components.aws.database import Database, DatabaseArgs
from components.aws.identity import (
    INFERENCE_SERVICE_ACCOUNT,
    SQS_ACTIONS,
    Identity,
    IdentityArgs,
)
from components.aws.network import Network, NetworkArgs
from components.aws.node_pools import GpuGroup, NodePools, NodePoolsArgs
from components.aws.registry import Registry, RegistryArgs, repository_names
from components.aws.storage import (
    Storage,
    StorageArgs,
    fine_tune_repository,
    fine_tuned_weights_prefix,
)
from components.contract import (
    DEFERRED_MARKER,
    Broker,
    Credentials,
    GpuNodePool,
    Identities,
    ObjectStorage,
    PlatformFacts,
    PlatformOutputs,
    Taint,
)
from components.model_engine.chart_facts import CACHER_LATEST_TAG_REPOSITORY
from components.settings import PROJECT, StackSettings
from components.settings_base import SettingsError

CLOUD_PROVIDER = "aws"
BROKER = "sqs"
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
# The GPU nodes' taint; its value lets the autoscaler's node-template tag read true:NoSchedule.
GPU_TAINT = Taint(accelerators.GPU_TAINT_KEY, "NoSchedule", "true")
# Tags the server puts on each endpoint queue.
QUEUE_TAGS = {
    "Spellbook-Serve-Endpoint-Id": "${endpoint_id}",
    "Spellbook-Serve-Endpoint-Name": "${endpoint_name}",
    "Spellbook-Serve-Endpoint-Created-By": "${endpoint_created_by}",
}


def _cfg(settings: StackSettings) -> aws_settings.AwsSettings:
    assert settings.aws is not None, "settings validation requires the aws block"
    return settings.aws


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
    """GPU pools must name an instance type that carries their accelerator on AWS; TLS at
    the gateway and the chart's host prefix agree."""
    problems: list[str] = []
    tls = _cfg(settings).gateway_certificate_arn is not None
    prefix = settings.istio.host_prefix
    if tls and prefix != "https://":
        problems.append(
            f"{PROJECT}:istio.hostPrefix: aws.gatewayCertificateArn terminates TLS at the "
            f"gateway, so the gateway URLs it exports must be https:// (is {prefix})"
        )
    for i, pool in enumerate(settings.gpu.pools):
        key = f"{PROJECT}:gpu.pools[{i}]"
        if pool.max_size < 1:
            problems.append(
                f"{key}.maxSize: an EKS managed node group needs maxSize of at least 1; set "
                "maxSize: 1 or more (minSize: 0 already lets the pool idle at zero nodes), or "
                "remove the pool"
            )
        problems += accelerators.pool_problems(
            pool,
            CLOUD_PROVIDER,
            key,
            "instance type",
            absent=f"has no AWS instance type {accelerators.CATALOG_GAP}",
            foreign=f"does not carry {pool.accelerator}",
        )
        fitted = accelerators.node_gpus(pool, CLOUD_PROVIDER)
        if fitted is None or pool.balloon_gpus > fitted[1]:
            continue
        itype, gpus = fitted
        needed = balloon_nodes(pool.balloon_replicas, pool.balloon_gpus, gpus)
        present = pool.min_size if pool.desired_size is None else pool.desired_size
        if needed > present:
            problems.append(
                f"{key}.minSize: balloonReplicas {pool.balloon_replicas} needs {needed} "
                f"{itype} node(s) at install, but the pool starts with {present}; the chart's "
                "Release waits for every balloon pod to run and would wait for GPU capacity "
                "(and quota) the account may not have, then roll back after its timeout. Set "
                f"minSize (or desiredSize) to {needed}, or balloonReplicas: 0"
            )
    registry = _cfg(settings).registry
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


def balloon_nodes(replicas: int, balloon_gpus: int, gpus_per_node: int) -> int:
    """Nodes the balloons of a pool occupy.

    Helm's wait (the Release is atomic, so it always waits) counts a Deployment ready only
    when its ready replicas reach spec.replicas minus maxUnavailable, and the chart's balloon
    Deployments keep the default 25% rounded down, i.e. 0 for a few replicas: every balloon
    pod must run. A balloon on a pool that starts at zero nodes stays Pending until the
    cluster autoscaler gets a GPU instance, which a new account may have no quota for. So a
    pool keeps warm only nodes it starts with: the node group, not the Release, then reports
    a launch failure, with AWS's reason.
    """
    per_node = gpus_per_node // balloon_gpus
    return -(-replicas // per_node) if replicas else 0


def gpu_pools(settings: StackSettings) -> list[GpuNodePool]:
    """One managed node group per gpu.pools entry; GPUs per node follow the instance type."""
    return contract.cloud_gpu_pools(settings.gpu.pools, CLOUD_PROVIDER, GPU_TAINT)


def kubernetes_version(settings: StackSettings) -> str:
    """The cluster's minor version: the one a new cluster is created with, or the one the
    stack states for an existing cluster (aws.cluster.version)."""
    return _cfg(settings).cluster.version


def secret_env_keys(settings: StackSettings) -> list[str]:
    return []


# ---------------------------------------------------------------------------------------
# Facts: the same functions build them from placeholders (preview) and Outputs (deploy)


def data_key_policy(partition: str, account: str) -> str:
    """The platform key's policy: the account administers and uses it through IAM (the
    default policy), and EC2 Auto Scaling's service-linked role may use it, which encrypted
    node root volumes need ("Required AWS KMS key policy for use with encrypted volumes",
    EC2 Auto Scaling User Guide). The role is matched by aws:PrincipalArn so that the policy
    is valid in an account where Auto Scaling has not created that role yet."""
    root = f"arn:{partition}:iam::{account}:root"
    asg_role = (
        f"arn:{partition}:iam::{account}:role/aws-service-role/"
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    only_asg = {"StringEquals": {"aws:PrincipalArn": asg_role, "kms:CallerAccount": account}}
    return policy_document(
        [
            {
                "Sid": "AccountAdministersAndUsesThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AutoScalingUsesForNodeVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                "Resource": "*",
                "Condition": only_asg,
            },
            {
                "Sid": "AutoScalingGrantsForNodeVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {**only_asg, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    )


def registry_prefix(account: str, region: str, dns_suffix: str) -> str:
    return f"{account}.dkr.ecr.{region}.{dns_suffix}"


def queue_policy_template(partition: str, region: str, account: str, role_arn: str) -> str:
    """Policy the server puts on each queue it creates; ${queue_name} is filled per queue."""
    queue = f"arn:{partition}:sqs:{region}:{account}:" + "${queue_name}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__owner_statement",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": "sqs:*",
                    "Resource": queue,
                },
                {
                    "Sid": "ModelEngine",
                    "Effect": "Allow",
                    "Principal": {"AWS": role_arn},
                    "Action": list(SQS_ACTIONS),
                    "Resource": queue,
                },
            ],
        }
    )


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


def build_facts(settings: StackSettings, src: FactSources) -> PlatformFacts:
    db = _cfg(settings).database
    role = {ROLE_ANNOTATION: src.role_arn}
    return PlatformFacts(
        cloud_provider=CLOUD_PROVIDER,
        cluster_name=src.cluster_name,
        region=src.region,
        account_id=src.account_id,
        registry=contract.Registry(
            prefix=lift(registry_prefix, src.account_id, src.region, src.dns_suffix),
            repositories=dict(src.repositories),
        ),
        database=contract.Database(
            host=src.database_host,
            port=src.database_port,
            name=db.name,
            user=db.user,
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


# ---------------------------------------------------------------------------------------
# The component


class AwsPlatform(pulumi.ComponentResource):
    outputs: PlatformOutputs
    network: Network
    cluster: Cluster
    nodes: NodePools
    database: Database
    cache: Cache
    registry: Registry
    storage: Storage
    identity: Identity

    def __init__(
        self, name: str, settings: StackSettings, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:aws:Platform", name, None, opts)
        cfg = _cfg(settings)
        names = Names.of(settings)
        protect = settings.protect
        provider = aws.Provider(
            f"{name}-aws",
            region=cfg.region,
            default_tags=aws.ProviderDefaultTagsArgs(
                tags={
                    "app.kubernetes.io/part-of": PART_OF_TAG,
                    "model-engine/environment": settings.environment,
                    **cfg.tags,
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        sub = pulumi.ResourceOptions(parent=self, providers=[provider])
        invoke = pulumi.InvokeOutputOptions(parent=self, provider=provider)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition_info = aws.get_partition_output(opts=invoke)
        partition = partition_info.partition

        # One customer-managed key for the data at rest: RDS, ElastiCache, S3, ECR and the
        # secrets. Kept on delete: final snapshots are encrypted with it.
        data_key = aws.kms.Key(
            f"{name}-data-key",
            description=f"{names.cluster}: model-engine data at rest",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=lift(data_key_policy, partition, account),
            opts=stateful(self, protect, provider=provider),
        )
        aws.kms.Alias(
            f"{name}-data-key",
            name=f"alias/{base_name(settings.environment)}-data",
            target_key_id=data_key.key_id,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )

        self.network = Network(
            f"{name}-network",
            NetworkArgs(settings=cfg.vpc, region=cfg.region, cluster_name=names.cluster),
            opts=sub,
        )
        private = self.network.private_subnet_ids
        self.cluster = Cluster(
            f"{name}-cluster",
            ClusterArgs(
                settings=cfg.cluster,
                name=names.cluster,
                region=cfg.region,
                subnet_ids=private,
                partition=partition,
                protect=protect,
                vpc_id=cfg.vpc.vpc_id,
            ),
            opts=sub,
        )
        # New clusters: the VPC CNI and kube-proxy as managed add-ons before any node.
        self.managed_addons: ManagedAddons | None = None
        if cfg.cluster.is_new:
            self.managed_addons = ManagedAddons(
                f"{name}-eks-addons",
                ManagedAddonsArgs(
                    cluster_name=self.cluster.name,
                    kubernetes_version=cfg.cluster.version,
                    oidc_provider_arn=self.cluster.oidc_provider_arn,
                    oidc_issuer_url=self.cluster.oidc_issuer_url,
                    partition=partition,
                ),
                opts=sub,
            )
        pools = gpu_pools(settings)
        self.nodes = NodePools(
            f"{name}-nodes",
            NodePoolsArgs(
                cluster_name=names.cluster,
                cluster=self.cluster.name,
                subnet_ids=private,
                settings=cfg.node_groups,
                partition=partition,
                kubernetes_version=self.cluster.version,
                volume_kms_key_arn=data_key.arn,
                cni_policy_on_nodes=self.managed_addons is None,
                depends_on=self.managed_addons.before_nodes if self.managed_addons else [],
                gpu_groups=[
                    GpuGroup(
                        pool=pool,
                        instance_type=accelerators.node_type(p, CLOUD_PROVIDER),
                        desired_size=p.desired_size if p.desired_size is not None else p.min_size,
                        disk_size_gb=p.disk_size_gb,
                    )
                    for pool, p in zip(pools, settings.gpu.pools, strict=True)
                ],
            ),
            opts=sub,
        )
        # The chart waits for the nodes its pods need: the system and CPU groups, and each
        # GPU group that starts with the nodes its balloons run on (see balloon_nodes).
        depends_on: list[pulumi.Resource] = [
            self.nodes.system,
            self.nodes.cpu,
            *(self.nodes.gpu[p.name] for p in pools if p.balloon_replicas > 0),
        ]
        self.block_storage: BlockStorage | None = None
        if cfg.cluster.is_new:
            self.block_storage = BlockStorage(
                f"{name}-block-storage",
                BlockStorageArgs(
                    cluster_name=self.cluster.name,
                    oidc_provider_arn=self.cluster.oidc_provider_arn,
                    oidc_issuer_url=self.cluster.oidc_issuer_url,
                    partition=partition,
                    kubernetes_provider=self.cluster.provider,
                    nodes=[self.nodes.system],
                    addon_version=eks_versions.addon_versions(cfg.cluster.version)[
                        "aws-ebs-csi-driver"
                    ],
                ),
                opts=sub,
            )
            depends_on.append(self.block_storage.storage_class)
        if self.managed_addons is not None:
            depends_on.append(self.managed_addons.dns([self.nodes.system]))
        nodes_sg = self.cluster.node_security_group_id
        db_cfg = cfg.database
        ops = settings.operations
        self.alert_topic = AlertTopic(
            f"{name}-alerts",
            AlertTopicArgs(
                base=base_name(settings.environment),
                alerts=ops.alerts,
                partition=partition,
                account=account,
            ),
            opts=sub,
        )
        alarms = AlarmTarget(self.alert_topic.arn, ops.alerts.thresholds)
        self.database = Database(
            f"{name}-database",
            DatabaseArgs(
                settings=db_cfg,
                identifier=names.database,
                vpc_id=self.network.vpc_id,
                subnet_ids=private,
                kms_key_arn=data_key.arn,
                client_security_group_id=nodes_sg,
                protect=protect,
                deletion_protection=(
                    protect if db_cfg.deletion_protection is None else db_cfg.deletion_protection
                ),
                secret_name=names.database_secret if db_cfg.use_secrets_manager_route else None,
                maintenance=ops.maintenance,
                alarms=alarms,
            ),
            opts=sub,
        )
        self.cache = Cache(
            f"{name}-cache",
            CacheArgs(
                settings=cfg.redis,
                replication_group_id=names.redis,
                vpc_id=self.network.vpc_id,
                subnet_ids=private,
                kms_key_arn=data_key.arn,
                client_security_group_id=nodes_sg,
                cache_url_secret_name=names.cache_url_secret,
                keda_secret_name=names.keda_secret,
                protect=protect,
                maintenance=ops.maintenance,
                alarms=alarms,
            ),
            opts=sub,
        )
        registry_host = lift(registry_prefix, account, region, partition_info.dns_suffix)
        upstream = cfg.registry.upstream
        self.registry = Registry(
            f"{name}-registry",
            RegistryArgs(
                settings=cfg.registry,
                kms_key_arn=data_key.arn,
                protect=protect,
                registry_host=registry_host,
                cache_repositories_arn=(
                    pulumi.Output.format(
                        "arn:{0}:ecr:{1}:{2}:repository/{3}/*",
                        partition,
                        region,
                        account,
                        upstream.cache_prefix,
                    )
                    if upstream
                    else None
                ),
                node_role_names=[self.nodes.role.name],
                kubernetes_provider=self.cluster.provider,
                nodes=[self.nodes.system, self.nodes.cpu],
            ),
            opts=sub,
        )

        self.storage = Storage(
            f"{name}-storage",
            StorageArgs(settings=cfg.storage, kms_key_arn=data_key.arn, protect=protect),
            opts=sub,
        )
        secrets_read = [self.cache.cache_url_secret.arn]
        if self.database.secret is not None:
            secrets_read.append(self.database.secret.arn)
        ns = settings.namespaces
        self.identity = Identity(
            f"{name}-identity",
            IdentityArgs(
                oidc_provider_arn=self.cluster.oidc_provider_arn,
                oidc_issuer_url=self.cluster.oidc_issuer_url,
                release_namespace=ns.release,
                endpoint_namespace=ns.endpoints,
                partition=partition,
                region=region,
                account_id=account,
                bucket_arn=self.storage.arn,
                kms_key_arn=data_key.arn,
                secret_arns=secrets_read,
                keda_secret_arn=self.cache.keda_secret.arn,
                repository_arns=[r.arn for r in self.registry.repositories.values()],
                cluster_name=names.cluster,
                addon_service_accounts=addon_ids.service_accounts(settings.addons),
            ),
            opts=sub,
        )

        facts = build_facts(
            settings,
            FactSources(
                cluster_name=self.cluster.name,
                region=region,
                account_id=account,
                partition=partition,
                dns_suffix=partition_info.dns_suffix,
                repositories=self.registry.names,
                database_host=self.database.address,
                database_port=self.database.port,
                database_secret_name=(
                    self.database.secret.name if self.database.secret is not None else None
                ),
                cache_host=self.cache.host,
                cache_url_secret_name=self.cache.cache_url_secret.name,
                keda_secret_name=self.cache.keda_secret.name,
                bucket=self.storage.name,
                role_arn=self.identity.model_engine_role.arn,
                inference_role_arn=self.identity.inference_role.arn,
                image_builder_role_arn=self.identity.image_builder_role.arn,
            ),
        )
        self.outputs = PlatformOutputs(
            kubernetes_provider=self.cluster.provider,
            facts=facts,
            credentials=Credentials(
                database_password=self.database.password,
                redis_auth_token=self.cache.auth_token,
            ),
            gpu_pools=pools,
            # Nodes (and volumes) must exist before Helm waits on pods.
            depends_on=depends_on,
            chart_depends_on=self.registry.ready,
            addon_identities={
                addon_ids.KEDA_OPERATOR: {ROLE_ANNOTATION: self.identity.keda_role.arn},
                addon_ids.CLUSTER_AUTOSCALER: {
                    ROLE_ANNOTATION: self.identity.cluster_autoscaler_role.arn
                },
            },
            # Managed node groups grow (and start from zero) only through the autoscaler.
            needs_cluster_autoscaler=True,
            kubernetes_version=kubernetes_version(settings),
            gateway_tls_annotations=gateway_tls_annotations(settings),
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster.name,
                "database_host": self.database.address,
                "redis_host": self.cache.host,
                "bucket": self.storage.name,
                "model_engine_role_arn": self.identity.model_engine_role.arn,
                "keda_role_arn": self.identity.keda_role.arn,
            }
        )
