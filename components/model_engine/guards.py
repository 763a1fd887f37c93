"""Guards: every known way the chart values deploy "fine" and then fail silently.

`check(values, ...)` runs each guard over the final values (operator overrides included)
and returns findings; `enforce` raises GuardError on any error. Each finding names the
chart value and, when the operator's `chartValues` set it, says so: that is where the fix
goes. The typed model (values.ChartValues) is checked last, for types and unknown
server-config keys.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from components import accelerators
from components.contract import GpuNodePool, is_deferred
from components.model_engine import chart_facts as cf
from components.model_engine.values import ChartValues
from components.settings import PROJECT, StackSettings
from components.settings_base import reads_as_non_string


@dataclass(frozen=True)
class Finding:
    level: Literal["error", "warning"]
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.path}: {self.message}"


class GuardError(Exception):
    def __init__(self, findings: Sequence[Finding]):
        self.findings = list(findings)
        lines = "\n".join(f"  - {f.path}: {f.message}" for f in self.findings)
        super().__init__(
            f"the model-engine chart values would not work ({len(self.findings)} problem(s)):"
            f"\n{lines}"
        )


@dataclass(frozen=True)
class Context:
    values: Mapping[str, Any]
    settings: StackSettings
    pools: Sequence[GpuNodePool]

    def get(self, path: str, default: Any = None) -> Any:
        node: Any = self.values
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def has(self, path: str) -> bool:
        sentinel = object()
        return self.get(path, sentinel) is not sentinel

    @property
    def provided_gpus(self) -> set[str]:
        """Accelerator label values some GPU pool provides."""
        return {p.spec.label_value for p in self.pools}

    @property
    def infra(self) -> Mapping[str, Any]:
        return self.get("config.values.infra", {}) or {}

    @property
    def launch(self) -> Mapping[str, Any]:
        return self.get("config.values.launch", {}) or {}

    def origin(self, path: str) -> str:
        """Where to fix a value: the operator's override, or the setting it derives from."""
        node: Any = self.settings.chart_values
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                source = DERIVED_FROM.get(path)
                return f" (derived from {PROJECT}:{source})" if source else ""
            node = node[part]
        return f" (set by {PROJECT}:chartValues.{path}; change or remove the override)"


# Chart values computed straight from one stack key: a finding on them names that key.
DERIVED_FROM: dict[str, str] = {
    "tag": "image.tag",
    "context": "environment",
    "datadog.env": "datadog.env",
    "dd_trace_enabled": "datadog.trace",
    "config.values.launch.dd_trace_enabled": "datadog.trace",
    "config.values.infra.prometheus_server_address": "prometheusAddress",
    "config.values.infra.identity_service_url": "identityServiceUrl",
    "config.values.infra.dns_host_domain": "domain",
    "config.values.launch.endpoint_namespace": "namespaces.endpoints",
    "nodeSelector": "controlPlane.nodeSelector",
    "recommendedHardware.byGpuMemoryGb": "gpu.recommendedHardware",
    "recommendedHardware.byModelName": "gpu.recommendedHardware",
    "virtualservice.gateways": "istio.gateways",
    "virtualservice.hostDomains": "istio.hostDomains",
}


Guard = Callable[[Context], Iterator[Finding]]
GUARDS: list[Guard] = []


def guard(fn: Guard) -> Guard:
    GUARDS.append(fn)
    return fn


def _error(ctx: Context, path: str, message: str) -> Finding:
    return Finding("error", path, message + ctx.origin(path))


def _warning(ctx: Context, path: str, message: str) -> Finding:
    return Finding("warning", path, message + ctx.origin(path))


@guard
def migration_runs(ctx: Context) -> Iterator[Finding]:
    if ctx.get("db.runDbMigrationScript") is not True:
        yield _error(
            ctx,
            "db.runDbMigrationScript",
            "must be true: without the migration hook the database has no schema and model "
            "creation fails with missing-table errors",
        )
    if ctx.get("db.runDbInitScript") is True:
        yield _error(
            ctx,
            "db.runDbInitScript",
            "must stay false: with the migration on, the init script's CREATE SCHEMA makes the "
            "migration fail on a fresh database",
        )


