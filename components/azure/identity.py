"""Workload identity: a user-assigned identity for the control plane and one for inference,
each federated with exactly the ServiceAccounts that sign in as it, and role assignments on
the one resource each role is for (nothing subscription- or group-wide).

Control plane (client_id): the release namespace's `model-engine` SA; the inference SA too,
because the chart hard-codes AZURE_CLIENT_ID=client_id in every forwarder container and the
workload-identity webhook does not override it, so forwarders present the inference SA's
token for the control-plane identity; and KEDA's operator, because the chart's
TriggerAuthentication names identityId=client_id.
Inference (inference_client_id): the inference SA (azcopy in endpoint containers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.addons import identities as addon_ids
from components.azure import settings as az
from components.azure.common import child, grant
from components.azure.storage import CELERY_RESULTS_CONTAINER, container_scope
from components.model_engine.chart_facts import INFERENCE_SERVICE_ACCOUNT
from components.sdk import lazy

if TYPE_CHECKING:
    from components.settings import StackSettings

if TYPE_CHECKING:
    from pulumi_azure_native import managedidentity
else:
    managedidentity = lazy("pulumi_azure_native.managedidentity")

# The audience AKS workload identity tokens carry.
TOKEN_AUDIENCE = "api://AzureADTokenExchange"


def subject(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"


@dataclass(frozen=True)
class Grant:
    role: str
    scope: pulumi.Input[str]
    # Tells two grants of one role apart in the resource name (e.g. the container).
    label: str = ""


@dataclass
class IdentityArgs:
    location: str
    resource_group_name: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    control_plane_name: str
    inference_name: str
    # Credential name -> subject.
    control_plane_subjects: Mapping[str, str]
    inference_subjects: Mapping[str, str]
    control_plane_grants: Sequence[Grant]
    inference_grants: Sequence[Grant]
    tags: Mapping[str, str]


class Identity(pulumi.ComponentResource):
    control_plane: managedidentity.UserAssignedIdentity
    inference: managedidentity.UserAssignedIdentity

    def __init__(self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:azure:Identity", name, None, opts)
        self._args = args
        self.control_plane = self._identity(
            f"{name}-control-plane",
            args.control_plane_name,
            args.control_plane_subjects,
            args.control_plane_grants,
        )
        self.inference = self._identity(
            f"{name}-inference", args.inference_name, args.inference_subjects, args.inference_grants
        )
        self.register_outputs(
            {
                "control_plane_client_id": self.control_plane.client_id,
                "inference_client_id": self.inference.client_id,
            }
        )

    def _identity(
        self,
        name: str,
        identity_name: str,
        subjects: Mapping[str, str],
        grants: Sequence[Grant],
    ) -> managedidentity.UserAssignedIdentity:
        args = self._args
        identity = managedidentity.UserAssignedIdentity(
            name,
            resource_name_=identity_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=dict(args.tags),
            opts=child(self),
        )
        # Azure refuses concurrent federated-credential writes on one identity: one at a time.
        previous: list[pulumi.Resource] = []
        for credential, sub in subjects.items():
            fic = managedidentity.FederatedIdentityCredential(
                f"{name}-{credential}",
                resource_name_=identity.name,
                resource_group_name=args.resource_group_name,
                federated_identity_credential_resource_name=credential,
                issuer=args.oidc_issuer_url,
                subject=sub,
                audiences=[TOKEN_AUDIENCE],
                opts=child(self, depends_on=previous),
            )
            previous = [fic]
        for g in grants:
            slug = g.role.lower().replace(" ", "-") + (f"-{g.label}" if g.label else "")
            grant(
                self,
                f"{name}-{slug}",
                role=g.role,
                scope=g.scope,
                principal_id=identity.principal_id,
                subscription_id=args.subscription_id,
            )
        return identity


# ---------------------------------------------------------------------------------------
# Federated subjects: which ServiceAccounts sign in as each identity


def control_plane_subjects(settings: StackSettings) -> dict[str, str]:
    """Federated-credential name -> ServiceAccount subject for the control-plane identity."""
    ns = settings.namespaces
    keda = addon_ids.service_accounts(settings.addons)[addon_ids.KEDA_OPERATOR]
    return {
        "release-model-engine": subject(ns.release, "model-engine"),
        # Forwarders run as the inference SA with AZURE_CLIENT_ID = client_id.
        "endpoints-forwarders": subject(ns.endpoints, INFERENCE_SERVICE_ACCOUNT),
        "keda-operator": keda.subject,
    }


def inference_subjects(settings: StackSettings) -> dict[str, str]:
    return {
        "endpoints-inference": subject(settings.namespaces.endpoints, INFERENCE_SERVICE_ACCOUNT)
    }


# ---------------------------------------------------------------------------------------
# Role assignments: which role each identity holds, on the one resource it is for


def control_plane_grants(
    cfg: az.AzureSettings,
    namespace_id: pulumi.Input[str],
    account_id: pulumi.Input[str],
    registry_id: pulumi.Input[str],
) -> list[Grant]:
    """What the server's Azure code calls as the control-plane identity, on the one
    resource each call is for. No Key Vault role: the chart's Kubernetes Secret sets
    ML_INFRA_DATABASE_URL, which db/base.py reads before it would ever open Key Vault."""
    return [
        # Queues created, updated, deleted, counted (asb_* gateways, kombu, KEDA, autoscaler).
        Grant("Azure Service Bus Data Owner", namespace_id),
        # Blob data only in the two containers the server uses: its own (fine-tune
        # repository, events, weights) and Celery's results (core/celery/abs.py).
        *(
            Grant("Storage Blob Data Contributor", container_scope(account_id, c), label=c)
            for c in (cfg.storage.container, CELERY_RESULTS_CONTAINER)
        ),
        # User-delegation SAS (abs_filesystem_gateway): Get User Delegation Key acts on the
        # account, so this role (that action and nothing else) cannot sit on a container.
        Grant("Storage Blob Delegator", account_id),
        # Tag and manifest reads (acr_docker_repository); the cacher crashes without them.
        Grant("AcrPull", registry_id),
    ]


def inference_grants(cfg: az.AzureSettings, account_id: pulumi.Input[str]) -> list[Grant]:
    """azcopy in endpoint containers reads checkpoints and fine-tuned weights (the server's
    container); checkpoints elsewhere need a grant the operator adds."""
    return [
        Grant(
            "Storage Blob Data Reader",
            container_scope(account_id, cfg.storage.container),
            label=cfg.storage.container,
        )
    ]
