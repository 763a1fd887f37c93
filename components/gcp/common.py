"""Small helpers the GCP components share: physical names, options, IAM members.

Kept apart from components/aws/common.py on purpose: importing that would load pulumi_aws
into every GCP plan.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, TypeVar

import pulumi

T = TypeVar("T")

# Label on every labelled GCP resource (besides the operator's).
PART_OF_LABEL = {"part-of": "model-engine"}
# What a Google service agent needs on a customer-managed key.
KMS_ENCRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"

# Cloud SQL and Memorystore take 10-40 minutes to create and longer to change tier; GPU
# node pools wait on capacity.
SQL_TIMEOUTS = pulumi.CustomTimeouts(create="90m", update="120m", delete="60m")
REDIS_TIMEOUTS = pulumi.CustomTimeouts(create="60m", update="90m", delete="60m")
GKE_TIMEOUTS = pulumi.CustomTimeouts(create="60m", update="90m", delete="60m")
NODE_POOL_TIMEOUTS = pulumi.CustomTimeouts(create="60m", update="120m", delete="60m")


def base_name(environment: str) -> str:
    """The physical name stem of this deployment's GCP resources."""
    return f"model-engine-{environment}"


def trim_name(name: str, limit: int) -> str:
    """`name` within `limit` characters, without a double or trailing hyphen. A name that must
    be cut ends in a hash of the whole name, so two long environment names that share their
    first `limit` characters still get different resources (GCP names are per project)."""
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
    """fn(*args) on plain values, or an Output of it when any argument is an Output, so the
    preview facts and the deployed facts go through the same functions."""
    if any(isinstance(a, pulumi.Output) for a in args):
        return pulumi.Output.all(*args).apply(lambda resolved: fn(*resolved))
    return fn(*args)


def service_account_member(email: str) -> str:
    return f"serviceAccount:{email}"


def workload_identity_member(project: str, namespace: str, ksa: str) -> str:
    """The IAM member a Kubernetes ServiceAccount becomes under GKE Workload Identity."""
    return f"serviceAccount:{project}.svc.id.goog[{namespace}/{ksa}]"
