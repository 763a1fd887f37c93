"""AKS: workload identity, Entra RBAC and a system pool kept for AKS's own pods."""

from __future__ import annotations

from tests.azure.helpers import CLUSTER, AzureRun


def test_cluster_has_workload_identity_and_entra_rbac(prod: AzureRun) -> None:
    aks = prod.one(CLUSTER, "platform-cluster-aks").inputs
    assert aks["oidcIssuerProfile"]["enabled"] is True
    assert aks["securityProfile"]["workloadIdentity"]["enabled"] is True
    assert aks["aadProfile"]["managed"] is True
    assert aks["aadProfile"]["enableAzureRBAC"] is True
    assert aks["disableLocalAccounts"] is True
    assert aks["kubernetesVersion"] == "1.36"
    (system,) = aks["agentPoolProfiles"]
    assert system["mode"] == "System"
    # Kept for AKS's own pods: nothing the chart or the add-ons run selects or tolerates it.
    assert system["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert "nodeLabels" not in system
