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
# The APIs of identityProject that CI's logins call (API -> who calls it): a new project has
# some of them off, and the first GitHub token exchange would fail with "API not enabled".
IDENTITY_PROJECT_APIS = {
    "iam.googleapis.com": "the pool, its provider and the two service accounts",
    "sts.googleapis.com": "the exchange of GitHub's token for a federated one",
    "iamcredentials.googleapis.com": "the service accounts' access tokens (impersonation)",
    "cloudresourcemanager.googleapis.com": "the project lookups of google-github-actions/auth",
    "serviceusage.googleapis.com": "enabling these",
}
# Read the project, and the Kubernetes objects of its clusters (Secrets excepted): what a
# `pulumi preview` of a stack with a Kubernetes provider reads.
PREVIEW_PROJECT_ROLES = ("roles/viewer", "roles/container.viewer")
# What `pulumi up` of components/gcp creates, one narrow predefined role per service
# (tests/ci_trust/test_coverage.py maps every `gcp:` type of each GCP example stack's plan to
# one of them): no roles/editor, which holds actAs on every service account of the project and
# creates service-account keys. Every one is bound under the grant-limiting condition below:
# where a role sets IAM policies (the project's, and those of the service accounts, buckets,
# KMS keys and Artifact Registry repositories the program grants on, and any other of these
# roles may hold), it may grant only the roles the program grants; its other permissions see
# an empty list and pass.
DEPLOY_PROJECT_ROLES = (
    "roles/artifactregistry.admin",
    "roles/cloudkms.admin",
    "roles/cloudsql.admin",
    "roles/compute.networkAdmin",  # network, subnetwork, router, NAT, the peering's address
    "roles/compute.securityAdmin",  # firewall rules (networkAdmin has none)
    "roles/container.admin",  # GKE, and the Kubernetes objects (RBAC too) of its clusters
    "roles/iam.roleViewer",  # reads the queue-cleanup custom role (an owner creates it)
    "roles/iam.serviceAccountAdmin",
    # actAs, for the node pools that run as the program's node service account. The CI
    # identities live in another project (identityProject), out of its reach.
    "roles/iam.serviceAccountUser",
    "roles/logging.configWriter",  # the logs-based metrics the alerts read
    "roles/monitoring.alertPolicyEditor",
    "roles/monitoring.notificationChannelEditor",
    "roles/redis.admin",
    "roles/resourcemanager.projectIamAdmin",
    "roles/servicenetworking.networksAdmin",  # the private services access peering
    "roles/serviceusage.serviceUsageAdmin",  # enables the APIs the program uses
    "roles/storage.admin",
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


def attribute_condition(repository: str, subjects: Subjects, drift_subject: str) -> str:
    """The pool's provider accepts a token only from this repository, for exactly the subjects
    an identity trusts (a grant the deploy identity might make to any other principal of the
    pool can never be used), and the drift environment's only from a scheduled or manual run
    on main (GitHub's environment rules say so too; this holds if they are loosened)."""
    trusted = ", ".join(f"'{s}'" for s in (*subjects.preview, subjects.deploy))
    return (
        f"assertion.repository == '{repository}' && assertion.sub in [{trusted}] && "
        f"(assertion.sub != '{drift_subject}' || (assertion.ref == 'refs/heads/main' && "
        "assertion.event_name in ['schedule', 'workflow_dispatch']))"
    )


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
        apis = [
            projects.Service(
                f"{name}-{api.removesuffix('.googleapis.com')}",
                project=s.identity_project,
                service=api,
                # Left on when the trust goes: other workloads of the project may use them.
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for api in IDENTITY_PROJECT_APIS
        ]
        child = pulumi.ResourceOptions(parent=self, depends_on=apis)
        # The pool, its provider and the two service accounts live in identityProject, where
        # the deploy identity has no role: it cannot add a principal to its own account.
        pool = iam.WorkloadIdentityPool(
            f"{name}-pool",
            project=s.identity_project,
            workload_identity_pool_id=f"{name}-github",
            display_name="GitHub Actions",
            opts=child,
        )
        provider = iam.WorkloadIdentityPoolProvider(
            f"{name}-github",
            project=s.identity_project,
            workload_identity_pool_id=pool.workload_identity_pool_id,
            workload_identity_pool_provider_id="github",
            attribute_mapping=ATTRIBUTE_MAPPING,
            attribute_condition=attribute_condition(
                args.repository, args.subjects, args.subjects.drift
            ),
            oidc=iam.WorkloadIdentityPoolProviderOidcArgs(issuer_uri=ISSUER),
            opts=child,
        )
        preview = self._account(f"{name}-preview", s, pool, args.subjects.preview, apis)
        deploy = self._account(f"{name}-deploy", s, pool, [args.subjects.deploy], apis)
        # The state bucket and the stack secrets' key: read and decrypt for a preview,
        # read-write for a deploy.
        self._grant(
            f"{name}-preview",
            preview,
            PREVIEW_PROJECT_ROLES,
            ("roles/storage.objectViewer", "roles/cloudkms.cryptoKeyDecrypter"),
            s,
        )
        limited = projects.IAMMemberConditionArgs(
            title="only the roles model-engine grants",
            description="bootstrap/ci_trust: the deploy identity cannot grant other roles",
            expression=limited_grants_expression(grantable_roles(s.project, s.environments)),
        )
        self._grant(
            f"{name}-deploy",
            deploy,
            DEPLOY_PROJECT_ROLES,
            ("roles/storage.objectAdmin", "roles/cloudkms.cryptoKeyEncrypterDecrypter"),
            s,
            condition=limited,
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
        self,
        name: str,
        s: GcpTrust,
        pool: iam.WorkloadIdentityPool,
        subjects: Sequence[str],
        apis: Sequence[pulumi.Resource],
    ) -> serviceaccount.Account:
        account = serviceaccount.Account(
            name,
            project=s.identity_project,
            account_id=name,
            display_name=f"GitHub Actions: {name}",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(apis)),
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
        condition: projects.IAMMemberConditionArgs | None = None,
    ) -> None:
        object_role, key_role = state_roles
        child = pulumi.ResourceOptions(parent=self)
        for role in project_roles:
            projects.IAMMember(
                f"{base}-{role.rsplit('/', 1)[-1].replace('.', '-')}",
                project=s.project,
                role=role,
                member=account.member,
                condition=condition,
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
