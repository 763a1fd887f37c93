"""The Google APIs the program and the server call, enabled by the program, with every other
GCP resource waiting for them.

A fresh project has most of them off: the first `pulumi up` would fail on the first network
or cluster, and with Pub/Sub off every endpoint delete fails (the server's Pub/Sub delegate
deletes the endpoint's topic and subscription and marks the endpoint UPDATE_FAILED on any
error but NotFound). They are never disabled on destroy: other workloads of the project may
use them, and disabling one that a retained Cloud SQL instance or bucket needs would break it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.gcp.common import child
from components.sdk import lazy

if TYPE_CHECKING:
    from pulumi_gcp import projects
else:
    projects = lazy("pulumi_gcp.projects")

# API -> who calls it.
SERVICES: dict[str, str] = {
    "compute.googleapis.com": "VPC, subnet, NAT, firewall, node VMs",
    "container.googleapis.com": "GKE cluster and node pools",
    "sqladmin.googleapis.com": "Cloud SQL for PostgreSQL",
    "redis.googleapis.com": "Memorystore for Redis",
    "servicenetworking.googleapis.com": "private services access (Cloud SQL, Memorystore)",
    "artifactregistry.googleapis.com": "image repository and Docker Hub mirror",
    "storage.googleapis.com": "the bucket (server, builds, fine-tunes)",
    "iam.googleapis.com": "service accounts and the custom role",
    "iamcredentials.googleapis.com": "Workload Identity tokens for the server's pods",
    "cloudresourcemanager.googleapis.com": "project IAM bindings",
    "pubsub.googleapis.com": "the server's endpoint deletes (Pub/Sub delegate)",
    "cloudkms.googleapis.com": "the key that encrypts GKE Secrets",
    "logging.googleapis.com": "node and cluster logs",
    "monitoring.googleapis.com": "node and cluster metrics",
}


def short(service: str) -> str:
    return service.removesuffix(".googleapis.com")


@dataclass
class ApisArgs:
    project: str


class Apis(pulumi.ComponentResource):
    """One projects.Service per API; `after` is what every other resource depends on."""

    services: dict[str, projects.Service]

    def __init__(self, name: str, args: ApisArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:gcp:Apis", name, None, opts)
        self.services = {
            service: projects.Service(
                f"{name}-{short(service)}",
                project=args.project,
                service=service,
                # Left on when the stack goes (module docstring).
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=child(self),
            )
            for service in SERVICES
        }
        self.register_outputs({"services": sorted(self.services)})

    @property
    def after(self) -> list[pulumi.Resource]:
        return list(self.services.values())


def waiting_for(apis: list[pulumi.Resource]) -> pulumi.ResourceTransformation:
    """A transformation (inherited by every descendant) that makes each resource wait for
    the APIs, whichever component registers it."""

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        return pulumi.ResourceTransformationResult(
            args.props,
            pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(depends_on=apis)),
        )

    return transform


def after_apis(
    parent: pulumi.Resource, apis: Sequence[pulumi.Resource]
) -> pulumi.InvokeOutputOptions:
    """Options for an invoke (a lookup) that calls an API this stack enables: invokes are not
    resources, so `waiting_for` never reaches them, and on a fresh project the lookup would
    run before the API is on."""
    return pulumi.InvokeOutputOptions(parent=parent, depends_on=list(apis))