@guard
def render_prerequisites(ctx: Context) -> Iterator[Finding]:
    for key in cf.REQUIRED_TOP_LEVEL:
        if ctx.get(key) is None:
            yield _error(ctx, key, "required: without it the chart fails to render (nil pointer)")


@guard
def no_pool_sizes(ctx: Context) -> Iterator[Finding]:
    for key, why in cf.FORBIDDEN_INFRA_KEYS.items():
        if key in ctx.infra:
            yield _error(ctx, f"config.values.infra.{key}", f"must not be set: {why}")


@guard
def fine_tune_key(ctx: Context) -> Iterator[Finding]:
    for key, why in cf.STALE_LAUNCH_KEYS.items():
        if key in ctx.launch:
            yield _error(ctx, f"config.values.launch.{key}", f"stale key: {why}")


@guard
def required_launch_keys(ctx: Context) -> Iterator[Finding]:
    for key in cf.REQUIRED_LAUNCH_KEYS:
        if ctx.launch.get(key) in (None, ""):
            yield _error(
                ctx,
                f"config.values.launch.{key}",
                "required by the server: without it every component crashes at import",
            )
    for key in cf.BOOL_LAUNCH_KEYS:
        value = ctx.launch.get(key)
        if value is not None and not isinstance(value, bool):
            yield _error(
                ctx,
                f"config.values.launch.{key}",
                f"must be a YAML boolean, not {value!r}: the chart quotes non-bools and the "
                "string 'false' is true to the server",
            )


@guard
def required_infra_keys(ctx: Context) -> Iterator[Finding]:
    for key in cf.REQUIRED_INFRA_KEYS:
        if ctx.infra.get(key) in (None, ""):
            yield _error(ctx, f"config.values.infra.{key}", "required by the server")


@guard
def string_ids(ctx: Context) -> Iterator[Finding]:
    for path in ("tag", "config.values.infra.ml_account_id", "triton.image.tag"):
        value = ctx.get(path)
        if value is not None and not isinstance(value, str):
            yield _error(
                ctx,
                path,
                f"must be a string, got {type(value).__name__} {value!r}: a number renders "
                "as a float (1.1e+11) or loses digits; quote it",
            )
    account = ctx.infra.get("ml_account_id")
    if (
        ctx.infra.get("cloud_provider") == "aws"
        and isinstance(account, str)
        and not is_deferred(account)
        and not re.fullmatch(r"\d{12}", account)
    ):
        yield _error(
            ctx,
            "config.values.infra.ml_account_id",
            f"{account!r} is not a 12-digit AWS account id (the ECR registryId)",
        )


@guard
def broker_type(ctx: Context) -> Iterator[Finding]:
    kind = ctx.get("celeryBrokerType")
    cloud = ctx.infra.get("cloud_provider")
    if kind == "elasticache":
        yield _error(
            ctx,
            "celeryBrokerType",
            "`elasticache` is not a broker type the server knows: async forwarders raise "
            "with it; use `redis` for a Redis broker",
        )
        return
    if kind not in cf.BROKER_TYPES:
        yield _error(
            ctx, "celeryBrokerType", f"{kind!r} is not one of {', '.join(cf.BROKER_TYPES)}"
        )
        return
    allowed = cf.BROKERS_FOR_CLOUD.get(str(cloud), ())
    if kind not in allowed:
        yield _error(
            ctx,
            "celeryBrokerType",
            f"{kind!r} does not work with cloud_provider {cloud!r}; use {' or '.join(allowed)}",
        )
    if kind == "redis" and ctx.get("celery_broker_type_redis") is not True:
        yield _error(
            ctx,
            "celery_broker_type_redis",
            "must be true with a Redis broker: the endpoint builder otherwise listens on SQS",
        )
    if cloud not in cf.CLOUD_PROVIDERS:
        yield _error(
            ctx,
            "config.values.infra.cloud_provider",
            f"{cloud!r} is not one of {', '.join(cf.CLOUD_PROVIDERS)}",
        )


