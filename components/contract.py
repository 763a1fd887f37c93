"""PlatformOutputs: the one contract between a cloud package and the chart layer.

A platform (aws, existing, ...) provisions or looks up what model-engine needs and returns
PlatformOutputs. The chart layer reads nothing else: it never imports a cloud SDK, and
cloud code never builds chart values.

Two halves, kept apart on purpose:
- ``facts``: everything the chart values are derived from. Leaves may be Outputs; the chart
  layer resolves the whole tree once. Nothing secret may live here: a secret leaf would
  make every chart value secret and hide the Release diff in `pulumi preview --diff`.
- ``credentials``: secret Outputs that only ever go into Kubernetes Secrets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import pulumi

from components import accelerators, fit

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s

    from components.settings import PoolCapacity, StackSettings


@dataclass(frozen=True)
class Taint:
    key: str
    effect: str
    value: str | None = None


# The taint on every GPU node pool the program creates. The value is GKE's: GKE puts
# nvidia.com/gpu=present:NoSchedule on GPU nodes itself, and a pool that declared another value
# would disagree with its own nodes. Elsewhere any value works: the server's pods tolerate the
# key with `operator: Exists` (its service templates), and so do the add-ons.
GPU_TAINT = Taint(accelerators.GPU_TAINT_KEY, "NoSchedule", "present")


@dataclass(frozen=True)
class GpuNodePool:
    """A GPU pool the platform provides; known when the program starts (not an Output), so
    balloons, image cache and hardware tiers are plain functions of it."""

    name: str
    accelerator: str
    gpus_per_node: int
    min_size: int
    max_size: int
    balloon_replicas: int = 0
    balloon_gpus: int = 1
    taints: tuple[Taint, ...] = (Taint(accelerators.GPU_TAINT_KEY, "NoSchedule"),)
    # One node's allocatable and the disk its kubelet uses; None: unknown (an existing
    # cluster whose pool declares no nodeAllocatable), so fit goes unchecked.
    node: fit.NodeShape | None = None

    @property
    def spec(self) -> accelerators.Accelerator:
        return accelerators.CATALOG[self.accelerator]

    @property
    def node_labels(self) -> dict[str, str]:
        labels = {
            accelerators.ACCELERATOR_LABEL: self.spec.label_value,
            accelerators.LIFECYCLE_LABEL: accelerators.LIFECYCLE_NORMAL,
        }
        if self.spec.mig_config:
            labels[accelerators.MIG_CONFIG_LABEL] = self.spec.mig_config
        return labels


def cloud_gpu_pools(settings: StackSettings, cloud: str) -> list[GpuNodePool]:
    """The pools a cloud platform creates from gpu.pools, one node pool each, tainted with
    GPU_TAINT; GPUs per node and each node's allocatable follow the node type (instance type,
    VM size, machine type) and the disk its kubelet gets (components/fit.py)."""
    hardware = fit.hardware(settings)
    pools = []
    for p in settings.gpu.pools:
        node = accelerators.node_type(p, cloud)
        gpus = p.spec.gpus_per_node(cloud, node)
        pools.append(
            GpuNodePool(
                name=p.name,
                accelerator=p.accelerator,
                gpus_per_node=gpus,
                min_size=p.min_size,
                max_size=p.max_size,
                balloon_replicas=p.balloon_replicas,
                balloon_gpus=p.balloon_gpus,
                taints=(GPU_TAINT,),
                node=fit.pool_shape(cloud, p, gpus, hardware),
            )
        )
    return pools


def known_shape(pool: GpuNodePool) -> fit.NodeShape:
    """A cloud pool's node shape; each platform's catalog has a node row for every type it
    offers (tests/test_platform.py), so a missing row is a catalog gap, not a stack mistake."""
    if pool.node is None:
        raise KeyError(f"the node catalog has no row for the node type of pool {pool.name}")
    return pool.node


@dataclass(frozen=True)
class GpuPoolSpec:
    """What every cloud's node_pools.py builds one GPU pool from: one name and one shape on
    every cloud."""

    pool: GpuNodePool
    # The instance type (AWS), VM size (Azure) or machine type (GCP).
    node_type: str
    # The nodes the pool starts with (desiredSize, else minSize); the autoscaler owns the
    # count afterwards.
    initial_count: int
    # The node's allocatable and where its kubelet lives (components/fit.py).
    shape: fit.NodeShape
    capacity: PoolCapacity
    # The zones the pool's nodes may start in; empty: the cluster's.
    zones: tuple[str, ...] = ()


def gpu_pool_specs(
    settings: StackSettings, pools: Sequence[GpuNodePool], cloud: str
) -> list[GpuPoolSpec]:
    """The spec of each pool `cloud_gpu_pools` returned, beside the stack's gpu.pools entry."""
    return [
        GpuPoolSpec(
            pool=pool,
            node_type=accelerators.node_type(p, cloud),
            initial_count=p.min_size if p.desired_size is None else p.desired_size,
            shape=known_shape(pool),
            capacity=p.capacity,
            zones=tuple(p.zones),
        )
        for pool, p in zip(pools, settings.gpu.pools, strict=True)
    ]


