"""StackSettings: every choice an operator makes, typed and validated before anything exists.

The stack file (``stacks/Pulumi.<stack>.yaml``) holds one config key per top-level field
below, written in camelCase (``model-engine-infra:controlPlane``). This module is the schema
only: ``components.settings_loader`` reads the keys through Pulumi's config and validates
them against ``stack_settings_schema(PLATFORMS.values(), cloud)``. Nothing here knows a
platform by name: that schema adds one block per platform (``model-engine-infra:aws`` ...),
the stack's own of the class its package's settings.py declares, and each package reads its
own through ``PLATFORM.block(settings)``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components import accelerators, waits
from components.addons.settings import AddonsSettings
from components.isolation.settings import Isolation
from components.model_engine.chart_facts import TAGGED_REPOSITORIES
from components.operations import Operations
from components.platform import by_cloud
from components.settings_base import (
    Model,
    Quantity,
    StringId,
    dns_label,
    kubernetes_quantity,
    label_safe,
    one_or_more_tags,
    ordered,
    pool_key,
    validate_http_url,
)

if TYPE_CHECKING:
    from components.platform import Platform

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class Namespaces(Model):
    release: str = "model-engine"
    endpoints: str = "llm-engine"

    _names = field_validator("release", "endpoints")(dns_label)

    @model_validator(mode="after")
    def _differ(self) -> Namespaces:
        if self.release == self.endpoints:
            raise ValueError(
                "release and endpoints must differ: the chart's builder and cacher manage the "
                "endpoint namespace and the chart creates neither; e.g. release: model-engine, "
                "endpoints: llm-engine"
            )
        return self


class ChartSource(Model):
    """Where the model-engine chart comes from. Upstream publishes it nowhere, so either a
    local checkout (`path`) or a repository the operator published it to (`repository`)."""

    path: str | None = None
    repository: str | None = None
    name: str = "model-engine"
    version: str | None = None
    release_name: str = "model-engine"
    # The migration hook alone may take its full 600 s deadline before the deployments
    # start rolling, so leave room for both (worst case: components/waits.py).
    timeout_seconds: int = Field(
        default=waits.MODEL_ENGINE_RELEASE_TIMEOUT_S, ge=waits.MODEL_ENGINE_RELEASE_MIN_TIMEOUT_S
    )
    max_history: int = Field(default=10, ge=1)
    # false: provision the platform and add-ons only (e.g. to fill registries first).
    install: bool = True

    _release = field_validator("release_name")(dns_label)

    @model_validator(mode="after")
    def _one_source(self) -> ChartSource:
        if bool(self.path) == bool(self.repository):
            raise ValueError(
                "set exactly one of chart.path (a local checkout of scaleapi/llm-engine's "
                "charts/model-engine) or chart.repository (an https:// Helm repository or an "
                "oci:// registry you published the chart to)"
            )
        if self.repository and not self.repository.startswith(("https://", "http://", "oci://")):
            raise ValueError("chart.repository must start with https:// or oci://")
        return self

    @property
    def is_oci(self) -> bool:
        return bool(self.repository and self.repository.startswith("oci://"))


class ImageSettings(Model):
    tag: StringId
    repository: str = "public.ecr.aws/b2z8n5q1/model-engine"
    gateway_repository: str | None = None
    builder_repository: str | None = None
    # Refused: the chart runs the cacher from the gateway image (cacher_deployment.yaml reads
    # image.gatewayRepository); no template reads image.cacherRepository.
    cacher_repository: str | None = None
    forwarder_repository: str | None = None
    pull_policy: Literal["Always", "IfNotPresent", "Never"] = "Always"

    @field_validator("cacher_repository")
    @classmethod
    def _cacher(cls, v: str | None) -> str | None:
        if v is not None:
            raise ValueError(
                "the chart runs the cacher from the gateway image and reads no "
                "image.cacherRepository; set image.gatewayRepository (or image.repository)"
            )
        return v

    @field_validator("tag")
    @classmethod
    def _tag(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}", v):
            raise ValueError(
                f"{v!r} is not a valid image tag that also fits a label (63 characters)"
            )
        return label_safe(v)


class TritonImage(Model):
    repository: str = "000000000000.dkr.ecr.us-west-2.amazonaws.com/std-ml-srv"
    tag: StringId = "e83eccbc8959f90ebbe4bda618b61ec6ee2d8394-triton"


class Replicas(Model):
    gateway: int = Field(default=2, ge=1)
    cacher: int = Field(default=1, ge=1)
    builder: int = Field(default=1, ge=1)


class Quantities(Model):
    cpu: Quantity | None = None
    memory: Quantity | None = None


class Resources(Model):
    requests: Quantities = Quantities(cpu="2")
    limits: Quantities | None = None


class PodDisruptionBudget(Model):
    enabled: bool = True
    min_available: int | str = 1


class Capabilities(Model):
    add: list[str] | None = None
    drop: list[str] | None = None


class PodSecurityContext(Model):
    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    fs_group: int | None = None


class ContainerSecurityContext(Model):
    allow_privilege_escalation: bool | None = None
    read_only_root_filesystem: bool | None = None
    capabilities: Capabilities | None = None


class ControlPlane(Model):
    replicas: Replicas = Replicas()
    resources: Resources = Resources()
    pod_disruption_budget: PodDisruptionBudget = PodDisruptionBudget()
    # None renders `nodeSelector: null`, the only way to drop the chart's default selector.
    node_selector: dict[str, str] | None = {
        accelerators.LIFECYCLE_LABEL: accelerators.LIFECYCLE_NORMAL
    }
    tolerations: list[dict[str, Any]] = []
    affinity: dict[str, Any] = {}
    pod_security_context: PodSecurityContext | None = None
    container_security_context: ContainerSecurityContext | None = None

    @field_validator("node_selector")
    @classmethod
    def _selector(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        if v == {}:
            raise ValueError(
                "an empty map does not clear the chart's default `node-lifecycle: normal` "
                "selector; write `nodeSelector: null` to schedule on any node"
            )
        return v


class GatewayAutoscaling(Model):
    enabled: bool = True
    min_replicas: int = Field(default=2, ge=1)
    max_replicas: int = Field(default=10, ge=1)
    target_concurrency: int = Field(default=50, ge=1)

    @model_validator(mode="after")
    def _bounds(self) -> GatewayAutoscaling:
        return ordered(self, "min_replicas", "max_replicas")


class CeleryAutoscaler(Model):
    enabled: bool = True
    num_shards: int = Field(default=3, ge=1)


class VerticalAutoscaling(Model):
    """VPA for the control plane (needs the VPA CRDs); the chart needs both bounds."""

    enabled: bool = False
    min_allowed: Quantities = Quantities(cpu="100m", memory="128Mi")
    max_allowed: Quantities = Quantities(cpu="10", memory="8Gi")
    update_mode: Literal["Off", "Initial", "Recreate", "Auto"] = "Auto"


class Autoscaling(Model):
    gateway: GatewayAutoscaling = GatewayAutoscaling()
    vertical: VerticalAutoscaling = VerticalAutoscaling()
    keda_cooldown_seconds: int = Field(default=300, ge=0)
    celery: CeleryAutoscaler = CeleryAutoscaler()
    # Users may create sync endpoints with min_workers=0 at any time; that needs KEDA and a
    # Prometheus address. Only an operator who forbids such endpoints turns this off.
    scale_from_zero: bool = True


class Istio(Model):
    enabled: bool = True
    # Domains the gateway answers under: the chart's VirtualService host is
    # model-engine.<hostDomain> for each. Default: [domain].
    host_domains: list[str] | None = None
    gateways: list[str] = ["default/internal-gateway"]
    # Scheme of the exported gateway URLs (TLS terminated at the Istio gateway).
    host_prefix: Literal["http://", "https://"] = "http://"
    destination_rule: bool = True
    virtual_service_annotations: dict[str, str] = {}

    @field_validator("gateways")
    @classmethod
    def _gateways(cls, v: list[str]) -> list[str]:
        for g in v:
            if g.count("/") != 1 or not all(g.split("/")):
                raise ValueError(f"gateway {g!r} must be written <namespace>/<gateway-name>")
        return v


class Datadog(Model):
    enabled: bool = False
    # One toggle for APM: derivation sets both the chart's dd_trace_enabled and the
    # server's config.values.launch.dd_trace_enabled from it, so they cannot disagree.
    trace: bool = False
    # Datadog `env` tag; default: the chart falls back to `environment`.
    env: str | None = None

    @field_validator("env")
    @classmethod
    def _env(cls, v: str | None) -> str | None:
        return None if v is None else label_safe(v)


class Logging(Model):
    sensitive_log_mode: bool = False
    debug_mode: bool | None = None


class DatabaseClient(Model):
    """The server's SQLAlchemy engine. Pool sizes are deliberately absent: the chart quotes
    them and SQLAlchemy rejects a string."""

    echo: bool = False
    echo_pool: bool = False
    disconnect_strategy: Literal["pessimistic", "optimistic"] = "pessimistic"


class GatewayService(Model):
    # ClusterIP behind Istio; LoadBalancer only when ingress is handled outside Istio.
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    port: int = Field(default=80, ge=1, le=65535)


class Security(Model):
    # FIPS: SHA-256 Celery signatures. Changing it needs drained queues.
    celery_enable_sha256: bool | None = None


class _Hardware(BaseModel):
    """What the server recommends for an endpoint; keys as the chart writes them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cpus: int = Field(ge=1)
    gpus: int = Field(ge=0)
    memory: Quantity
    storage: Quantity
    gpu_type: str
    nodes_per_worker: int = Field(default=1, ge=1)

    @field_validator("gpu_type")
    @classmethod
    def _gpu_type(cls, v: str) -> str:
        return _accelerator_label(v)


