"""Small helpers the Azure components share: physical names, role assignments, options."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

# Shared by every cloud package; re-exported for the modules of this one.
from components.naming import base_name as base_name
from components.naming import child as child
from components.naming import lift as lift
from components.naming import stateful as stateful
from components.naming import trim_name as trim_name
from components.sdk import lazy

if TYPE_CHECKING:
    from pulumi_azure_native import authorization
else:
    authorization = lazy("pulumi_azure_native.authorization")

PART_OF_TAG = "model-engine"


@dataclass
class PlacedArgs:
    """Where an Azure resource lives and how it is kept: the fields every stateful child's
    Args shares."""

    location: str
    resource_group_name: pulumi.Input[str]
    protect: bool
    tags: Mapping[str, str]


@dataclass
class ServiceArgs(PlacedArgs):
    """A service reachable over a private endpoint."""

    # Private endpoint: public network access off.
    private: bool


# Built-in role definitions (Azure RBAC "Azure built-in roles"); the same GUID in every
# subscription.
ROLES: dict[str, str] = {
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "Azure Service Bus Data Owner": "090c5cfd-751d-490a-894a-3ce6f1109419",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Delegator": "db58b8e5-c6ad-4a2a-8342-4190687cbf4a",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Azure Kubernetes Service RBAC Cluster Admin": "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
}
# The namespace role-assignment names are derived in (any fixed UUID would do).
_ASSIGNMENT_NAMESPACE = uuid.UUID("6f1d3c2e-8b1a-5e0c-9a47-6d2b1f0e4c11")

# Azure is slow to create some services: Managed Redis and zone-redundant PostgreSQL take
# 20-60 minutes, AKS and GPU pools wait on capacity.
LONG_TIMEOUTS = pulumi.CustomTimeouts(create="90m", update="120m", delete="90m")


def unique_suffix(subscription_id: str, resource_group: str, environment: str) -> str:
    """Eight hex digits that make globally unique names (storage, registry, vault, ...)
    stable for one deployment and different across subscriptions."""
    digest = hashlib.sha256(f"{subscription_id}/{resource_group}/{environment}".encode())
    return digest.hexdigest()[:8]


def alnum(value: str, limit: int) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())[:limit]


def role_definition_id(subscription_id: str, role: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/"
        f"roleDefinitions/{ROLES[role]}"
    )


def assignment_name(scope: str, principal_id: str, role: str) -> str:
    """Azure wants a GUID per role assignment; derived from what the assignment is, so a
    re-run never creates a duplicate."""
    return str(uuid.uuid5(_ASSIGNMENT_NAMESPACE, f"{scope.lower()}|{principal_id}|{ROLES[role]}"))


def grant(
    parent: pulumi.Resource,
    name: str,
    *,
    role: str,
    scope: pulumi.Input[str],
    principal_id: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    principal_type: str = "ServicePrincipal",
    depends_on: list[pulumi.Resource] | None = None,
) -> authorization.RoleAssignment:
    """One built-in role for one principal on one resource (never wider)."""
    return authorization.RoleAssignment(
        name,
        role_assignment_name=pulumi.Output.all(scope, principal_id).apply(
            lambda a: assignment_name(a[0], a[1], role)
        ),
        scope=scope,
        principal_id=principal_id,
        principal_type=principal_type,
        role_definition_id=pulumi.Output.from_input(subscription_id).apply(
            lambda sub: role_definition_id(sub, role)
        ),
        description=f"model-engine: {role}",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on or []),
    )
