"""The CI-trust stack's input, validated before any resource exists.

Keys are `model-engine-ci-trust:github` (required) and one block per cloud to trust
(`aws`, `azure`, `gcp`; at least one). A problem is reported as a SettingsError naming the
key as written in the stack file, like the main program's settings.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from components.settings_base import Model, SettingsError, checked

PROJECT = "model-engine-ci-trust"

_REPOSITORY = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
_AZURE_SCOPE = re.compile(r"^/subscriptions/[0-9a-fA-F-]{36}(/resourceGroups/[^/]+)?$")
_AZURE_STORAGE = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+"
    r"/providers/Microsoft\.Storage/storageAccounts/[a-z0-9]{3,24}$"
)


class GitHub(Model):
    repository: str
    # The three GitHub environments whose jobs get a token (the `sub` claim names the
    # environment): a pull request's preview (required reviewers approve each run), the
    # nightly drift check (required reviewers: it decrypts the secrets too; deployment
    # branches: the default branch only) and deploys
    # (required reviewers, default branch only).
    preview_environment: str = "preview"
    drift_environment: str = "drift"
    deploy_environment: str = "production"

    _repository = field_validator("repository")(
        checked(_REPOSITORY.match, "{value!r} is not owner/name, e.g. acme/model-engine-infra")
    )

    @field_validator("preview_environment", "drift_environment", "deploy_environment")
    @classmethod
    def _no_wildcard(cls, value: str) -> str:
        # The subjects are matched exactly (Azure and GCP have no wildcards): a pattern here
        # would silently match nothing, or on AWS far more than meant.
        if not value or any(c in value for c in "*?:"):
            raise ValueError(f"{value!r} must be a plain name (no '*', '?' or ':')")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> GitHub:
        # One environment for two roles would hand the deploy identity to a preview job.
        names = [self.preview_environment, self.drift_environment, self.deploy_environment]
        if len(set(names)) != 3:
            raise ValueError(
                "previewEnvironment, driftEnvironment and deployEnvironment must differ "
                f"(got {', '.join(names)})"
            )
        return self


class AwsTrust(Model):
    region: str
    state_bucket: str
    secrets_key_arn: str | None = None
    # IAM has one OIDC provider per issuer and account: reuse it when it exists.
    oidc_provider_arn: str | None = None

    @field_validator("secrets_key_arn")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("arn:aws:kms:"):
            raise ValueError(f"{value!r} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)")
        return value

    @field_validator("oidc_provider_arn")
    @classmethod
    def _provider(cls, value: str | None) -> str | None:
        if value is not None and ":oidc-provider/token.actions.githubusercontent.com" not in value:
            raise ValueError(
                f"{value!r} is not the account's GitHub OIDC provider "
                "(arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com)"
            )
        return value


class AzureTrust(Model):
    location: str
    resource_group: str
    scope: str
    state_storage_account_id: str
    secrets_key_vault_id: str | None = None

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str, info: ValidationInfo) -> str:
        if not _AZURE_SCOPE.match(value):
            raise ValueError(
                f"{value!r} is not /subscriptions/<id> or /subscriptions/<id>/resourceGroups/<name>"
            )
        # The deploy identity is Contributor on the scope: were its own group inside it, it
        # could add a federated credential (any subject, a pull request's) to itself or to
        # the preview identity. Azure RBAC has no "not scopes", so the scope is one group
        # (the main stack's, created beforehand), and the identities live in another.
        group = value.partition("/resourceGroups/")[2]
        if not group:
            raise ValueError(
                f"{value!r} is a whole subscription, which holds resourceGroup (where the CI "
                "identities live, so the deploy identity could widen its own trust): give "
                "the resource group the stacks deploy into, /subscriptions/<id>/resourceGroups/"
                "<name> (create it first; main stack: azure.resourceGroup.existing: true)"
            )
        if group.lower() == str(info.data.get("resource_group", "")).lower():
            raise ValueError(
                f"{value!r} holds resourceGroup {group!r}, where the CI identities live (the "
                "deploy identity could widen its own trust): keep the identities in another group"
            )
        return value

    _storage = field_validator("state_storage_account_id")(
        checked(
            _AZURE_STORAGE.match,
            "{value!r} is not a storage account id (/subscriptions/<id>/resourceGroups/"
            "<name>/providers/Microsoft.Storage/storageAccounts/<account>)",
        )
    )


class GcpTrust(Model):
    project: str
    # Where the pool and the two service accounts live: a project of their own, apart from
    # `project`, where the deploy identity administers service accounts and IAM policies (in
    # one project it could let any principal impersonate its own account).
    identity_project: str
    state_bucket: str
    # The `environment` of each stack CI deploys into the project: the deploy identity may
    # grant each one's queue-cleanup custom role, and no other custom role.
    environments: list[str] = Field(min_length=1)
    secrets_key: str | None = None

    @field_validator("identity_project")
    @classmethod
    def _apart(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("project"):
            raise ValueError(
                f"{value!r} is `project`, where the deploy identity administers service "
                "accounts and IAM: it could widen its own trust there; give the CI "
                "identities a project of their own"
            )
        return value

    @field_validator("state_bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        if value.startswith("gs://"):
            raise ValueError(f"{value!r}: give the bucket name, without gs://")
        return value


class TrustSettings(Model):
    github: GitHub
    aws: AwsTrust | None = None
    azure: AzureTrust | None = None
    gcp: GcpTrust | None = None

    @model_validator(mode="after")
    def _some_cloud(self) -> TrustSettings:
        if not (self.aws or self.azure or self.gcp):
            raise ValueError(
                f"no cloud to trust: set at least one of {PROJECT}:aws, {PROJECT}:azure, "
                f"{PROJECT}:gcp (Pulumi.example.yaml shows each)"
            )
        return self


def _key(loc: tuple[Any, ...]) -> str:
    if not loc:
        return PROJECT
    return f"{PROJECT}:{loc[0]}" + "".join(f".{part}" for part in loc[1:])


def _describe(err: Any) -> str:
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        return f"{_key(loc)}: unknown key; Pulumi.example.yaml lists the known ones"
    if err["type"] == "missing":
        return f"{_key(loc)}: required but not set; add it to the stack file"
    return f"{_key(loc)}: {str(err['msg']).removeprefix('Value error, ')}"


def parse(raw: dict[str, Any]) -> TrustSettings:
    """`raw` maps the stack file's keys (without the project prefix) to their values."""
    data = {k: json.loads(v) if isinstance(v, str) and v[:1] == "{" else v for k, v in raw.items()}
    try:
        return TrustSettings.model_validate(data)
    except ValidationError as e:
        raise SettingsError([_describe(err) for err in e.errors()]) from None


def load() -> TrustSettings:
    """The running stack's settings (pulumi config)."""
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{PROJECT}:"
    return parse({k[len(prefix) :]: v for k, v in merged.items() if k.startswith(prefix)})