class HardwareTier(_Hardware):
    """A row of recommendedHardware.byGpuMemoryGb."""

    gpu_memory_le: int = Field(ge=1)


class ModelHardware(_Hardware):
    """A row of recommendedHardware.byModelName."""

    name: str


def _accelerator_label(v: str) -> str:
    """Accept a catalog key (`h100`) or the label value (`nvidia-hopper-h100`)."""
    if v in accelerators.CATALOG:
        return accelerators.CATALOG[v].label_value
    if v in accelerators.BY_LABEL:
        return v
    known = ", ".join(accelerators.CATALOG)
    raise ValueError(f"unknown GPU type {v!r}; use one of {known}")


class RecommendedHardware(Model):
    by_gpu_memory_gb: list[HardwareTier] = []
    by_model_name: list[ModelHardware] = []


class NodeAllocatable(Model):
    """A node's status.allocatable as `kubectl get node <node> -o yaml` shows it (existing
    clusters: the program cannot know the node type's reservations there)."""

    cpu: Quantity
    memory: Quantity
    ephemeral_storage: Quantity

    _quantities = field_validator("cpu", "memory", "ephemeral_storage")(kubernetes_quantity)


CapacityType = Literal["on-demand", "spot", "reservation", "capacity-block", "flex-start"]


class PoolCapacity(Model):
    """Where a GPU pool's nodes come from. `reservation` names what to consume: an AWS
    On-Demand Capacity Reservation (cr-...) or Capacity Block id, a GCE reservation name, or
    an Azure capacity reservation group's resource id. `capacity-block` is AWS's Capacity
    Blocks for ML, `flex-start` GKE's Dynamic Workload Scheduler; a platform refuses a type
    its catalog's held_capacity lacks (Platform.pool_problems)."""

    type: CapacityType = "on-demand"
    reservation: str | None = None

    @model_validator(mode="after")
    def _reservation(self) -> PoolCapacity:
        needs = self.type in ("reservation", "capacity-block")
        if needs and not self.reservation:
            raise ValueError(
                f"capacity type {self.type} consumes a reservation; name it in "
                "capacity.reservation (AWS cr-... id, GCE reservation name, Azure capacity "
                "reservation group id)"
            )
        if not needs and self.reservation:
            raise ValueError(
                f"capacity.reservation is only read with type reservation or capacity-block "
                f"(type is {self.type}); set type: reservation or remove it"
            )
        return self


