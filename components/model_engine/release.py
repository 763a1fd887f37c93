"""ModelEngine: namespaces, the Secrets the chart names, then the chart as a helm.v3.Release.

The Release is the one place chart values are computed: the platform's facts are resolved
once and handed to `derive`, and `guards` judge the result before Helm sees it. Credentials
only ever reach Kubernetes Secrets; the values name those Secrets.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components import contract
from components.addons.alert_rules import ALERT_RULES_CONFIGMAP, RULES_FILE
from components.contract import GpuNodePool, PlatformFacts, PlatformOutputs
from components.isolation import psa
from components.model_engine import aws_config, guards, image_tags
from components.model_engine import chart_facts as cf
from components.model_engine.derive import SecretRefs, derive
from components.settings import StackSettings
from components.settings_base import SettingsError

DATABASE_SECRET = "model-engine-database"
REDIS_AUTH_SECRET = "model-engine-redis-auth"
PLATFORM_ENV_SECRET = "model-engine-platform-env"


def render(
    facts: PlatformFacts,
    settings: StackSettings,
    pools: Sequence[GpuNodePool],
    refs: SecretRefs,
) -> tuple[dict[str, Any], list[guards.Finding]]:
    """Derive the values and judge them; raise GuardError on any error."""
    values = derive(facts, settings, pools, refs)
    findings = guards.check(values, settings, pools)
    guards.enforce(findings)
    return values, findings


def secret_refs(facts: PlatformFacts, secret_env_keys: Collection[str]) -> SecretRefs:
    """The Kubernetes Secrets this component creates, by what the platform provides."""
    return SecretRefs(
        database=None if facts.database.cloud_secret_name else DATABASE_SECRET,
        redis_auth=REDIS_AUTH_SECRET if facts.cache.auth else None,
        platform_env=PLATFORM_ENV_SECRET if secret_env_keys else None,
        platform_env_keys=tuple(sorted(secret_env_keys)),
    )


def preflight(
    settings: StackSettings,
    facts: PlatformFacts,
    pools: Sequence[GpuNodePool],
    secret_env_keys: Sequence[str] = (),
) -> list[guards.Finding]:
    """Judge the values from what is known before any resource exists (the platform's
    preview facts); unknown outputs are placeholders the guards skip."""
    missing_tags = image_tags.problems(facts, settings, bool(pools))
    if missing_tags:
        raise SettingsError(missing_tags)
    refs = secret_refs(facts, secret_env_keys)
    return render(facts, settings, pools, refs)[1]


def split_nulls(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split values into (without nulls, only the null keys) for Helm's two inputs."""
    clean: dict[str, Any] = {}
    nulls: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            nulls[key] = None
        elif isinstance(value, Mapping):
            inner, inner_nulls = split_nulls(value)
            clean[key] = inner
            if inner_nulls:
                nulls[key] = inner_nulls
        else:
            clean[key] = value
    return clean, nulls


def database_url(facts: PlatformFacts, password: str) -> str:
    db = facts.database
    user = urllib.parse.quote(str(db.user), safe="")
    secret = urllib.parse.quote(password, safe="")
    return f"postgresql://{user}:{secret}@{db.host}:{db.port}/{db.name}?sslmode={db.ssl_mode}"


@dataclass
class ModelEngineArgs:
    settings: StackSettings
    platform: PlatformOutputs
    # Add-ons whose CRDs or services the chart needs (Istio, KEDA, ...).
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    # Overrides the platform's Prometheus address (e.g. the one the add-ons installed).
    prometheus_address: pulumi.Input[str] | None = None
    # Controllers that must outlive the namespaces (KEDA: finalizers of ScaledObjects).
    namespace_depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    # model-engine's alert rules for a Prometheus the stack brings (the add-ons install
    # none): written to a ConfigMap in the release namespace for its operator to load.
    alert_rules: Mapping[str, Any] | None = None


