"""Small helpers the GCP components share: physical names, options, IAM members.

Kept apart from components/aws/common.py on purpose: importing that would load pulumi_aws
into every GCP plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

# Shared by every cloud package; re-exported for the modules of this one.
from components.naming import base_name as base_name
from components.naming import child as child
from components.naming import lift as lift
from components.naming import stateful as stateful
from components.naming import unique_trim

# GCP names are per project: a cut name keeps a hash of the whole, so two environments
# never share one.
trim_name = unique_trim

# Label on every labelled GCP resource (besides the operator's).
PART_OF_LABEL = {"part-of": "model-engine"}


@dataclass
class PlacedArgs:
    """Where a GCP resource lives and how it is kept: the fields every stateful child's Args
    shares."""

    project: str
    region: str
    labels: dict[str, str]
    protect: bool


# What a Google service agent needs on a customer-managed key.
KMS_ENCRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"

# Cloud SQL and Memorystore take 10-40 minutes to create and longer to change tier; GPU
# node pools wait on capacity.
SQL_TIMEOUTS = pulumi.CustomTimeouts(create="90m", update="120m", delete="60m")
REDIS_TIMEOUTS = pulumi.CustomTimeouts(create="60m", update="90m", delete="60m")
GKE_TIMEOUTS = pulumi.CustomTimeouts(create="60m", update="90m", delete="60m")
NODE_POOL_TIMEOUTS = pulumi.CustomTimeouts(create="60m", update="120m", delete="60m")


def service_account_member(email: str) -> str:
    return f"serviceAccount:{email}"


def workload_identity_member(project: str, namespace: str, ksa: str) -> str:
    """The IAM member a Kubernetes ServiceAccount becomes under GKE Workload Identity."""
    return f"serviceAccount:{project}.svc.id.goog[{namespace}/{ksa}]"
