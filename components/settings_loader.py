"""Loading StackSettings from the stack's Pulumi config, and the config secrets.

``load_settings`` reads every ``model-engine-infra:*`` key the stack file sets, validates
them with the schema (components/settings.py) and turns every problem into one
``SettingsError`` whose lines name the key as written in the stack file and say how to fix
it. Secrets are never parsed into StackSettings: the platform that needs one reads it here.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pulumi
from pydantic import BaseModel, ValidationError

from components.platforms import PLATFORMS
from components.settings import StackSettings, stack_settings_schema
from components.settings_base import PROJECT, SettingsError

if TYPE_CHECKING:
    from components.platform import Platform
    from components.settings_base import Model

# Config secrets are read by the platform that needs them, never parsed into StackSettings,
# so a plaintext copy cannot end up in a model dump or an error message.
SECRET_KEYS: dict[str, str] = {
    "databasePassword": "password of the existing PostgreSQL user (existing platform)",
    "objectStorageAccessKeyId": "access key id for S3-compatible storage (existing platform)",
    "objectStorageSecretAccessKey": "secret key for S3-compatible storage (existing platform)",
    "alertWebhookUrl": (
        "URL Alertmanager posts model-engine's alerts to (PagerDuty, Slack, Teams ...); it "
        "stays in a Kubernetes Secret mounted into Alertmanager"
    ),
    "azureUpstreamToken": (
        "token for azure.registry.upstream.username (a private upstream the ACR cache reads)"
    ),
    "gcpRestoreUserPassword": (
        "the restore source's password of the database user (gcp.database.restore: a clone "
        "keeps the source's users and passwords, and the chart must carry it)"
    ),
    "azureRestoreAdminPassword": (
        "the restore source's administrator password (azure.database.restore: a restored "
        "Flexible Server keeps it, and the chart and Key Vault must carry it)"
    ),
}

# Keys an operator will reasonably try, refused with the reason instead of "unknown key".
DELIBERATELY_ABSENT: dict[str, str] = {
    "redisPassword": (
        "with cloud `existing` (cloud_provider onprem) the server reads its cache Redis URL "
        "from a ConfigMap, so a password would be stored there and in the Helm release in "
        "plaintext; use a Redis reachable without AUTH on a private network, or cloud `aws`, "
        "whose ElastiCache token reaches the server through Secrets Manager"
    ),
}


def _raw_project_config() -> dict[str, str]:
    """Every `model-engine-infra:*` key the stack file sets, without the prefix."""
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{PROJECT}:"
    return {k[len(prefix) :]: v for k, v in merged.items() if k.startswith(prefix)}


def _parse(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _key(loc: tuple[int | str, ...]) -> str:
    """The stack file's key at `loc`; the project alone for a rule over the whole stack (a
    model validator), so its message follows `model-engine-infra: `, not an empty key."""
    if not loc:
        return PROJECT
    path = f"{PROJECT}:"
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if i else "") + part
    return path


def _fields_at(schema: type[StackSettings], loc: tuple[int | str, ...]) -> list[str]:
    """Known camelCase keys of the model at `loc` (for did-you-mean hints)."""
    model: Any = schema
    for part in loc:
        if isinstance(part, int):
            continue
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            return []
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if model is None:
            return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _describe(schema: type[StackSettings], err: Any) -> str:
    loc = tuple(err["loc"])
    kind = err["type"]
    msg = err["msg"]
    if kind == "extra_forbidden":
        parent, name = loc[:-1], str(loc[-1])
        known = _fields_at(schema, parent)
        near = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean `{near[0]}`?" if near else f"known keys: {', '.join(known)}"
        return f"{_key(loc)}: unknown key; {hint}"
    if kind == "missing":
        return f"{_key(loc)}: required but not set; add it to the stack file"
    msg = msg.removeprefix("Value error, ")
    if not loc and msg.startswith(f"{PROJECT}:"):
        # A rule over the whole stack that names the key it refuses (gpu.pools[i]...): that
        # key, not the project's name in front of it again.
        return msg
    given = err.get("input")
    # The value, unless it is a block or the message quotes it already.
    hidden = isinstance(given, (dict, list)) or given is None or repr(given) in msg
    shown = "" if hidden else f" (got {given!r})"
    return f"{_key(loc)}: {msg}{shown}"


def settings_from_config(
    config: dict[str, Any], platforms: Iterable[Platform[Model]] = PLATFORMS.values()
) -> StackSettings:
    """Validate a stack file's `config:` map directly (no Pulumi engine), as load_settings
    would; secure values are left out (they never become settings)."""
    prefix = f"{PROJECT}:"
    data = {
        k[len(prefix) :]: json.loads(json.dumps(v))
        for k, v in config.items()
        if k.startswith(prefix) and not (isinstance(v, dict) and set(v) == {"secure"})
    }
    return stack_settings_schema(platforms, data.get("cloud")).model_validate(data)


def load_settings(platforms: Iterable[Platform[Model]] = PLATFORMS.values()) -> StackSettings:
    """Read and validate the stack's settings; raise SettingsError with every problem.
    `platforms`: the program's, or another list for the schema's tests (the catalogs and the
    fit model read components/platforms.py: a platform with GPU pools must be listed there)."""
    from pulumi.runtime import config as runtime_config

    raw = _raw_project_config()
    problems: list[str] = []
    data: dict[str, Any] = {}
    for key, value in raw.items():
        if key in DELIBERATELY_ABSENT:
            problems.append(f"{PROJECT}:{key}: not supported: {DELIBERATELY_ABSENT[key]}")
            continue
        if key in SECRET_KEYS:
            if not runtime_config.is_config_secret(f"{PROJECT}:{key}"):
                problems.append(
                    f"{PROJECT}:{key}: must be a secret; set it with "
                    f"`pulumi config set --secret {key} <value>`"
                )
            continue
        data[key] = _parse(value)
    schema = stack_settings_schema(platforms, data.get("cloud"))
    try:
        settings = schema.model_validate(data)
    except ValidationError as e:
        problems.extend(_describe(schema, err) for err in e.errors())
        raise SettingsError(problems) from None
    if problems:
        raise SettingsError(problems)
    return settings


# What the offline plan passes for a `secure:` value it cannot decrypt; checks of a secret's
# content skip it (the real value is checked by `pulumi preview` and `pulumi up`).
OFFLINE_SECRET = "[secret]"


def secret_plaintext(key: str) -> str | None:
    """A config secret's value for checks that must run before any resource exists; never
    to be stored, logged or put in a message."""
    assert key in SECRET_KEYS, key
    value = _raw_project_config().get(key)
    return None if value is None or value == OFFLINE_SECRET else str(value)


def is_set(key: str) -> bool:
    """Whether the stack sets a config secret (its value is not read)."""
    assert key in SECRET_KEYS, key
    return key in _raw_project_config()


def secret(key: str) -> pulumi.Output[str] | None:
    """A config secret as a secret Output, or None when the stack does not set it."""
    assert key in SECRET_KEYS, key
    return pulumi.Config(PROJECT).get_secret(key)


def require_url_safe_secret(key: str, why: str, fix: str) -> None:
    """Refuse a credential the server reads from its database URL when it has characters the
    URL would %-escape (the migration's config parser breaks on them); never echo it."""
    from components.model_engine.chart_facts import URL_SAFE_CREDENTIAL

    value = secret_plaintext(key)
    if value is not None and not re.fullmatch(URL_SAFE_CREDENTIAL, value):
        raise SettingsError(
            [
                f"{PROJECT}:{key}: uses characters outside letters, digits and . _ ~ -; {why}, "
                f"whose %-escapes break the migration's config parser. {fix}"
            ]
        )


def require_secrets(settings: StackSettings, keys: list[str]) -> None:
    """Fail before any resource exists when a platform's required secrets are missing."""
    raw = _raw_project_config()
    missing = [k for k in keys if k not in raw]
    if missing:
        raise SettingsError(
            [
                f"{PROJECT}:{k}: required for cloud {settings.cloud!r} ({SECRET_KEYS[k]}); "
                f"set it with `pulumi config set --secret {k} <value>`"
                for k in missing
            ]
        )