@guard
def sqs_templates(ctx: Context) -> Iterator[Finding]:
    if ctx.get("celeryBrokerType") != "sqs":
        return
    for key, needed in (
        ("sqs_queue_policy_template", {"queue_name"}),
        ("sqs_queue_tag_template", set()),
    ):
        path = f"config.values.launch.{key}"
        template = ctx.launch.get(key)
        if not isinstance(template, str) or is_deferred(template):
            continue
        try:
            names = {
                m.group("named") or m.group("braced")
                for m in string.Template.pattern.finditer(template)
                if m.group("named") or m.group("braced")
            }
            sample = string.Template(template).safe_substitute(
                queue_name="q",
                team="t",
                endpoint_id="e",
                endpoint_name="n",
                endpoint_created_by="u",
            )
            json.loads(sample)
        except (ValueError, json.JSONDecodeError) as e:
            yield _error(ctx, path, f"is not a JSON string.Template: {e}")
            continue
        missing = needed - names
        if missing:
            yield _error(ctx, path, f"must use ${{{', '.join(sorted(missing))}}}")
        unknown = names - {
            "queue_name",
            "team",
            "endpoint_id",
            "endpoint_name",
            "endpoint_created_by",
        }
        if unknown:
            yield _error(ctx, path, f"uses unknown placeholders {sorted(unknown)}")


@guard
def endpoint_namespace(ctx: Context) -> Iterator[Finding]:
    ns = ctx.launch.get("endpoint_namespace")
    if ns == ctx.settings.namespaces.release:
        yield _error(
            ctx,
            "config.values.launch.endpoint_namespace",
            "must differ from the release namespace",
        )
    elif ns != ctx.settings.namespaces.endpoints:
        yield _error(
            ctx,
            "config.values.launch.endpoint_namespace",
            f"{ns!r} is not the namespace this program creates and fills with Secrets "
            f"({ctx.settings.namespaces.endpoints!r}); set {PROJECT}:namespaces.endpoints "
            "instead",
        )


def _has_registry_host(repo: str) -> bool:
    first = repo.split("/", 1)[0]
    return "/" in repo and ("." in first or ":" in first or first == "localhost")


@guard
def relative_repositories(ctx: Context) -> Iterator[Finding]:
    """Inference repositories are names under docker_repo_prefix; control-plane images are
    pulled by Kubernetes as written, so they are full references."""
    for key in cf.INFERENCE_REPOSITORIES:
        if key not in ctx.launch or is_deferred(ctx.launch[key]):
            continue
        problem = cf.repository_name_problem(ctx.launch[key])
        if problem:
            yield _error(
                ctx,
                f"config.values.launch.{key}",
                f"{ctx.launch[key]!r} {problem}; give the name relative to docker_repo_prefix "
                f"({ctx.infra.get('docker_repo_prefix')})",
            )
    for key in (
        "gatewayRepository",
        "builderRepository",
        "forwarderRepository",
    ):
        repo = ctx.get(f"image.{key}")
        if isinstance(repo, str) and not _has_registry_host(repo):
            yield _error(ctx, f"image.{key}", f"{repo!r} must be a full repository path")


@guard
def cacher_registry(ctx: Context) -> Iterator[Finding]:
    kind = cf.infra_registry_type(ctx.infra)
    if kind not in cf.NO_LATEST_TAG_REGISTRIES:
        return
    if ctx.get("replicaCount.cacher"):
        yield _error(
            ctx,
            "replicaCount.cacher",
            f"must be 0 with registry type {kind!r}: the cacher asks the registry for the newest "
            f"tag of {cf.CACHER_LATEST_TAG_REPOSITORY} on every loop, which raises "
            "NotImplementedError there, so it crash-loops and the install times out",
        )
    else:
        yield _warning(
            ctx,
            "replicaCount.cacher",
            f"0: the cacher cannot run with registry type {kind!r} (its newest-tag lookup "
            "raises NotImplementedError); the gateway reads endpoint state from Kubernetes "
            "directly and images are not pre-pulled",
        )


