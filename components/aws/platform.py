"""AwsPlatform: everything model-engine needs on AWS, returned as PlatformOutputs.

network -> EKS cluster -> node groups; PostgreSQL (RDS), Redis (ElastiCache), ECR, S3 and
IAM start alongside the cluster: only their security-group rules and the IRSA trust wait
for it. Every fact the chart needs comes from a resource output or an AWS lookup (account,
region, partition); the stack file holds only choices.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components import contract
from components.addons import identities as addon_ids
from components.aws import PLATFORM
from components.aws import versions as eks_versions
from components.aws.alerts import (
    AlarmTarget,
    AlertTopic,
    AlertTopicArgs,
    PlatformAlarms,
    PlatformAlarmsArgs,
)
from components.aws.cache import Cache, CacheArgs
from components.aws.cluster import (
    BlockStorage,
    BlockStorageArgs,
    Cluster,
    ClusterArgs,
    ManagedAddons,
    ManagedAddonsArgs,
)
from components.aws.common import (
    PART_OF_TAG,
    PrivateDataArgs,
    base_name,
    lift,
    stateful,
    with_permissions_boundary,
)
from components.aws.database import Database, DatabaseArgs
from components.aws.facts import (
    ROLE_ANNOTATION,
    FactSources,
    Names,
    _cfg,
    build_facts,
    gateway_tls_annotations,
    gpu_pools,
)
from components.aws.identity import (
    Identity,
    IdentityArgs,
    data_key_policy,
)
from components.aws.network import Network, NetworkArgs
from components.aws.node_pools import NodePools, NodePoolsArgs
from components.aws.registry import Registry, RegistryArgs, registry_prefix
from components.aws.storage import (
    Storage,
    StorageArgs,
)
from components.contract import (
    Credentials,
    PlatformOutputs,
)
from components.model_engine.derive import orchestrator_account_in_endpoint_namespace
from components.platform import PlatformArgs

# ---------------------------------------------------------------------------------------
# The component


def asg_name(resources: Sequence[aws.eks.outputs.NodeGroupResource]) -> str:
    """The Auto Scaling group EKS made for a managed node group."""
    groups = resources[0].autoscaling_groups or []
    return (groups[0].name if groups else None) or ""


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

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:aws:Platform", name, None, opts)
        settings = args.settings
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
        boundary = cfg.permissions_boundary_arn
        sub = pulumi.ResourceOptions(
            parent=self,
            providers=[provider],
            transformations=[with_permissions_boundary(boundary)] if boundary else None,
        )
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
                subnet_zones=self.network.private_subnet_zones,
                gpu_pools=contract.gpu_pool_specs(settings, pools, PLATFORM.cloud),
            ),
            opts=sub,
        )
        # The chart waits for the nodes its pods need: the system and CPU groups, and each
        # GPU group that starts with the nodes its balloons run on (fit.balloon_start_problems).
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
        # Where RDS and ElastiCache live and how they are kept (their Args' shared base).
        data_placement = vars(
            PrivateDataArgs(
                vpc_id=self.network.vpc_id,
                subnet_ids=private,
                kms_key_arn=data_key.arn,
                client_security_group_id=self.cluster.node_security_group_id,
                protect=protect,
            )
        )
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
        alarms = AlarmTarget(
            self.alert_topic.arn,
            ops.alerts.thresholds,
            policy=self.alert_topic.policy,
            takes_cache_events=self.alert_topic.key_arn is None,
            rule_prefix=base_name(settings.environment),
        )
        PlatformAlarms(
            f"{name}-platform-alarms",
            PlatformAlarmsArgs(
                base=base_name(settings.environment),
                target=alarms,
                gpu_groups={
                    pool: group.resources.apply(asg_name) for pool, group in self.nodes.gpu.items()
                },
            ),
            opts=sub,
        )
        self.database = Database(
            f"{name}-database",
            DatabaseArgs(
                settings=db_cfg,
                identifier=names.database,
                **data_placement,
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
                **data_placement,
                cache_url_secret_name=names.cache_url_secret,
                keda_secret_name=names.keda_secret,
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
                alert_topic_arn=self.alert_topic.arn,
                alert_topic_key_arn=self.alert_topic.key_arn,
                orchestrator_account_in_endpoint_namespace=(
                    orchestrator_account_in_endpoint_namespace(settings)
                ),
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
                database_user=self.database.instance.username.apply(lambda u: u or db_cfg.user),
                database_name=self.database.instance.db_name.apply(lambda n: n or db_cfg.name),
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
                addon_ids.ALERTMANAGER: {ROLE_ANNOTATION: self.identity.alertmanager_role.arn},
            },
            alert_sns_topic_arn=self.alert_topic.arn,
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
