"""The `existing` block: a cluster, PostgreSQL, Redis, registry and storage the operator has."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.model_engine.chart_facts import (
    INFERENCE_REPOSITORIES,
    URL_SAFE_CREDENTIAL,
    repository_name_problem,
)
from components.settings_base import Model, validate_bucket_name, validate_http_url


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


class ExistingDatabase(Model):
    host: str
    port: int = Field(default=5432, ge=1, le=65535)
    name: str = "llm_engine"
    # Needs CREATE on the database: the migration job creates the schema.
    user: str
    ssl_mode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = (
        "require"
    )

    _host = field_validator("host")(_host)

    @field_validator("user", "name")
    @classmethod
    def _url_safe(cls, v: str) -> str:
        # Both go into the database URL, which alembic's ConfigParser reads: no `%` escapes.
        if not re.fullmatch(URL_SAFE_CREDENTIAL, v):
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

    host: str
    port: int = Field(default=6379, ge=1, le=65535)

    _host = field_validator("host")(_host)


class ExistingObjectStorage(Model):
    bucket: str
    # S3-compatible endpoint (MinIO, Ceph ...); unset = AWS S3.
    endpoint_url: str | None = None
    # Where fine-tune artifacts and user weights live; default: s3://<bucket>/<prefix>.
    fine_tune_repository: str | None = None
    fine_tuned_weights_prefix: str | None = None

    _bucket = field_validator("bucket")(validate_bucket_name)
    _endpoint = field_validator("endpoint_url")(validate_http_url)


class ExistingSettings(Model):
    # Path to a kubeconfig file (~ expands), or the kubeconfig itself; unset = the ambient
    # kubeconfig (KUBECONFIG or ~/.kube/config).
    kubeconfig: str | None = None
    context: str | None = None
    cluster_name: str
    region: str = "us-east-1"
    # Registry host (and optional path) the inference images live under, no scheme.
    registry_prefix: str
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

    @field_validator("registry_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if "://" in v or v.endswith("/") or not re.match(r"^[A-Za-z0-9.-]+(:\d+)?(/|$)", v):
            raise ValueError(
                f"{v!r} must be a registry host with an optional path, no scheme and no "
                "trailing slash, e.g. registry.example.com/ml"
            )
        return v

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
                    f"registryPrefix ({self.registry_prefix}), e.g. "
                    f"{INFERENCE_REPOSITORIES[key]}"
                )
        return self