@guard
def dropped_infra_keys(ctx: Context) -> Iterator[Finding]:
    for key, why in cf.DROPPED_INFRA_KEYS.items():
        if key in ctx.infra:
            yield _error(ctx, f"config.values.infra.{key}", f"is never read: {why}")


@guard
def redis_broker_results(ctx: Context) -> Iterator[Finding]:
    if ctx.get("celeryBrokerType") != "redis":
        return
    backend = ctx.get("celeryResultBackend")
    if not backend:
        yield _error(
            ctx,
            "celeryResultBackend",
            "required with a Redis broker: the server's default result backend off AWS and "
            "Azure is S3, which raises 'Missing boto3 session' on the first task, so endpoint "
            "creation fails",
        )
    elif isinstance(backend, str) and not is_deferred(backend):
        match = re.fullmatch(r"rediss?://([^/@]+)/(\d+)(\?.*)?", backend)
        if not match:
            yield _error(
                ctx,
                "celeryResultBackend",
                f"{backend!r} must be redis://host:port/DB (no credentials: it is plaintext in "
                "the release)",
            )
        elif int(match.group(2)) in (*cf.CELERY_BROKER_DB_INDEXES, cf.CACHE_DB_INDEX):
            yield _error(
                ctx,
                "celeryResultBackend",
                f"DB {match.group(2)} is used by the broker (0-3) or the cache "
                f"({cf.CACHE_DB_INDEX}); give results a DB of their own",
            )
    if ctx.get("celery_autoscaler.enabled") is True:
        yield _error(
            ctx,
            "celery_autoscaler.enabled",
            "must be false with a Redis broker: the autoscaler reads queue depth only from SQS "
            "and Service Bus and would loop on errors",
        )
    elif ctx.settings.autoscaling.celery.enabled:
        yield _warning(
            ctx,
            "celery_autoscaler.enabled",
            "off: the celery autoscaler works only with SQS and Service Bus at the pinned "
            "server, so async endpoints stay at min_workers on a Redis broker",
        )


@guard
def prometheus_for_scale_from_zero(ctx: Context) -> Iterator[Finding]:
    if ctx.infra.get("prometheus_server_address"):
        return
    if ctx.settings.autoscaling.scale_from_zero:
        yield _error(
            ctx,
            "config.values.infra.prometheus_server_address",
            "missing: sync endpoints with min_workers=0 never scale up from zero without it; "
            f"set {PROJECT}:prometheusAddress (or install Prometheus with the add-ons), or set "
            f"{PROJECT}:autoscaling.scaleFromZero: false to accept that",
        )
    else:
        yield _warning(
            ctx,
            "config.values.infra.prometheus_server_address",
            "unset: endpoints created with min_workers=0 will not scale from zero",
        )


@guard
def datadog_toggles(ctx: Context) -> Iterator[Finding]:
    top, launch = ctx.get("dd_trace_enabled"), ctx.launch.get("dd_trace_enabled")
    if top != launch:
        yield _error(
            ctx,
            "dd_trace_enabled",
            f"is {top!r} but config.values.launch.dd_trace_enabled is {launch!r}: the two must "
            f"be equal; set {PROJECT}:datadog.trace instead of either",
        )


@guard
def aws_config_map(ctx: Context) -> Iterator[Finding]:
    if ctx.infra.get("cloud_provider") != "aws":
        return
    if ctx.get("aws.configMap.mountPath") != cf.AWS_CONFIG_MOUNT_PATH:
        yield _error(
            ctx,
            "aws.configMap.mountPath",
            f"must be {cf.AWS_CONFIG_MOUNT_PATH}: without it pods are rejected",
        )
    namespaces = set(ctx.get("aws.configMap.namespaces") or [])
    wanted = {ctx.settings.namespaces.release, ctx.settings.namespaces.endpoints}
    if not wanted <= namespaces:
        yield _error(
            ctx,
            "aws.configMap.namespaces",
            f"must list {sorted(wanted)} so the AWS profile reaches every pod",
        )
    if ctx.get("aws.configMap.create") is not True:
        yield _error(ctx, "aws.configMap.create", "must be true on AWS")


