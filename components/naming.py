"""Names and resource options every cloud package builds the same way; no provider SDK, so
the SDK-free modules may import it too."""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

import pulumi

T = TypeVar("T")

# The platform component's name: every resource the program names after its parent (IAM roles
# included, "platform-cluster-role-1a2b3c4") starts with it. CI's AWS deploy role may touch
# only roles so named (bootstrap/ci_trust).
PLATFORM_COMPONENT = "platform"


def base_name(environment: str) -> str:
    """The physical name stem of this deployment's cloud resources."""
    return f"model-engine-{environment}"


def service_namespace(address: str) -> str | None:
    """The namespace of an in-cluster Service address (`[scheme://]<service>.<namespace>.svc`,
    with or without the cluster domain), or None for any other host."""
    if "//" not in address:
        address = f"//{address}"
    labels = (urllib.parse.urlsplit(address).hostname or "").split(".")
    return labels[1] if len(labels) > 2 and labels[2] == "svc" else None


def trim_name(name: str, limit: int) -> str:
    """Cut a hyphenated name to `limit` characters without a trailing or double hyphen."""
    return re.sub(r"-+", "-", name[:limit]).rstrip("-")


def unique_trim(name: str, limit: int) -> str:
    """`name` within `limit` characters, without a double or trailing hyphen. A name that must
    be cut ends in a hash of the whole name, so two long environment names that share their
    first `limit` characters still get different resources."""
    name = re.sub(r"-+", "-", name).rstrip("-")
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: limit - len(digest) - 1].rstrip('-')}-{digest}"


def child(parent: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, **kwargs)


def stateful(parent: pulumi.Resource, protect: bool, **kwargs: Any) -> pulumi.ResourceOptions:
    """Options for stateful resources: protected and kept on delete unless the operator opts
    out with `protect: false`."""
    return pulumi.ResourceOptions(
        parent=parent, protect=protect, retain_on_delete=protect, **kwargs
    )


def lift(fn: Callable[..., T], *args: Any) -> pulumi.Input[T]:
    """fn(*args) on plain values, or an Output of it when any argument is an Output.

    The preview facts (placeholders) and the real facts (Outputs) go through the same
    functions, so what the preview shows is what the deploy computes.
    """
    if any(isinstance(a, pulumi.Output) for a in args):
        return pulumi.Output.all(*args).apply(lambda resolved: fn(*resolved))
    return fn(*args)