class GpuPool(Model):
    name: str
    accelerator: str
    # Cloud instance type; default: the catalog's first type for the accelerator.
    instance_type: str | None = None
    min_size: int = Field(default=0, ge=0)
    max_size: int = Field(default=1, ge=0)
    desired_size: int | None = None
    # Balloon pods keep this many nodes of the pool warm (0 = no warming).
    balloon_replicas: int = Field(default=0, ge=0)
    # GPUs each balloon pod requests (default 1; a whole node is gpusPerNode).
    balloon_gpus: int = Field(default=1, ge=1)
    # Schedulable nvidia.com/gpu per node; on a cloud it follows from the instance type.
    gpus_per_node: int | None = Field(default=None, ge=1)
    # Root disk; default: sized so the largest hardware tier of the accelerator and the
    # cached images fit (components/fit.py). Unused for kubelet data on local disk.
    disk_size_gb: int | None = Field(default=None, ge=50)
    # Put kubelet and containerd on the node type's local disk where it has one big enough
    # (AWS instance-store NVMe, AKS temporary disk, GCE bundled Local SSD).
    local_disk: bool = True
    # Where nodes come from, and which zones they may start in (default: every zone of the
    # cluster's network).
    capacity: PoolCapacity = PoolCapacity()
    zones: list[str] = []
    # Existing clusters only: one node's allocatable, so the plan can check fit.
    node_allocatable: NodeAllocatable | None = None

    _name = field_validator("name")(dns_label)

    @field_validator("accelerator")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in accelerators.CATALOG:
            known = ", ".join(accelerators.CATALOG)
            raise ValueError(f"unknown accelerator {v!r}; use one of {known}")
        return v

    @model_validator(mode="after")
    def _sizes(self) -> GpuPool:
        ordered(self, "min_size", "max_size")
        desired = self.desired_size
        if desired is not None and not self.min_size <= desired <= self.max_size:
            raise ValueError("desiredSize must lie between minSize and maxSize")
        if self.gpus_per_node is not None and self.balloon_gpus > self.gpus_per_node:
            raise ValueError("balloonGpus cannot exceed gpusPerNode: the balloon never fits")
        if self.balloon_replicas > self.max_size:
            raise ValueError("balloonReplicas keeps that many nodes warm and cannot exceed maxSize")
        return self

    @property
    def spec(self) -> accelerators.Accelerator:
        return accelerators.CATALOG[self.accelerator]