@guard
def aws_block_off_aws(ctx: Context) -> Iterator[Finding]:
    cloud = ctx.infra.get("cloud_provider")
    if cloud != "aws" and ctx.get("aws"):
        yield _error(
            ctx,
            "aws",
            f"must not be set with cloud_provider {cloud!r}: the chart then adds AWS_PROFILE, "
            "an AWS config file and its volumes to every pod",
        )


@guard
def azure_block(ctx: Context) -> Iterator[Finding]:
    """The chart switches Azure on by a non-empty `azure` block, the server by
    cloud_provider: both or neither."""
    cloud = ctx.infra.get("cloud_provider")
    block = ctx.get("azure")
    if cloud != "azure":
        if block:
            yield _error(
                ctx,
                "azure",
                f"must not be set with cloud_provider {cloud!r}: the chart switches its Azure "
                "workload-identity labels, annotations and env on whenever the block is set",
            )
        return
    if not isinstance(block, Mapping) or not block:
        yield _error(
            ctx,
            "azure",
            "required with cloud_provider azure: without it the chart renders no workload "
            "identity, so every Azure client in the server fails to sign in",
        )
        return
    for key in cf.AZURE_KEYS:
        if block.get(key) in (None, ""):
            yield _error(
                ctx, f"azure.{key}", "required on Azure (env or annotation the server reads)"
            )


@guard
def azure_redis_host(ctx: Context) -> Iterator[Finding]:
    host = ctx.launch.get("cache_redis_azure_host")
    if not isinstance(host, str) or is_deferred(host):
        return
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:\d{1,5}", host):
        yield _error(
            ctx,
            "config.values.launch.cache_redis_azure_host",
            f"{host!r} must be host:port (e.g. <name>.<region>.redis.azure.net:10000): the "
            "server builds rediss://<object id>:<token>@<value>, so without the port the client "
            "dials 6379, which Azure Managed Redis does not serve",
        )


@guard
def inference_service_account(ctx: Context) -> Iterator[Finding]:
    if not ctx.get("serviceTemplate.serviceAccountAnnotations"):
        yield _error(
            ctx,
            "serviceTemplate.serviceAccountAnnotations",
            "empty: the chart renders the inference ServiceAccount only when this map has "
            "entries, so endpoint pods are refused (serviceaccount not found)",
        )


@guard
def service_account_hooks(ctx: Context) -> Iterator[Finding]:
    for path in ("serviceAccount.annotations", "serviceTemplate.serviceAccountAnnotations"):
        annotations = ctx.get(path) or {}
        for key, value in cf.SERVICE_ACCOUNT_HOOK.items():
            if annotations.get(key) != value:
                yield _error(
                    ctx,
                    path,
                    f"needs {key}: {value!r}: the ServiceAccount must exist before the "
                    "migration hook runs (and a non-empty map renders the inference SA)",
                )
    if ctx.infra.get("cloud_provider") == "aws":
        for path in ("serviceAccount.annotations", "serviceTemplate.serviceAccountAnnotations"):
            if "eks.amazonaws.com/role-arn" not in (ctx.get(path) or {}):
                yield _error(ctx, path, "needs eks.amazonaws.com/role-arn (IRSA) on AWS")


@guard
def node_selector(ctx: Context) -> Iterator[Finding]:
    if ctx.has("nodeSelector") and ctx.get("nodeSelector") == {}:
        yield _error(
            ctx,
            "nodeSelector",
            "{} does not clear the chart default `node-lifecycle: normal`; use null",
        )


@guard
def context_value(ctx: Context) -> Iterator[Finding]:
    if ctx.get("context") == "circleci":
        yield _error(ctx, "context", "`circleci` turns on the server's fake clients")


_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