@dataclass(frozen=True)
class Registry:
    # docker_repo_prefix: the registry host (and, off ECR/ACR, an optional path) that the
    # server puts in front of every repository value.
    prefix: pulumi.Input[str]
    # Chart launch key (e.g. vllm_repository) -> repository name relative to the prefix
    # (the ECR repository's name on AWS), never a full reference.
    repositories: Mapping[str, pulumi.Input[str]]
    # infra.docker_registry_type when the server's inference from the prefix is not wanted
    # (e.g. "onprem" to skip image checks against a private registry).
    registry_type: str | None = None
    # An image prefix that mirrors Docker Hub (docker.io/<path> is <mirror>/<path>): the
    # add-ons and the chart's utility images pull their Docker Hub images through it. None:
    # straight from Docker Hub.
    docker_hub_mirror: pulumi.Input[str] | None = None
    # Chart launch key -> the tags the platform puts in that repository before the chart
    # installs (a pull-through cache's warm-up), and the stack key that lists them.
    # components/model_engine/image_tags.py derives the default framework tags from them.
    warmed_tags: Mapping[str, Sequence[str]] = field(default_factory=dict)
    warmed_tags_key: str | None = None


@dataclass(frozen=True)
class Database:
    host: pulumi.Input[str]
    port: pulumi.Input[int]
    name: pulumi.Input[str]
    user: pulumi.Input[str]
    ssl_mode: str = "require"
    # Set to use the chart's cloud route (secrets.cloudDatabaseSecretName) instead of the
    # Kubernetes Secret; AWS: a Secrets Manager JSON with username, password, clusterHost,
    # clusterHostRo, port, dbname.
    cloud_secret_name: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class Cache:
    host: pulumi.Input[str]
    port: pulumi.Input[int] = 6379
    tls: bool = False
    # True when credentials.redis_auth_token is set.
    auth: bool = False
    # AWS: Secrets Manager secret holding field `cache-url` (the URL carries the token).
    cache_url_secret_name: pulumi.Input[str] | None = None
    # AWS: Secrets Manager secret KEDA reads the Redis password from (redis.kedaSecretName).
    keda_secret_name: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class Broker:
    kind: str  # sqs | servicebus | redis
    sqs_queue_policy_template: pulumi.Input[str] | None = None
    sqs_queue_tag_template: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class ObjectStorage:
    bucket: pulumi.Input[str]
    fine_tune_repository: pulumi.Input[str]
    fine_tuned_weights_prefix: pulumi.Input[str]
    endpoint_url: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class Identities:
    """ServiceAccount annotations (workload identity) per ServiceAccount."""

    control_plane: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    inference: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    image_builder: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # The inference pods' ServiceAccount (chart serviceTemplate.serviceAccountName) in the
    # endpoint namespace. The chart's default shares the control plane's name, so user code
    # and the batch-job orchestration run as one account; a platform that gives inference
    # its own identity names a separate account here.
    inference_service_account: str = "model-engine"
    # AWS: the role the chart writes into its AWS config file (aws.configMap).
    aws_role_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class AzureFacts:
    """The chart's `azure:` block (Azure only): the chart switches Azure on when it is set.

    Field names are the chart's keys. Each value is an identity, account or namespace name
    the Azure platform created; none is secret.
    """

    # The control-plane identity's name (AZURE_IDENTITY_NAME: the PostgreSQL user on the
    # server's Key Vault route only).
    identity_name: pulumi.Input[str]
    # The control-plane identity's client id: SA annotation, AZURE_CLIENT_ID of every
    # control-plane pod and forwarder, KEDA's TriggerAuthentication identityId.
    client_id: pulumi.Input[str]
    # The control-plane identity's object (principal) id: the Redis user name.
    object_id: pulumi.Input[str]
    keyvault_name: pulumi.Input[str]
    abs_account_name: pulumi.Input[str]
    abs_container_name: pulumi.Input[str]
    # Short name, without .servicebus.windows.net.
    servicebus_namespace: pulumi.Input[str]
    # The inference identity's client id (annotation on the inference ServiceAccount).
    inference_client_id: pulumi.Input[str]


