"""components/kubeconfig.py: EKS and GKE kubeconfigs store no credential; their user runs
the cloud's credential plugin, never prompting."""

from __future__ import annotations

import json

from components.aws.cluster import kubeconfig as eks_kubeconfig
from components.gcp.cluster import kubeconfig as gke_kubeconfig


def _only_user_exec(config: str, server: str) -> dict[str, object]:
    doc = json.loads(config)
    assert doc["current-context"] == "c"
    assert doc["clusters"] == [
        {"name": "c", "cluster": {"server": server, "certificate-authority-data": "CA"}}
    ]
    assert doc["contexts"] == [{"name": "c", "context": {"cluster": "c", "user": "c"}}]
    (user,) = doc["users"]
    assert user["name"] == "c"
    assert set(user["user"]) == {"exec"}
    return user["user"]["exec"]


def test_eks_user_runs_aws_eks_get_token() -> None:
    exec_ = _only_user_exec(eks_kubeconfig("c", "https://eks", "CA", "eu-west-1"), "https://eks")
    assert exec_ == {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "aws",
        "args": [
            *("eks", "get-token", "--cluster-name", "c"),
            *("--region", "eu-west-1", "--output", "json"),
        ],
        "interactiveMode": "Never",
    }


def test_gke_user_runs_the_gke_auth_plugin_against_https() -> None:
    exec_ = _only_user_exec(gke_kubeconfig("c", "10.0.0.2", "CA"), "https://10.0.0.2")
    assert exec_ == {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "gke-gcloud-auth-plugin",
        "provideClusterInfo": True,
        "interactiveMode": "Never",
        "installHint": "gcloud components install gke-gcloud-auth-plugin",
    }
    # The provider compares the kubeconfig as text: the plugin's keys keep their order.
    assert list(exec_) == [
        "apiVersion",
        "command",
        "provideClusterInfo",
        "interactiveMode",
        "installHint",
    ]