@guard
def label_values(ctx: Context) -> Iterator[Finding]:
    """The chart writes these unquoted into labels and env values."""
    for path in ("tag", "context", "datadog.env"):
        value = ctx.get(path)
        if not isinstance(value, str) or not value:
            continue
        if reads_as_non_string(value):
            yield _error(
                ctx,
                path,
                f"{value!r} is rendered unquoted and YAML reads it as a number or boolean, "
                "which Kubernetes rejects as a label or env value; use a value with a letter",
            )
        elif not _LABEL_VALUE.match(value):
            yield _error(
                ctx,
                path,
                f"{value!r} is not a valid label value (63 characters of [A-Za-z0-9-_.])",
            )


@guard
def autoscaler_blocks(ctx: Context) -> Iterator[Finding]:
    if ctx.get("autoscaling.vertical.enabled") is True:
        for bound in ("minAllowed", "maxAllowed"):
            if not isinstance(ctx.get(f"autoscaling.vertical.{bound}"), Mapping):
                yield _error(
                    ctx,
                    f"autoscaling.vertical.{bound}",
                    "required when vertical autoscaling is on (the chart dereferences it)",
                )
    if ctx.get("autoscaling.prewarming.enabled") is True:
        yield _error(
            ctx,
            "autoscaling.prewarming.enabled",
            "the chart's prewarming autoscalers target deployments model-engine-balloon-a10/"
            "-a100/-t4, which never exist (balloons are named by accelerator label); use "
            f"{PROJECT}:gpu.pools[].balloonReplicas to keep nodes warm",
        )


@guard
def forbidden_top_level(ctx: Context) -> Iterator[Finding]:
    for key, why in cf.FORBIDDEN_TOP_LEVEL.items():
        if ctx.has(key):
            yield _error(ctx, key, f"must not be set: {why}")


def _url_has_credentials(url: str) -> bool:
    return bool(re.match(r"^[a-z]+s?://[^/@]*@", url))


@guard
def cache_url(ctx: Context) -> Iterator[Finding]:
    present = [k for k in cf.CACHE_URL_KEYS if ctx.launch.get(k)]
    cloud = ctx.infra.get("cloud_provider")
    if not present:
        yield _error(
            ctx,
            "config.values.launch",
            "no Redis cache key is set (cache_redis_*): the cacher and KEDA cannot start",
        )
    allowed = {
        "aws": {"cache_redis_aws_url", "cache_redis_aws_secret_name", "cache_redis_onprem_url"},
        "azure": {"cache_redis_azure_host", "cache_redis_onprem_url"},
        "gcp": {"cache_redis_gcp_url", "cache_redis_onprem_url"},
        "onprem": {"cache_redis_onprem_url", "cache_redis_aws_url"},
    }.get(str(cloud), set())
    for key in present:
        path = f"config.values.launch.{key}"
        value = ctx.launch[key]
        if key not in allowed:
            yield _error(ctx, path, f"is not read (or asserts) with cloud_provider {cloud!r}")
        if not isinstance(value, str) or key.endswith(("_secret_name", "_host")):
            continue
        if is_deferred(value):
            continue
        if "?" in value or "#" in value:
            yield _error(
                ctx,
                path,
                "nothing may follow the DB index: the server reads the index from the last "
                "'/' segment, so a query string makes it DB 0 and KEDA reads the wrong DB",
            )
        if _url_has_credentials(value):
            yield _error(
                ctx,
                path,
                "carries credentials, which would sit in plaintext in a ConfigMap and the Helm "
                "release; use the cloud's secret route (cache_redis_aws_secret_name)",
            )


@guard
def redis_auth_literal(ctx: Context) -> Iterator[Finding]:
    if ctx.get("redis.auth"):
        yield _error(
            ctx,
            "redis.auth",
            "a literal Redis password is stored in plaintext in the Helm release; the program "
            "creates a Kubernetes Secret and sets redis.authSecretName instead",
        )
    if ctx.get("redis.enableAuth") is True and not ctx.get("redis.authSecretName"):
        yield _error(ctx, "redis.authSecretName", "required when redis.enableAuth is true")


@guard
def database_secret(ctx: Context) -> Iterator[Finding]:
    k8s_name = ctx.get("secrets.kubernetesDatabaseSecretName")
    cloud_name = ctx.get("secrets.cloudDatabaseSecretName")
    if not k8s_name and not cloud_name:
        yield _error(
            ctx,
            "secrets",
            "name the database Secret (kubernetesDatabaseSecretName or cloudDatabaseSecretName)",
        )


