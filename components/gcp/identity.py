"""Google service accounts and their least IAM, from what the pinned server calls.

- Nodes: GKE's predefined roles/container.defaultNodeServiceAccount (logs, metrics,
  autoscaler metadata: what GKE's node agents need, nothing more), read images from this
  stack's repository and the Docker Hub mirror (kubelet pulls).
- Control plane (gateway, builder, cacher, migration; ServiceAccount `model-engine` in the
  release namespace): objects of the bucket, read the repository (image checks), and delete
  Pub/Sub topics and subscriptions (every endpoint delete calls the Pub/Sub delegate; the
  create path is never reached on GCP because the builder uses its SQS delegate). That grant
  is project-wide on purpose: IAM Conditions on resource names are not evaluated for Pub/Sub
  (pubsub.googleapis.com is not among the services that support resource attributes, only
  pubsublite is), so a `resource.name.startsWith(...)` condition would never match and
  every endpoint delete would fail with PERMISSION_DENIED. The custom role carries the two
  delete permissions only.
  The control plane's `model-engine` ServiceAccount exists in the endpoint namespace too and
  is bound to it: the batch-job orchestration Job runs there under that name
  (batch-job-orchestration-job.yaml), writes results to the bucket and deletes its endpoint
  at the end, Pub/Sub topic and subscription included (start_batch_job_orchestration.py ->
  live_batch_job_orchestration_service.py -> delete_queue).
- Inference (ServiceAccount INFERENCE_SERVICE_ACCOUNT in the endpoint namespace; endpoint
  pods and docker-image batch jobs, i.e. user code): read the bucket (`gcloud storage rsync`
  of checkpoints). No Pub/Sub: with its own account, user code cannot delete the project's
  topics, which the project-wide cleanup role would allow.
Each Workload Identity binding names exactly one Kubernetes ServiceAccount.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.gcp.common import child, service_account_member, trim_name, workload_identity_member
from components.model_engine import chart_facts as cf
from components.sdk import lazy

if TYPE_CHECKING:
    import pulumi_gcp.storage as gcs
    from pulumi_gcp import artifactregistry, projects, serviceaccount
else:
    artifactregistry = lazy("pulumi_gcp.artifactregistry")
    projects = lazy("pulumi_gcp.projects")
    serviceaccount = lazy("pulumi_gcp.serviceaccount")
    gcs = lazy("pulumi_gcp.storage")

# Project roles of the nodes' service account: GKE's own minimal role for node service
# accounts (GKE hardening guide: "Use least privilege Google service accounts"), which
# replaces the legacy logWriter/metricWriter/monitoring.viewer trio.
NODE_PROJECT_ROLES = ("roles/container.defaultNodeServiceAccount",)
REGISTRY_READER = "roles/artifactregistry.reader"
CONTROL_PLANE_BUCKET_ROLE = "roles/storage.objectAdmin"
INFERENCE_BUCKET_ROLE = "roles/storage.objectViewer"
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
# gcp_pubsub_queue_endpoint_resource_delegate.delete_queue: delete_subscription, delete_topic
# (NotFound is ignored, anything else fails the endpoint delete).
PUBSUB_DELETE_PERMISSIONS = ("pubsub.subscriptions.delete", "pubsub.topics.delete")
# The inference pods' ServiceAccount (chart serviceTemplate.serviceAccountName), apart from the
# control plane's `model-engine`, which the batch-job orchestration uses in the same namespace.
INFERENCE_SERVICE_ACCOUNT = "model-engine-inference"


def account_id(environment: str, suffix: str) -> str:
    """A service-account id (6-30 characters, [a-z][a-z0-9-]*[a-z0-9]) for this deployment."""
    stem = trim_name(f"me-{environment}", 30 - len(suffix) - 1)
    return f"{stem}-{suffix}"


def account_email(account: str, project: str) -> str:
    return f"{account}@{project}.iam.gserviceaccount.com"


def custom_role_id(environment: str) -> str:
    """Custom role ids are [a-zA-Z0-9_.], 3-64 characters; a long environment is cut with a
    hash of the whole id, so two environments never share a role."""
    return trim_name("modelEngineQueueCleanup-" + environment, 64).replace("-", "_")


@dataclass
class NodeIdentityArgs:
    project: str
    environment: str


class NodeIdentity(pulumi.ComponentResource):
    """The service account the GKE nodes run as (never the Compute Engine default)."""

    account: serviceaccount.Account

    def __init__(
        self, name: str, args: NodeIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:gcp:NodeIdentity", name, None, opts)
        self.account = serviceaccount.Account(
            f"{name}-account",
            account_id=account_id(args.environment, "node"),
            display_name=f"model-engine {args.environment}: GKE nodes",
            project=args.project,
            opts=child(self),
        )
        member = self.account.email.apply(service_account_member)
        for role in NODE_PROJECT_ROLES:
            projects.IAMMember(
                f"{name}-{role.removeprefix('roles/').replace('.', '-')}",
                project=args.project,
                role=role,
                member=member,
                opts=child(self),
            )
        self.register_outputs({"email": self.account.email})


@dataclass
class IdentityArgs:
    project: str
    environment: str
    release_namespace: str
    endpoint_namespace: str
    bucket: pulumi.Input[str]
    repository: artifactregistry.Repository
    # The Docker Hub mirror the nodes also pull from, if any.
    mirror: artifactregistry.Repository | None
    node_service_account: pulumi.Input[str]
    # The identity pool PROJECT.svc.id.goog exists once the cluster has Workload Identity.
    cluster: pulumi.Resource
    # derive.orchestrator_account_in_endpoint_namespace: whether the chart creates the control
    # plane's account in the endpoint namespace (batch-job orchestration); without it, no
    # Google identity trusts that name where user code runs.
    orchestrator_account_in_endpoint_namespace: bool = True


class Identity(pulumi.ComponentResource):
    control_plane: serviceaccount.Account
    inference: serviceaccount.Account
    queue_cleanup_role: projects.IAMCustomRole
    # Workload Identity member -> the Google service account it may act as.
    bindings: Mapping[str, str]

    def __init__(self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:gcp:Identity", name, None, opts)
        project, env = args.project, args.environment
        self.control_plane = serviceaccount.Account(
            f"{name}-control-plane",
            account_id=account_id(env, "ctl"),
            display_name=f"model-engine {env}: control plane",
            project=project,
            opts=child(self),
        )
        self.inference = serviceaccount.Account(
            f"{name}-inference",
            account_id=account_id(env, "inf"),
            display_name=f"model-engine {env}: inference endpoints and jobs",
            project=project,
            opts=child(self),
        )
        control_member = self.control_plane.email.apply(service_account_member)
        inference_member = self.inference.email.apply(service_account_member)

        ksa = {
            "control-plane": (
                self.control_plane,
                args.release_namespace,
                cf.CONTROL_PLANE_SERVICE_ACCOUNT,
            ),
            "inference": (self.inference, args.endpoint_namespace, INFERENCE_SERVICE_ACCOUNT),
        }
        if args.orchestrator_account_in_endpoint_namespace:
            ksa["control-plane-endpoints"] = (
                self.control_plane,
                args.endpoint_namespace,
                cf.CONTROL_PLANE_SERVICE_ACCOUNT,
            )
        self.bindings = {}
        for key, (account, namespace, ksa_name) in ksa.items():
            member = workload_identity_member(project, namespace, ksa_name)
            self.bindings[member] = key
            serviceaccount.IAMMember(
                f"{name}-{key}-workload-identity",
                service_account_id=account.name,
                role=WORKLOAD_IDENTITY_USER,
                member=member,
                opts=child(self, depends_on=[args.cluster]),
            )

        gcs.BucketIAMMember(
            f"{name}-control-plane-bucket",
            bucket=args.bucket,
            role=CONTROL_PLANE_BUCKET_ROLE,
            member=control_member,
            opts=child(self),
        )
        gcs.BucketIAMMember(
            f"{name}-inference-bucket",
            bucket=args.bucket,
            role=INFERENCE_BUCKET_ROLE,
            member=inference_member,
            opts=child(self),
        )
        node_member = pulumi.Output.from_input(args.node_service_account).apply(
            service_account_member
        )
        readers = [
            ("control-plane-registry", args.repository, control_member),
            ("nodes-registry", args.repository, node_member),
        ]
        if args.mirror is not None:
            readers.append(("nodes-dockerhub", args.mirror, node_member))
        for key, repo, member in readers:
            artifactregistry.RepositoryIamMember(
                f"{name}-{key}",
                project=repo.project,
                location=repo.location,
                repository=repo.name,
                role=REGISTRY_READER,
                member=member,
                opts=child(self),
            )

        self.queue_cleanup_role = projects.IAMCustomRole(
            f"{name}-queue-cleanup",
            role_id=custom_role_id(env),
            title=f"model-engine {env}: delete endpoint Pub/Sub queues",
            description=(
                "What model-engine's Pub/Sub delegate calls when an endpoint is deleted: "
                "delete_subscription and delete_topic"
            ),
            permissions=list(PUBSUB_DELETE_PERMISSIONS),
            project=project,
            opts=child(self),
        )
        projects.IAMMember(
            f"{name}-control-plane-queue-cleanup",
            project=project,
            role=self.queue_cleanup_role.name,
            member=control_member,
            opts=child(self),
        )
        self.register_outputs(
            {
                "control_plane_email": self.control_plane.email,
                "inference_email": self.inference.email,
            }
        )
