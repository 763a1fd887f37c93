"""Building blocks shared by StackSettings and each platform's settings block."""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator
from pydantic.alias_generators import to_camel

from components.model_engine.chart_facts import TAGGED_REPOSITORIES

# The Pulumi project: every stack key is `model-engine-infra:<key>`.
PROJECT = "model-engine-infra"


def pool_key(i: int, project: str = PROJECT) -> str:
    """The stack key of the i-th GPU pool, which every pool message starts with."""
    return f"{project}:gpu.pools[{i}]"


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# What a YAML 1.1 parser reads as something other than a string when written unquoted.
_YAML_SCALAR = re.compile(
    r"^([-+]?(\d[\d_]*)?\.?\d+([eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+"
    r"|true|false|yes|no|on|off|y|n|null|~)$",
    re.IGNORECASE,
)


def reads_as_non_string(value: str) -> bool:
    """True when the chart, writing `value` unquoted, would hand Kubernetes a number/bool."""
    return bool(_YAML_SCALAR.match(value))


def label_safe(value: str) -> str:
    """For values the chart writes unquoted into labels and env (tag, context, DD env)."""
    if reads_as_non_string(value):
        raise ValueError(
            f"{value!r} is written unquoted into labels and env values, where YAML reads it "
            "as a number or boolean and Kubernetes rejects it; use a value with a letter"
        )
    return value


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` wins; maps merge key by key, anything else (lists included) is replaced, as
    Helm merges a values file over a chart's defaults. Neither argument is modified: maps and
    lists are copied; other leaves (strings, numbers, Pulumi Outputs) are shared."""
    out = {key: _copied(value) for key, value in base.items()}
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = _copied(value)
    return out


def _copied(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value


class SettingsError(Exception):
    """A stack file that cannot be deployed. ``str()`` is the message for the operator."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the stack configuration has {len(problems)} problem(s):\n{lines}")


def _string_id(value: Any) -> Any:
    """Tags and ids are strings; YAML turns `tag: 1234` into a number and `1.10` into 1.1."""
    if isinstance(value, bool):
        raise ValueError("expected a string, got a boolean; quote the value")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise ValueError(
            f"YAML read this as the number {value!r}, which loses digits; quote the value"
        )
    return value


def _quantity(value: Any) -> Any:
    """Kubernetes quantities: `cpu: 2` and `cpu: 0.5` are fine as numbers, kept as strings."""
    if isinstance(value, bool):
        raise ValueError("expected a quantity such as 2, 500m or 4Gi, got a boolean")
    if isinstance(value, (int, float)):
        return str(value)
    return value


StringId = Annotated[str, BeforeValidator(_string_id)]
Quantity = Annotated[str, BeforeValidator(_quantity)]

# A Kubernetes quantity (resource.Quantity): a number with an optional SI or binary suffix.
_KUBERNETES_QUANTITY = re.compile(r"^(\d+(\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")
# A DNS subdomain (RFC 1123): what Kubernetes accepts as a StorageClass name.
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def kubernetes_quantity(value: str | None) -> str | None:
    if value is not None and not _KUBERNETES_QUANTITY.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes quantity such as 500m, 2, 256Mi or 8Gi")
    return value


def storage_class_name(value: str | None) -> str | None:
    if value is not None and (len(value) > 253 or not _DNS_SUBDOMAIN.match(value)):
        raise ValueError(
            f"{value!r} is not a StorageClass name (lower-case letters, digits, '-' and '.'); "
            "list the cluster's classes with `kubectl get storageclass`, or leave it unset "
            "for the default"
        )
    return value


def dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a valid Kubernetes name: use lower-case letters, digits and '-', "
            "at most 63 characters, starting and ending with a letter or digit"
        )
    return value


def validate_http_url(value: str | None) -> str | None:
    if value is not None and not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{value!r} must be an http:// or https:// URL")
    return value


def validate_bucket_name(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value):
        raise ValueError(f"{value!r} is not a valid bucket name (3-63 lower-case characters)")
    return value


def known_name(
    value: str,
    known: Sequence[str],
    what: str,
    example: str,
    *,
    near: int = 3,
    query: str | None = None,
) -> str:
    """`value` must be one of `known` (a cloud's regions, SKUs ...); otherwise the message
    names `what` it is not and suggests the nearest names (matched from `query`, default the
    value itself), else `example`."""
    if value not in known:
        close = difflib.get_close_matches(
            value if query is None else query, known, n=near, cutoff=0.6
        )
        hint = f"did you mean {' or '.join(close)}?" if close else f"e.g. {example}"
        raise ValueError(f"{value!r} is not {what}; {hint}")
    return value


# Private address space: RFC 1918 and carrier-grade NAT (GKE and EKS custom networking use
# it). The isolation's internet rule leaves these out, so a network must lie inside them for
# its addresses (the database, Redis, the nodes) to be out of user code's reach.
PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")


def network_cidr(value: str, example: str, why: str) -> str:
    """A new VPC's or VNet's address space: a private IPv4 block from /16 to /20; `why`
    completes the message on the block's size."""
    try:
        net = ipaddress.IPv4Network(value)
    except ValueError as e:
        raise ValueError(f"{value!r} is not an IPv4 CIDR block such as {example}") from e
    if not 16 <= net.prefixlen <= 20:
        raise ValueError(f"{value!r}: use a /16 to /20 block{why}")
    if not any(net.subnet_of(ipaddress.IPv4Network(p)) for p in PRIVATE_NETWORKS):
        raise ValueError(
            f"{value!r} is not private address space: use a block inside "
            f"{', '.join(PRIVATE_NETWORKS)} (the isolation's internet rule admits every other "
            f"address, so the database and Redis there would be reachable from user code)"
        )
    return value


def api_allowlist(cidrs: list[str], private: str) -> list[str]:
    """Networks that may reach a cluster's public API endpoint: CIDR blocks, none of them
    the whole internet; `private` names what an empty list gives."""
    for cidr in cidrs:
        try:
            net = ipaddress.ip_network(cidr)
        except ValueError as e:
            raise ValueError(f"{cidr!r} is not a CIDR block such as 203.0.113.0/24") from e
        if net.prefixlen == 0:
            raise ValueError(
                f"{cidr!r} opens the Kubernetes API to the whole internet; list the networks "
                f"you deploy from, or none for {private}"
            )
    return cidrs


def postgres_identifier(value: str) -> str:
    """A PostgreSQL database or user name the platform creates."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", value):
        raise ValueError(f"{value!r}: use lower-case letters, digits and _, starting with a letter")
    return value


class Model(BaseModel):
    """Base for stack-file blocks: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        # Validators are built on first use, not at import: a block is then built once, as
        # part of StackSettings, unless something uses it on its own first (the plan: ~10 ms).
        defer_build=True,
    )


class ContainerQuantities(Model):
    """A container's cpu and memory (requests or limits); unset keys are left out."""

    cpu: Quantity | None = None
    memory: Quantity | None = None

    _valid = field_validator("cpu", "memory")(kubernetes_quantity)

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("cpu", self.cpu), ("memory", self.memory)) if v is not None}


M = TypeVar("M", bound=BaseModel)


def checked(ok: Callable[[str], object], problem: str) -> Callable[[str], str]:
    """A field validator: the value as given when `ok(value)` holds, else ValueError with
    `problem`, in which `{value!r}` stands for the value."""

    def validate(value: str) -> str:
        if not ok(value):
            raise ValueError(problem.format(value=value))
        return value

    return validate


def one_or_more_tags(value: object) -> object:
    """A map of repository -> tag(s) as written: one tag or a list; read as lists."""
    if isinstance(value, dict):
        return {k: t if isinstance(t, list) else [t] for k, t in value.items()}
    return value


def ordered(model: M, low: str, high: str) -> M:
    """`model` when its field `low` is at most its field `high` (a pool's minimum and
    maximum size, an autoscaler's replica bounds), else ValueError naming both keys."""
    if getattr(model, low) > getattr(model, high):
        raise ValueError(f"{to_camel(low)} must not exceed {to_camel(high)}")
    return model


class PullThroughUpstream(Model):
    """An upstream registry the cloud's pull-through cache fills the stack's registry from,
    and the tags to pull through before the chart installs (a cloud's `Upstream` adds what
    its cache needs)."""

    # Registry host and optional path, e.g. ghcr.io/acme-ml.
    url: str

    @property
    def host(self) -> str:
        return self.url.split("/", 1)[0]

    @property
    def path(self) -> str:
        return self.url.split("/", 1)[1] if "/" in self.url else ""

    def check_url(self, example: str) -> None:
        if "://" in self.url or self.url.endswith("/"):
            raise ValueError(
                f"url {self.url!r}: write host[/path] without a scheme, e.g. {example}"
            )

    def check_warm(self, warm: Mapping[str, object]) -> None:
        """Only the repositories the upstream fills can be warmed."""
        unknown = sorted(set(warm) - set(TAGGED_REPOSITORIES))
        if unknown:
            raise ValueError(
                f"warm: {', '.join(unknown)} are not filled from the upstream; use "
                f"{', '.join(TAGGED_REPOSITORIES)}"
            )