@guard
def image_cache_devices(ctx: Context) -> Iterator[Finding]:
    provided = ctx.provided_gpus
    for i, device in enumerate(ctx.get("imageCache.devices") or []):
        name = device.get("name")
        if name not in accelerators.IMAGE_CACHE_DEVICES:
            yield _error(
                ctx,
                f"imageCache.devices[{i}].name",
                f"{name!r} is not a device the chart knows "
                f"({', '.join(sorted(accelerators.IMAGE_CACHE_DEVICES))})",
            )
        label = (device.get("nodeSelector") or {}).get(accelerators.ACCELERATOR_LABEL)
        if label and label not in provided:
            yield _error(
                ctx,
                f"imageCache.devices[{i}]",
                f"selects {label!r} nodes, but no GPU pool provides them: its pods never schedule",
            )


@guard
def balloon_accelerators(ctx: Context) -> Iterator[Finding]:
    provided = ctx.provided_gpus
    for i, balloon in enumerate(ctx.get("balloons") or []):
        name = balloon.get("acceleratorName")
        if name == "cpu":
            continue
        if name not in accelerators.BY_LABEL:
            yield _error(
                ctx, f"balloons[{i}].acceleratorName", f"{name!r} is not a known GPU label"
            )
        elif name not in provided and balloon.get("replicaCount"):
            yield _error(
                ctx,
                f"balloons[{i}]",
                f"warms {name!r} nodes, but no GPU pool provides them; the balloon pods stay "
                "Pending (and may keep the autoscaler busy)",
            )


@guard
def hardware_tiers(ctx: Context) -> Iterator[Finding]:
    provided = ctx.provided_gpus
    for table in ("byGpuMemoryGb", "byModelName"):
        for i, tier in enumerate(ctx.get(f"recommendedHardware.{table}") or []):
            gpu = tier.get("gpu_type")
            if gpu not in provided:
                yield _error(
                    ctx,
                    f"recommendedHardware.{table}[{i}].gpu_type",
                    f"{gpu!r} is provided by no GPU pool (pools: "
                    f"{', '.join(sorted(provided)) or 'none'}): endpoints given this "
                    f"recommendation never schedule; add a pool to {PROJECT}:gpu.pools or "
                    f"change {PROJECT}:gpu.recommendedHardware",
                )


@guard
def identity_service(ctx: Context) -> Iterator[Finding]:
    if not ctx.infra.get("identity_service_url"):
        yield _warning(
            ctx,
            "config.values.infra.identity_service_url",
            "unset: the API accepts any basic-auth user name (no authentication); set "
            f"{PROJECT}:identityServiceUrl or keep the gateway private",
        )


@guard
def no_credentials_anywhere(ctx: Context) -> Iterator[Finding]:
    """Last line of defence: nothing that looks like a credential is in the values."""

    def walk(node: Any, path: str) -> Iterator[Finding]:
        if isinstance(node, Mapping):
            for k, v in node.items():
                yield from walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from walk(v, f"{path}[{i}]")
        elif isinstance(node, str) and (
            _url_has_credentials(node) or "[secret]" in node or "randomPassword" in node
        ):
            yield _error(ctx, path, "looks like a credential; Helm values are stored in plaintext")

    yield from walk(ctx.values, "")


def _model_findings(values: Mapping[str, Any], ctx: Context | None = None) -> Iterator[Finding]:
    try:
        ChartValues.model_validate(values)
    except ValidationError as e:
        for err in e.errors():
            path = ".".join(str(p) for p in err["loc"])
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = (
                    "unknown key: the server silently drops it (typo?)"
                    if path.startswith("config.values.")
                    else "unknown key: no chart template reads it, so it would be silently "
                    "ignored (typo, or a key from another chart version?)"
                )
            yield Finding("error", path, msg + (ctx.origin(path) if ctx else ""))