class ModelEngine(pulumi.ComponentResource):
    release: k8s.helm.v3.Release
    release_namespace: k8s.core.v1.Namespace
    endpoint_namespace: k8s.core.v1.Namespace
    secrets: list[k8s.core.v1.Secret]
    image_builder_account: k8s.core.v1.ServiceAccount
    aws_config: k8s.core.v1.ConfigMap | None
    values: pulumi.Output[dict[str, Any]]

    def __init__(
        self, name: str, args: ModelEngineArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:index:ModelEngine", name, None, opts)
        settings, platform = args.settings, args.platform
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=platform.kubernetes_provider)
        ns = settings.namespaces

        # With Istio, both namespaces get sidecars: endpoints need them for routing, and the
        # gateway's HPA reads request-concurrency-average from its own sidecar. The chart opts
        # its hook Jobs and the cacher out.
        labels = {"app.kubernetes.io/part-of": "model-engine"}
        if settings.istio.enabled:
            labels["istio-injection"] = "enabled"
        # The strictest Pod Security level their pods pass (components/isolation/psa.py).
        labels |= psa.model_engine_namespace(settings.istio.enabled)
        # On `pulumi destroy` a namespace goes before what it depends on, and Pulumi waits
        # until it is gone: the endpoints' pods, PersistentVolumeClaims (the EBS CSI driver
        # must still run to delete their volumes) and KEDA objects (KEDA must still run to
        # clear their finalizers) leave before the nodes, the storage driver and KEDA.
        ns_opts = pulumi.ResourceOptions(
            parent=self,
            provider=platform.kubernetes_provider,
            depends_on=[*platform.depends_on, *args.namespace_depends_on],
        )
        self.release_namespace = k8s.core.v1.Namespace(
            f"{name}-release-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ns.release, labels=labels),
            opts=ns_opts,
        )
        self.endpoint_namespace = k8s.core.v1.Namespace(
            f"{name}-endpoint-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ns.endpoints, labels=labels),
            opts=ns_opts,
        )
        namespaces = [self.release_namespace, self.endpoint_namespace]
        if args.alert_rules is not None:
            k8s.core.v1.ConfigMap(
                f"{name}-alert-rules",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=ALERT_RULES_CONFIGMAP,
                    namespace=self.release_namespace.metadata.name,
                    labels={"app.kubernetes.io/part-of": "model-engine"},
                ),
                data={RULES_FILE: yaml.safe_dump(dict(args.alert_rules), sort_keys=False)},
                opts=k8s_opts,
            )

        facts = platform.facts
        if args.prometheus_address is not None:
            facts = dataclasses.replace(facts, prometheus_address=args.prometheus_address)
        resolved = contract.resolve(facts)
        creds = platform.credentials

        if facts.cache.auth != (creds.redis_auth_token is not None):
            raise ValueError("platform bug: cache.auth must match credentials.redis_auth_token")
        refs = secret_refs(facts, creds.env)
        self.secrets = []
        if refs.database:
            url = pulumi.Output.all(resolved, creds.database_password).apply(
                lambda a: database_url(a[0], a[1])
            )
            self.secrets += self._secret_in_each(
                name, "database", refs.database, {cf.DATABASE_SECRET_KEY: url}, namespaces, k8s_opts
            )
        if refs.redis_auth and creds.redis_auth_token is not None:
            token = {cf.REDIS_AUTH_SECRET_KEY: creds.redis_auth_token}
            self.secrets += self._secret_in_each(
                name, "redis-auth", refs.redis_auth, token, namespaces, k8s_opts
            )
        if refs.platform_env:
            self.secrets += self._secret_in_each(
                name, "platform-env", refs.platform_env, dict(creds.env), namespaces, k8s_opts
            )

        # The server runs image builds as ServiceAccount `kaniko` in namespace `default`, but
        # the chart creates that account only in the release namespace.
        self.image_builder_account = k8s.core.v1.ServiceAccount(
            f"{name}-image-builder-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=cf.IMAGE_BUILDER_SERVICE_ACCOUNT,
                namespace=cf.IMAGE_BUILDER_NAMESPACE,
                annotations=dict(facts.identities.image_builder),
                labels={"app.kubernetes.io/part-of": "model-engine"},
            ),
            opts=k8s_opts,
        )

        self.aws_config = self._endpoint_aws_config(name, facts, k8s_opts)

        pools = list(platform.gpu_pools)

        def values_for(f: PlatformFacts) -> dict[str, Any]:
            values, findings = render(f, settings, pools, refs)
            for finding in findings:
                pulumi.log.warn(f"{finding.path}: {finding.message}", resource=self)
            return values

        rendered = resolved.apply(values_for)
        # Pulumi's Python SDK strips None from maps before they reach Helm, so a `key: null`
        # (the only way to clear a chart default such as nodeSelector) travels in a values
        # file instead; Helm merges it first and `values` on top.
        self.values = rendered.apply(lambda v: split_nulls(v)[0])
        null_overlay = rendered.apply(lambda v: split_nulls(v)[1])

        chart = settings.chart
        repository_opts = None
        chart_ref = chart.path or chart.name
        if chart.repository and chart.is_oci:
            chart_ref = f"{chart.repository.rstrip('/')}/{chart.name}"
        elif chart.repository:
            repository_opts = k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository)

        self.release = k8s.helm.v3.Release(
            f"{name}-chart",
            k8s.helm.v3.ReleaseArgs(
                name=chart.release_name,
                chart=chart_ref,
                version=chart.version,
                repository_opts=repository_opts,
                namespace=self.release_namespace.metadata.name,
                values=self.values,
                value_yaml_files=null_overlay.apply(
                    lambda overlay: [pulumi.StringAsset(yaml.safe_dump(overlay))] if overlay else []
                ),
                # A failed install or upgrade rolls back instead of leaving the release
                # locked in "another operation is in progress".
                atomic=True,
                cleanup_on_fail=True,
                timeout=chart.timeout_seconds,
                wait_for_jobs=True,
                max_history=chart.max_history,
                create_namespace=False,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=platform.kubernetes_provider,
                depends_on=[
                    *namespaces,
                    *self.secrets,
                    *([self.aws_config] if self.aws_config else []),
                    *platform.depends_on,
                    *platform.chart_depends_on,
                    *args.depends_on,
                ],
            ),
        )
        self.register_outputs(
            {
                "release_name": self.release.name,
                "namespace": self.release_namespace.metadata.name,
                "endpoint_namespace": self.endpoint_namespace.metadata.name,
            }
        )

    def _endpoint_aws_config(
        self, name: str, facts: PlatformFacts, opts: pulumi.ResourceOptions
    ) -> k8s.core.v1.ConfigMap | None:
        """On AWS, the endpoint namespace's AWS config file: the chart's writes only the
        control-plane role (components/model_engine/aws_config.py says why)."""
        if facts.cloud_provider != "aws":
            return None
        ids = facts.identities
        config = pulumi.Output.all(
            ids.control_plane.get(cf.IRSA_ROLE_ANNOTATION, ""),
            ids.inference.get(cf.IRSA_ROLE_ANNOTATION, ""),
        ).apply(lambda arns: aws_config.endpoint_config(arns[0], arns[1]))
        return k8s.core.v1.ConfigMap(
            f"{name}-endpoint-aws-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=aws_config.CONFIG_MAP_NAME,
                namespace=self.endpoint_namespace.metadata.name,
                labels={"app.kubernetes.io/part-of": "model-engine"},
            ),
            data={aws_config.CONFIG_KEY: config},
            opts=opts,
        )

    def _secret_in_each(
        self,
        name: str,
        suffix: str,
        secret_name: str,
        data: Mapping[str, pulumi.Input[str]],
        namespaces: list[k8s.core.v1.Namespace],
        opts: pulumi.ResourceOptions,
    ) -> list[k8s.core.v1.Secret]:
        """One Secret per namespace: batch and fine-tune jobs run in the endpoint namespace."""
        secret_data = {k: pulumi.Output.secret(v) for k, v in data.items()}
        return [
            k8s.core.v1.Secret(
                f"{name}-{suffix}-{label}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=secret_name, namespace=namespace.metadata.name
                ),
                type="Opaque",
                string_data=secret_data,
                opts=opts,
            )
            for label, namespace in zip(("release", "endpoints"), namespaces, strict=True)
        ]
