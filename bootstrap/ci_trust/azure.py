"""Azure: two user-assigned managed identities with federated credentials for GitHub's tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, managedidentity

from bootstrap.ci_trust.github import AZURE_AUDIENCE, ISSUER, Subjects
from bootstrap.ci_trust.settings import AzureTrust
from components.azure.common import ROLES

# Azure built-in role definition ids (the same in every tenant).
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
# Assigns roles but cannot create role definitions or manage anything else: the program
# assigns roles to the workload identities it creates (AKS, Key Vault, storage, registry).
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
BLOB_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
# Encrypt and decrypt with the keys of a vault: the azurekeyvault:// secrets provider.
KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
# The Kubernetes side of the clusters in the scope (AKS with Azure RBAC): fetch the user
# kubeconfig (listClusterUserCredential), then read every object but Secrets, or administer.
# Granted on the scope, before any cluster exists, so the order of the first runs is free.
AKS_CLUSTER_USER = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"
AKS_RBAC_READER = "7f6c6a51-bcf8-42ba-9220-52d62157d7db"
AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"


def assignable_roles() -> list[str]:
    """The role definitions the deploy identity may assign or remove: those the program
    assigns (components/azure/common.py ROLES, one place), sorted for a stable condition."""
    return sorted(ROLES.values())


def constrain_roles_condition(role_ids: list[str], ci_principal_ids: Sequence[str]) -> str:
    """Azure ABAC ("Delegate Azure role assignment management with conditions"): role
    assignments may be written or deleted only for these role definitions, and written only
    for service principals (the program's managed identities) other than CI's own identities,
    so the deploy identity can never assign Owner, User Access Administrator or RBAC
    Administrator, nor hand a person any role, nor give itself or the preview identity (which
    pull requests use) a role of the list, e.g. a data role on the stack's vault or storage.
    ForAnyOfAllValues:GuidNotEquals: the request's principal equals none of the listed
    (ForAnyOfAnyValues would pass as soon as it differs from one of them)."""
    guids = ", ".join(role_ids)
    ci = ", ".join(ci_principal_ids)
    return (
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
        "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
        f"ForAnyOfAnyValues:GuidEquals {{{guids}}} AND "
        "@Request[Microsoft.Authorization/roleAssignments:PrincipalType] "
        "ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'} AND "
        "@Request[Microsoft.Authorization/roleAssignments:PrincipalId] "
        f"ForAnyOfAllValues:GuidNotEquals {{{ci}}})) AND "
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
        "(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
        f"ForAnyOfAnyValues:GuidEquals {{{guids}}}))"
    )


def subscription_of(scope: str) -> str:
    return "/".join(scope.split("/")[:3])  # "/subscriptions/<id>"


@dataclass(frozen=True)
class AzureTrustArgs:
    settings: AzureTrust
    subjects: Subjects


class AzureGithubTrust(pulumi.ComponentResource):
    preview_client_id: pulumi.Output[str]
    deploy_client_id: pulumi.Output[str]
    # The object id the main stack's azure.cluster.deployerObjectId names.
    deploy_principal_id: pulumi.Output[str]

    def __init__(self, name: str, args: AzureTrustArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-ci-trust:azure:GithubTrust", name, None, opts)
        s = args.settings
        preview = self._identity(f"{name}-preview", s, args.subjects.preview)
        self._grant(f"{name}-preview-read", preview, READER, s.scope, s)
        self._grant(f"{name}-preview-aks-user", preview, AKS_CLUSTER_USER, s.scope, s)
        self._grant(f"{name}-preview-aks-reader", preview, AKS_RBAC_READER, s.scope, s)
        self._grant(f"{name}-preview-state", preview, BLOB_READER, s.state_storage_account_id, s)
        deploy = self._identity(f"{name}-deploy", s, [args.subjects.deploy])
        # On the scope, one resource group that does not hold s.resource_group (settings.py):
        # the identities and their federated credentials are out of the deploy's reach.
        self._grant(f"{name}-deploy-up", deploy, CONTRIBUTOR, s.scope, s)
        self._grant(f"{name}-deploy-aks-admin", deploy, AKS_RBAC_CLUSTER_ADMIN, s.scope, s)
        self._grant(
            f"{name}-deploy-rbac",
            deploy,
            RBAC_ADMINISTRATOR,
            s.scope,
            s,
            condition=pulumi.Output.all(preview.principal_id, deploy.principal_id).apply(
                lambda ids: constrain_roles_condition(assignable_roles(), ids)
            ),
        )
        self._grant(f"{name}-deploy-state", deploy, BLOB_CONTRIBUTOR, s.state_storage_account_id, s)
        if s.secrets_key_vault_id:
            for role, identity in (("preview", preview), ("deploy", deploy)):
                self._grant(
                    f"{name}-{role}-secrets",
                    identity,
                    KEY_VAULT_CRYPTO_USER,
                    s.secrets_key_vault_id,
                    s,
                )
        self.preview_client_id = preview.client_id
        self.deploy_client_id = deploy.client_id
        self.deploy_principal_id = deploy.principal_id
        self.register_outputs(
            {
                "preview_client_id": preview.client_id,
                "deploy_client_id": deploy.client_id,
                "deploy_principal_id": deploy.principal_id,
            }
        )

    def _identity(
        self, name: str, s: AzureTrust, subjects: Sequence[str]
    ) -> managedidentity.UserAssignedIdentity:
        identity = managedidentity.UserAssignedIdentity(
            name,
            resource_group_name=s.resource_group,
            location=s.location,
            opts=pulumi.ResourceOptions(parent=self),
        )
        previous: pulumi.Resource | None = None
        for i, subject in enumerate(subjects):
            # Azure refuses concurrent writes of credentials on one identity: one at a time.
            previous = managedidentity.FederatedIdentityCredential(
                f"{name}-github-{i}",
                resource_group_name=s.resource_group,
                resource_name_=identity.name,
                issuer=ISSUER,
                subject=subject,
                audiences=[AZURE_AUDIENCE],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous else []),
            )
        return identity

    def _grant(
        self,
        name: str,
        identity: managedidentity.UserAssignedIdentity,
        role: str,
        scope: str,
        s: AzureTrust,
        condition: pulumi.Input[str] | None = None,
    ) -> None:
        authorization.RoleAssignment(
            name,
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            condition=condition,
            condition_version="2.0" if condition else None,
            role_definition_id=(
                f"{subscription_of(s.scope)}/providers/Microsoft.Authorization/"
                f"roleDefinitions/{role}"
            ),
            scope=scope,
            opts=pulumi.ResourceOptions(parent=self),
        )
