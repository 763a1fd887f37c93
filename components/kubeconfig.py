"""A kubeconfig whose user runs a credential plugin: the form every managed cluster's
provider uses here (EKS `aws eks get-token`, GKE `gke-gcloud-auth-plugin`; AKS rewrites the
one it is given, components/azure/kubeconfig.py). No credential is stored in it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def exec_kubeconfig(cluster_name: str, server: str, ca_data: str, exec_: Mapping[str, Any]) -> str:
    """One cluster, one context, one user whose token comes from the `exec_` plugin
    (`command`, `args` ... in the order given)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": server, "certificate-authority-data": ca_data},
                }
            ],
            "contexts": [
                {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
            ],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {"exec": {"apiVersion": EXEC_API_VERSION, **exec_}},
                }
            ],
        }
    )
