"""GCP: Workload Identity Federation (a pool with a GitHub provider) and two service accounts
that exactly one set of GitHub subjects may impersonate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp import iam, kms, projects, serviceaccount, storage

from bootstrap.ci_trust.github import ISSUER, Subjects
from bootstrap.ci_trust.settings import GcpTrust
from components.gcp.common import KMS_ENCRYPTER
from components.gcp.identity import (
    CONTROL_PLANE_BUCKET_ROLE,
    INFERENCE_BUCKET_ROLE,
    NODE_PROJECT_ROLES,
    REGISTRY_READER,
    WORKLOAD_IDENTITY_USER,
    custom_role_id,
)

# The token's claims the conditions and principals can use.
ATTRIBUTE_MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.repository": "assertion.repository",
    "attribute.ref": "assertion.ref",
    "attribute.event_name": "assertion.event_name",
    "attribute.environment": "assertion.environment",
}
# Read the project, and the Kubernetes objects of its clusters (Secrets excepted): what a
# `pulumi preview` of a stack with a Kubernetes provider reads.
PREVIEW_PROJECT_ROLES = ("roles/viewer", "roles/container.viewer")
# What `pulumi up` of components/gcp needs: create the network, GKE, Cloud SQL, Memorystore,
# Artifact Registry, buckets, KMS keys and service accounts (editor), and the Kubernetes
# objects, RBAC included, of the clusters (container.admin).
DEPLOY_PROJECT_ROLES = ("roles/editor", "roles/container.admin")
# Setting IAM policies, only for the roles the program grants ("Set limits on granting roles":
# IAM Conditions on iam.googleapis.com/modifiedGrantsByRole): the project's, and those of the
# service accounts, buckets, KMS keys and Artifact Registry repositories the program grants
# on (editor sets no IAM policy). Other permissions of these roles see an empty list and pass.
DEPLOY_IAM_ADMIN_ROLES = (
    "roles/resourcemanager.projectIamAdmin",
    "roles/iam.serviceAccountAdmin",
    "roles/storage.admin",
    "roles/cloudkms.admin",
    "roles/artifactregistry.admin",
)


def grantable_roles(project: str, environments: Sequence[str]) -> list[str]:
    """The roles the program grants (components/gcp): on the project, service accounts,
    buckets, KMS keys and registries, and the queue-cleanup custom role of each environment."""
    custom = [f"projects/{project}/roles/{custom_role_id(env)}" for env in environments]
    on_resources = (
        WORKLOAD_IDENTITY_USER,
        CONTROL_PLANE_BUCKET_ROLE,
        INFERENCE_BUCKET_ROLE,
        KMS_ENCRYPTER,
        REGISTRY_READER,
    )
    return sorted({*NODE_PROJECT_ROLES, *on_resources, *custom})


def limited_grants_expression(roles: Sequence[str]) -> str:
    listed = ", ".join(f"'{role}'" for role in roles)
    return f"api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([{listed}])"


def attribute_condition(repository: str) -> str:
    """Only this repository's tokens are accepted by the pool's provider at all."""
    return f"assertion.repository == '{repository}'"


def principal(pool_name: str, subject: str) -> str:
    """`pool_name` is the pool's resource name: projects/NUMBER/locations/global/..."""
    return f"principal://iam.googleapis.com/{pool_name}/subject/{subject}"


@dataclass(frozen=True)
class GcpTrustArgs:
    settings: GcpTrust
    repository: str
    subjects: Subjects


class GcpGithubTrust(pulumi.ComponentResource):
    workload_identity_provider: pulumi.Output[str]
    preview_service_account: pulumi.Output[str]
    deploy_service_account: pulumi.Output[str]

    def __init__(self, name: str, args: GcpTrustArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-ci-trust:gcp:GithubTrust", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)
        pool = iam.WorkloadIdentityPool(
            f"{name}-pool",
            project=s.project,
            workload_identity_pool_id=f"{name}-github",
            display_name="GitHub Actions",
            opts=child,
        )
        provider = iam.WorkloadIdentityPoolProvider(
            f"{name}-github",
            project=s.project,
            workload_identity_pool_id=pool.workload_identity_pool_id,
            workload_identity_pool_provider_id="github",
            attribute_mapping=ATTRIBUTE_MAPPING,
            attribute_condition=attribute_condition(args.repository),
            oidc=iam.WorkloadIdentityPoolProviderOidcArgs(issuer_uri=ISSUER),
            opts=child,
        )
        preview = self._account(f"{name}-preview", s, pool, args.subjects.preview)
        deploy = self._account(f"{name}-deploy", s, pool, [args.subjects.deploy])
        # The state bucket and the stack secrets' key: read and decrypt for a preview,
        # read-write for a deploy.
        self._grant(
            f"{name}-preview",
            preview,
            PREVIEW_PROJECT_ROLES,
            ("roles/storage.objectViewer", "roles/cloudkms.cryptoKeyDecrypter"),
            s,
        )
        self._grant(
            f"{name}-deploy",
            deploy,
            DEPLOY_PROJECT_ROLES,
            ("roles/storage.objectAdmin", "roles/cloudkms.cryptoKeyEncrypterDecrypter"),
            s,
        )
        limited = projects.IAMMemberConditionArgs(
            title="only the roles model-engine grants",
            description="bootstrap/ci_trust: the deploy identity cannot grant other roles",
            expression=limited_grants_expression(grantable_roles(s.project, s.environments)),
        )
        for role in DEPLOY_IAM_ADMIN_ROLES:
            projects.IAMMember(
                f"{name}-deploy-{role.rsplit('/', 1)[-1].replace('.', '-')}",
                project=s.project,
                role=role,
                member=deploy.member,
                condition=limited,
                opts=child,
            )
        self.workload_identity_provider = provider.name
        self.preview_service_account = preview.email
        self.deploy_service_account = deploy.email
        self.register_outputs(
            {
                "workload_identity_provider": provider.name,
                "preview_service_account": preview.email,
                "deploy_service_account": deploy.email,
            }
        )

    def _account(
        self, name: str, s: GcpTrust, pool: iam.WorkloadIdentityPool, subjects: Sequence[str]
    ) -> serviceaccount.Account:
        account = serviceaccount.Account(
            name,
            project=s.project,
            account_id=name,
            display_name=f"GitHub Actions: {name}",
            opts=pulumi.ResourceOptions(parent=self),
        )
        for i, subject in enumerate(subjects):
            serviceaccount.IAMMember(
                f"{name}-github-{i}",
                service_account_id=account.name,
                role="roles/iam.workloadIdentityUser",
                member=pool.name.apply(lambda pool_name, sub=subject: principal(pool_name, sub)),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return account

    def _grant(
        self,
        base: str,
        account: serviceaccount.Account,
        project_roles: Sequence[str],
        state_roles: tuple[str, str],
        s: GcpTrust,
    ) -> None:
        object_role, key_role = state_roles
        child = pulumi.ResourceOptions(parent=self)
        for role in project_roles:
            projects.IAMMember(
                f"{base}-{role.rsplit('/', 1)[-1].replace('.', '-')}",
                project=s.project,
                role=role,
                member=account.member,
                opts=child,
            )
        storage.BucketIAMMember(
            f"{base}-state",
            bucket=s.state_bucket,
            role=object_role,
            member=account.member,
            opts=child,
        )
        if s.secrets_key:
            kms.CryptoKeyIAMMember(
                f"{base}-secrets",
                crypto_key_id=s.secrets_key,
                role=key_role,
                member=account.member,
                opts=child,
            )