class Gpu(Model):
    pools: list[GpuPool] = []
    image_cache: bool = True
    cpu_balloon_replicas: int = Field(default=0, ge=0)
    reserve_high_priority_balloons: bool = True
    balloon_node_selector: dict[str, str] = {
        accelerators.LIFECYCLE_LABEL: accelerators.LIFECYCLE_NORMAL
    }
    # Extra taint keys GPU endpoint pods tolerate (operator Exists, effect NoSchedule: the
    # chart reads only the key).
    extra_taint_keys: list[str] = []
    # None: the chart's default tiers, kept only where a pool provides the GPU type.
    recommended_hardware: RecommendedHardware | None = None

    @model_validator(mode="after")
    def _unique(self) -> Gpu:
        names = [p.name for p in self.pools]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"pool names must be unique; repeated: {', '.join(dupes)}")
        # Several pools may share an accelerator (e.g. g5.12xlarge and g5.48xlarge for a10):
        # each is its own node group, while the chart's balloons and image-cache devices are
        # keyed by accelerator and merged. One balloon Deployment per accelerator has one
        # GPU count, so the pools that keep nodes warm must agree on it.
        by_accelerator: dict[str, set[int]] = {}
        for p in self.pools:
            if p.balloon_replicas:
                by_accelerator.setdefault(p.accelerator, set()).add(p.balloon_gpus)
        split = sorted(a for a, counts in by_accelerator.items() if len(counts) > 1)
        if split:
            raise ValueError(
                "pools of one accelerator share one balloon Deployment with one GPU count; "
                f"give their balloonGpus one value ({', '.join(split)})"
            )
        return self