def check(
    values: Mapping[str, Any], settings: StackSettings, pools: Sequence[GpuNodePool]
) -> list[Finding]:
    ctx = Context(values, settings, pools)
    findings = [f for g in GUARDS for f in g(ctx)]
    if not any(f.level == "error" for f in findings):
        findings += list(_model_findings(values, ctx))
    return findings


def enforce(findings: Sequence[Finding]) -> None:
    errors = [f for f in findings if f.level == "error"]
    if errors:
        raise GuardError(errors)


# ---------------------------------------------------------------------------------------
# GCP (cloud_provider gcp)

GKE_SERVICE_ACCOUNT_ANNOTATION = "iam.gke.io/gcp-service-account"


@guard
def gcp_workload_identity(ctx: Context) -> Iterator[Finding]:
    """The chart annotates both ServiceAccounts from the `gcp` block and sets GCP_PROJECT_ID
    from gcp.project_id; the cacher and gateway raise at start without a project id."""
    if ctx.infra.get("cloud_provider") != "gcp":
        return
    for key, why in (
        ("project_id", "GCP_PROJECT_ID: the gateway and cacher raise at start without it"),
        ("iam_service_account", "the control plane's Google identity (Workload Identity)"),
        ("inference_service_account", "the endpoint pods' Google identity"),
    ):
        value = ctx.get(f"gcp.{key}")
        if not value:
            yield _error(ctx, f"gcp.{key}", f"required on GCP: {why}")
    project = ctx.get("gcp.project_id")
    infra_project = ctx.infra.get("gcp_project_id")
    if project and infra_project and project != infra_project and not is_deferred(project):
        yield _error(
            ctx,
            "config.values.infra.gcp_project_id",
            f"{infra_project!r} differs from gcp.project_id {project!r}: GCP_PROJECT_ID wins in "
            "the gateway, the service config elsewhere",
        )
    for path in ("serviceAccount.annotations", "serviceTemplate.serviceAccountAnnotations"):
        if GKE_SERVICE_ACCOUNT_ANNOTATION in (ctx.get(path) or {}):
            yield _error(
                ctx,
                path,
                f"must not carry {GKE_SERVICE_ACCOUNT_ANNOTATION}: the chart writes it from "
                "gcp.iam_service_account / gcp.inference_service_account, and a second copy is "
                "a duplicate key in the ServiceAccount",
            )


@guard
def gar_image_names(ctx: Context) -> Iterator[Finding]:
    """On Artifact Registry the server looks images up as packages/<name>/tags/<tag> without
    URL-encoding the name: a nested name (a/b) is reported missing."""
    prefix = str(ctx.infra.get("docker_repo_prefix", ""))
    if cf.infra_registry_type(ctx.infra) != "gar" or is_deferred(prefix):
        return
    if len(prefix.split("/")) != 3:
        yield _error(
            ctx,
            "config.values.infra.docker_repo_prefix",
            f"{prefix!r} must be LOCATION-docker.pkg.dev/PROJECT/REPOSITORY exactly: the "
            "server's GAR client reads the project and repository from its 2nd and 3rd parts",
        )
    for key in cf.INFERENCE_REPOSITORIES:
        name = ctx.launch.get(key)
        if isinstance(name, str) and "/" in name:
            yield _error(
                ctx,
                f"config.values.launch.{key}",
                f"{name!r} is nested: the server's Artifact Registry lookup sends the name "
                "without URL-encoding its '/', so the image is reported missing and endpoint "
                f"creates fail; use a flat name such as {name.replace('/', '-')!r}",
            )


@guard
def gcp_plain_redis(ctx: Context) -> Iterator[Finding]:
    if ctx.infra.get("cloud_provider") != "gcp":
        return
    if not ctx.get("redis.enableAuth") and not ctx.get("redis.enableTLS"):
        yield _warning(
            ctx,
            "config.values.infra.redis_host",
            "Redis (broker, results, cache) is used without AUTH and TLS: the pinned server's "
            "forwarders get neither, and KEDA reads a Redis password only from AWS Secrets "
            "Manager; keep the instance on the private network, reachable from the cluster "
            "only",
        )
