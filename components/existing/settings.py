"""The `existing` block: a cluster, PostgreSQL, Redis, registry and storage the operator has."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.incluster.object_store import ObjectStoreInstall
from components.incluster.postgres import PostgresInstall
from components.incluster.registry import RegistryInstall
from components.incluster.valkey import ValkeyInstall
from components.model_engine.chart_facts import (
    INFERENCE_REPOSITORIES,
    URL_SAFE_CREDENTIAL,
    repository_name_problem,
)
from components.settings_base import Model, dns_label, validate_bucket_name, validate_http_url


def _host(value: str) -> str:
    """A bare host name or address: the program adds scheme, port and path itself."""
    if "://" in value or "/" in value or "@" in value:
        raise ValueError(
            f"{value!r} must be a host name or address alone, without a scheme, credentials or "
            "path (e.g. postgres.data.example.internal); the port has its own key"
        )
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]", value):
        raise ValueError(f"{value!r} is not a host name or IP address")
    return value


def _one_source(block: str, install: object, given: dict[str, object], needed: list[str]) -> None:
    """A service is either installed in the cluster (`install`) or the operator's own (its
    host keys): both, or neither, is a stack-file mistake."""
    set_keys = [k for k, v in given.items() if v is not None]
    if install is not None and set_keys:
        raise ValueError(
            f"`install` puts {block} in the cluster, so {', '.join(set_keys)} must not be set; "
            f"remove them, or remove `install` to use your own {block}"
        )
    missing = [k for k in needed if given.get(k) is None]
    if install is None and missing:
        raise ValueError(
            f"set {' and '.join(missing)} (your own {block}), or `install: {{}}` to have the "
            f"program install {block} in the cluster"
        )


class ExistingDatabase(Model):
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    name: str | None = None
    # Needs CREATE on the database: the migration job creates the schema.
    user: str | None = None
    ssl_mode: (
        Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None
    ) = None
    # CloudNativePG in the cluster instead of your PostgreSQL.
    install: PostgresInstall | None = None

    _host = field_validator("host")(_host)

    @model_validator(mode="after")
    def _source(self) -> ExistingDatabase:
        _one_source(
            "PostgreSQL",
            self.install,
            {
                "host": self.host,
                "port": self.port,
                "name": self.name,
                "user": self.user,
                "sslMode": self.ssl_mode,
            },
            ["host", "user"],
        )
        return self

    @field_validator("user", "name")
    @classmethod
    def _url_safe(cls, v: str | None) -> str | None:
        # Both go into the database URL, which alembic's ConfigParser reads: no `%` escapes.
        if v is not None and not re.fullmatch(URL_SAFE_CREDENTIAL, v):
            raise ValueError(
                f"{v!r} may use only letters, digits and . _ ~ - (it goes unescaped into the "
                "database URL, which the migration's config parser reads)"
            )
        return v


class ExistingRedis(Model):
    """A Redis reachable from the cluster without AUTH.

    On `onprem` the server builds its cache URL from REDIS_HOST with no credentials (and a
    cache_redis_onprem_url would carry the password in a ConfigMap), so a password-protected
    Redis cannot be used here without putting a credential in plaintext.
    """

    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    # Valkey in the cluster instead of your Redis.
    install: ValkeyInstall | None = None

    _host = field_validator("host")(_host)

    @model_validator(mode="after")
    def _source(self) -> ExistingRedis:
        _one_source("Redis", self.install, {"host": self.host, "port": self.port}, ["host"])
        return self


class ExistingObjectStorage(Model):
    bucket: str | None = None
    # S3-compatible endpoint (Ceph, SeaweedFS ...); unset = AWS S3.
    endpoint_url: str | None = None
    # Where fine-tune artifacts and user weights live; default: s3://<bucket>/<prefix>.
    fine_tune_repository: str | None = None
    fine_tuned_weights_prefix: str | None = None
    # An S3-compatible store in the cluster instead of yours (its bucket is install.bucket).
    install: ObjectStoreInstall | None = None

    _bucket = field_validator("bucket")(validate_bucket_name)
    _endpoint = field_validator("endpoint_url")(validate_http_url)

    @model_validator(mode="after")
    def _source(self) -> ExistingObjectStorage:
        _one_source(
            "object storage",
            self.install,
            {"bucket": self.bucket, "endpointUrl": self.endpoint_url},
            ["bucket"],
        )
        return self


class ExistingRegistry(Model):
    # A registry in the cluster instead of registryPrefix.
    install: RegistryInstall


class ExistingSettings(Model):
    # Path to a kubeconfig file (~ expands), or the kubeconfig itself; unset = the ambient
    # kubeconfig (KUBECONFIG or ~/.kube/config).
    kubeconfig: str | None = None
    context: str | None = None
    cluster_name: str
    region: str = "us-east-1"
    # Registry host (and optional path) the inference images live under, no scheme; or
    # `registry.install` for a registry in the cluster.
    registry_prefix: str | None = None
    registry: ExistingRegistry | None = None
    # Where the in-cluster services (the `install` choices) run; the program creates it.
    data_namespace: str = "model-engine-data"
    # Per-image repository names relative to registryPrefix; default: the chart's paths.
    repositories: dict[str, str] = {}
    # The server's registry client (infra.docker_registry_type); default: inferred from the
    # prefix for ECR/ACR/Artifact Registry, `onprem` (no image checks) for any other.
    registry_type: Literal["ecr", "acr", "gar", "onprem", "generic"] | None = None
    database: ExistingDatabase
    redis: ExistingRedis
    object_storage: ExistingObjectStorage
    prometheus_address: str | None = None
    # Annotations for the control-plane, inference and image-builder ServiceAccounts.
    service_account_annotations: dict[str, str] = {}
    inference_service_account_annotations: dict[str, str] = {}
    image_builder_annotations: dict[str, str] = {}

    @field_validator("kubeconfig")
    @classmethod
    def _kubeconfig(cls, v: str | None) -> str | None:
        is_path = v is not None and "\n" not in v and not v.lstrip().startswith(("{", "apiVersion"))
        return os.path.expanduser(v) if is_path and v else v

    _data_namespace = field_validator("data_namespace")(dns_label)

    @field_validator("registry_prefix")
    @classmethod
    def _prefix(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if "://" in v or v.endswith("/") or not re.match(r"^[A-Za-z0-9.-]+(:\d+)?(/|$)", v):
            raise ValueError(
                f"{v!r} must be a registry host with an optional path, no scheme and no "
                "trailing slash, e.g. registry.example.com/ml"
            )
        return v

    @model_validator(mode="after")
    def _registry(self) -> ExistingSettings:
        if (self.registry_prefix is None) == (self.registry is None):
            raise ValueError(
                "set exactly one of registryPrefix (your registry, e.g. "
                "registry.example.com/ml) and registry.install (a registry in the cluster)"
            )
        return self

    @property
    def installs_anything(self) -> bool:
        return any(
            b.install is not None
            for b in (self.database, self.redis, self.object_storage, self.registry)
            if b is not None
        )

    @model_validator(mode="after")
    def _repositories(self) -> ExistingSettings:
        unknown = sorted(set(self.repositories) - set(INFERENCE_REPOSITORIES))
        if unknown:
            raise ValueError(
                f"repositories has unknown image keys {', '.join(unknown)}; "
                f"known: {', '.join(INFERENCE_REPOSITORIES)}"
            )
        for key, name in self.repositories.items():
            problem = repository_name_problem(name)
            if problem:
                raise ValueError(
                    f"repositories.{key}: {name!r} {problem}; write the name relative to "
                    f"the registry prefix, e.g. "
                    f"{INFERENCE_REPOSITORIES[key]}"
                )
        return self