class StackSettings(Model):
    """Every top-level key of the stack file but the platforms' blocks, which
    `stack_settings_schema` adds: validate with the schema it builds for the stack's `cloud`
    (components.settings_loader picks it), whose `<cloud>` block is that platform's (read it
    with `PLATFORM.block(settings)`)."""

    # The platforms the schema was built with, by `cloud` (none here: this class alone
    # accepts no cloud; `platform` reads the stack's).
    platforms: ClassVar[Mapping[str, Platform[Model]]] = {}

    # One of the platforms (components/platforms.py); its block is required, no other allowed.
    cloud: str
    # The deployment's name for itself: chart `context`, DD_ENV, default secret names.
    environment: str = "production"
    # Base domain for endpoint hosts (infra dns_host_domain).
    domain: str
    namespaces: Namespaces = Namespaces()
    chart: ChartSource
    image: ImageSettings
    triton: TritonImage = TritonImage()
    control_plane: ControlPlane = ControlPlane()
    autoscaling: Autoscaling = Autoscaling()
    istio: Istio = Istio()
    datadog: Datadog = Datadog()
    logging: Logging = Logging()
    security: Security = Security()
    isolation: Isolation = Isolation()
    database_client: DatabaseClient = DatabaseClient()
    gateway_service: GatewayService = GatewayService()
    gpu: Gpu = Gpu()
    # Unset = the API trusts any basic-auth user name.
    identity_service_url: str | None = None
    # Prometheus the server queries for scale-from-zero, when the platform provides none.
    prometheus_address: str | None = None
    # Stateful resources survive `pulumi destroy` unless this is false.
    protect: bool = True
    # Cluster add-ons the chart needs (Istio, KEDA, Prometheus, ...).
    addons: AddonsSettings = AddonsSettings()
    # Maintenance windows, alert targets and thresholds (components/operations.py).
    operations: Operations = Operations()
    # Tags you have put in the registry yourself (copied or pushed), per chart repository
    # key, e.g. {vllm_repository: ["0.10.1"], batch_inference_vllm_repository: "0.10.1"}.
    # With the tags the platform warms they are the server's default framework tags (the
    # first tag listed per repository): components/model_engine/image_tags.py.
    inference_image_tags: dict[str, list[StringId]] = {}
    # Free-form chart values merged last; guards still apply to the result.
    chart_values: dict[str, Any] = {}

    @field_validator("cloud")
    @classmethod
    def _known_cloud(cls, v: str) -> str:
        if v not in cls.platforms:
            known = ", ".join(repr(c) for c in cls.platforms)
            raise ValueError(f"{v!r} is not a platform; use one of {known}")
        return v

    @field_validator("environment")
    @classmethod
    def _environment(cls, v: str) -> str:
        if v == "circleci":
            raise ValueError(
                "`circleci` switches the server to fake clients meant for upstream CI; "
                "name the real environment, e.g. customer-prod"
            )
        return label_safe(dns_label(v))

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        if not _HOSTNAME.match(v):
            raise ValueError(f"{v!r} is not a DNS domain such as llm-engine.example.com")
        return v

    _urls = field_validator("identity_service_url", "prometheus_address")(validate_http_url)

    _one_or_more_tags = field_validator("inference_image_tags", mode="before")(one_or_more_tags)

    @field_validator("inference_image_tags")
    @classmethod
    def _image_tag_repositories(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(v) - set(TAGGED_REPOSITORIES))
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not a repository the server resolves tags in; use "
                f"{', '.join(TAGGED_REPOSITORIES)}"
            )
        empty = sorted(k for k, tags in v.items() if not tags)
        if empty:
            raise ValueError(f"{', '.join(empty)}: list at least one tag")
        return v

    @model_validator(mode="after")
    def _platform_block(self) -> StackSettings:
        # Another platform's block is refused whole (its fields are not validated).
        for cloud in self.platforms:
            block = getattr(self, cloud)
            if self.cloud == cloud and block is None:
                raise ValueError(
                    f"cloud is {cloud!r} but the `{cloud}` block is missing; add "
                    f"model-engine-infra:{cloud} (see stacks/ for an example)"
                )
            if self.cloud != cloud and block is not None:
                raise ValueError(
                    f"the `{cloud}` block is set but cloud is {self.cloud!r}; remove one"
                )
        return self

    @model_validator(mode="after")
    def _pool_keys_for_cloud(self) -> StackSettings:
        """nodeAllocatable is what an existing cluster's nodes tell; capacity and zones are
        what a cloud's node pools are created with."""
        platform = self.platform
        for i, pool in enumerate(self.gpu.pools):
            key = pool_key(i)
            if platform.creates_nodes and pool.node_allocatable is not None:
                raise ValueError(
                    f"{key}.nodeAllocatable: on cloud {self.cloud} the program knows the node "
                    f"type's allocatable ({platform.catalog_path()}); remove it"
                )
            if not platform.creates_nodes and (
                pool.capacity != PoolCapacity() or pool.zones or pool.disk_size_gb is not None
            ):
                raise ValueError(
                    f"{key}: capacity, zones and diskSizeGb shape node pools the program "
                    "creates; an existing cluster's pools are yours, remove them"
                )
        return self

    @property
    def platform(self) -> Platform[Model]:
        """The platform `cloud` names, of those the schema was built with."""
        return self.platforms[self.cloud]

    @property
    def host_domains(self) -> list[str]:
        return self.istio.host_domains or [self.domain]

    @property
    def gateway_urls(self) -> list[str]:
        """Where the API answers: the chart names its VirtualService host model-engine.<d>."""
        return [f"{self.istio.host_prefix}model-engine.{d}" for d in self.host_domains]