@dataclass(frozen=True)
class GcpFacts:
    """GCP only: the chart's `gcp` block and infra.gcp_project_id. The Google service
    accounts reach the ServiceAccounts as iam.gke.io/gcp-service-account through the chart's
    own gcp.iam_service_account / gcp.inference_service_account, never as annotations too
    (the key would be written twice)."""

    project_id: pulumi.Input[str]
    # Email of the Google service account the control plane (release namespace) runs as.
    control_plane_service_account: pulumi.Input[str]
    # Email of the one the inference ServiceAccount (endpoint namespace) runs as.
    inference_service_account: pulumi.Input[str]


@dataclass(frozen=True)
class PlatformFacts:
    cloud_provider: str  # the chart's cloud_provider: aws | azure | gcp | onprem
    cluster_name: pulumi.Input[str]
    region: pulumi.Input[str]
    # ECR registryId on AWS, subscription on Azure, project on GCP; always a string.
    account_id: pulumi.Input[str]
    registry: Registry
    database: Database
    cache: Cache
    broker: Broker
    storage: ObjectStorage
    identities: Identities
    prometheus_address: pulumi.Input[str] | None = None
    # Plain environment for the control-plane containers (e.g. AWS_REGION, S3_ENDPOINT_URL).
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Azure only: the chart's `azure:` block.
    azure: AzureFacts | None = None
    gcp: GcpFacts | None = None


@dataclass(frozen=True)
class Credentials:
    database_password: pulumi.Output[str]
    redis_auth_token: pulumi.Output[str] | None = None
    # Secret environment for control-plane and inference pods (e.g. object-storage keys);
    # stored in a Kubernetes Secret and referenced by name from the chart values.
    env: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class PlatformOutputs:
    kubernetes_provider: k8s.Provider
    facts: PlatformFacts
    credentials: Credentials
    gpu_pools: Sequence[GpuNodePool] = ()
    # Resources the add-ons and the chart must wait for (node groups, storage).
    depends_on: Sequence[pulumi.Resource] = ()
    # Resources only the model-engine chart waits for (e.g. images its cacher reads at
    # start): the add-ons install meanwhile.
    chart_depends_on: Sequence[pulumi.Resource] = ()
    # Workload identity for add-ons that call the cloud, keyed by add-on name
    # ("cluster-autoscaler", "keda-operator"): ServiceAccount annotations.
    addon_identities: Mapping[str, Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)
    # Annotations that make the ingress gateway's LoadBalancer terminate TLS on port 443
    # (e.g. an ACM certificate on AWS); empty: plain HTTP. The gateway then serves 443 from
    # its plain-HTTP listener.
    gateway_tls_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Where Alertmanager publishes model-engine's alerts: the stack's SNS topic (AWS, with the
    # `alertmanager` identity in addon_identities). None: the webhook secret only.
    alert_sns_topic_arn: pulumi.Input[str] | None = None


# A value the simulated cloud (plan/, tests) cannot know before deploy is a string that
# starts with this marker and names the resource output it comes from. A real preview never
# shows them to the chart layer (apply does not run on unknowns); guards skip them.
DEFERRED_MARKER = "<after-deploy "


def is_deferred(value: object) -> bool:
    return isinstance(value, str) and DEFERRED_MARKER in value


# ---------------------------------------------------------------------------------------
# Resolving the facts tree into plain data for `derive`

T = TypeVar("T")


def _to_tree(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_tree(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: _to_tree(v) for k, v in value.items()}
    return value


def _from_tree(cls: type[T], tree: Mapping[str, Any]) -> T:
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        # Annotations are strings here (postponed evaluation); nested blocks are named
        # plainly, e.g. "Database".
        nested = _BLOCKS.get(str(f.type).removesuffix(" | None"))
        value = tree.get(f.name)
        kwargs[f.name] = _from_tree(nested, value) if nested and value is not None else value
    return cls(**kwargs)


_BLOCKS: dict[str, type] = {
    c.__name__: c
    for c in (Registry, Database, Cache, Broker, ObjectStorage, Identities, AzureFacts, GcpFacts)
}


def resolve(facts: PlatformFacts) -> pulumi.Output[PlatformFacts]:
    """One Output of the whole facts tree with every leaf resolved to a plain value."""
    return pulumi.Output.from_input(_to_tree(facts)).apply(
        lambda tree: _from_tree(PlatformFacts, tree)
    )