def stack_settings_schema(
    platforms: Iterable[Platform[Model]], cloud: object
) -> type[StackSettings]:
    """StackSettings for a stack file whose `cloud` is `cloud`, with a top-level field per
    platform named after its `cloud` (the stack file's `model-engine-infra:<cloud>`). Only the
    named platform's is of the class its package declares; the others accept anything, to be
    refused whole: validating a stack builds (and imports) no other platform's classes. An
    unknown `cloud` gets no block and is refused by name. One class per platform, built once.
    Two platforms with one `cloud`, or one named like a key of StackSettings, are refused."""
    known = tuple(by_cloud(platforms).values())
    chosen = next((p for p in known if p.cloud == cloud), None)
    return _schema(known, chosen)


@functools.cache
def _schema(
    platforms: tuple[Platform[Model], ...], chosen: Platform[Model] | None
) -> type[StackSettings]:
    for platform in platforms:
        _refuse_a_taken_key(platform)
    # (annotation, default) per field, as create_model takes them.
    fields: dict[str, Any] = {
        p.cloud: (p.settings_block | None if p is chosen else Any, None) for p in platforms
    }
    schema = create_model("StackSettings", __base__=StackSettings, __module__=__name__, **fields)
    schema.platforms = {p.cloud: p for p in platforms}
    return schema


def _refuse_a_taken_key(platform: Platform[Model]) -> None:
    """A platform's block is a top-level key named after its `cloud`: one named like a key of
    StackSettings (`gpu`, `controlPlane`) or an attribute (`platform`) would replace it."""
    cloud = platform.cloud
    fields = StackSettings.model_fields
    taken = {*fields, *(f.alias for f in fields.values() if f.alias)}
    if cloud in taken or to_camel(cloud) in taken or hasattr(StackSettings, cloud):
        raise ValueError(
            f"platform {platform.qualified_name()} declares cloud {cloud!r}, which is already a "
            "top-level key or attribute of the stack's settings (StackSettings); name the "
            "platform something else"
        )
