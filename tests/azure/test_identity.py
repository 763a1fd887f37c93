"""Identities: federated subjects per identity, role scopes, the Redis access policy."""

from __future__ import annotations

import subprocess
import sys

from components.azure.common import ROLES
from tests.azure.helpers import CLUSTER, FIC, IDENTITY, ROLE, AzureRun, azure_config, run_azure
from tests.conftest import ROOT

SUB = "system:serviceaccount:"


def test_grants_and_subjects_import_without_the_sdk() -> None:
    """facts.py and the plan may read who holds which role before anything exists: the
    module's SDK-free parts (subjects, grants) load no provider SDK."""
    code = (
        "import sys, components.azure.identity as i\n"
        "assert callable(i.control_plane_grants) and callable(i.control_plane_subjects)\n"
        "print(sorted(m for m in sys.modules if m.startswith('pulumi_azure_native')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout


def _subjects(prod: AzureRun, identity: str) -> dict[str, str]:
    name = prod.state(IDENTITY, identity)["name"]
    return {
        r.inputs["subject"]: r.inputs["issuer"]
        for r in prod.of_type(FIC)
        if r.inputs["resourceName"] == name
    }


def test_control_plane_is_federated_with_exactly_its_service_accounts(prod: AzureRun) -> None:
    issuer = prod.state(CLUSTER, "platform-cluster-aks")["oidcIssuerProfile"]["issuerURL"]
    subjects = _subjects(prod, "platform-identity-control-plane")
    assert subjects == {
        f"{SUB}model-engine:model-engine": issuer,
        # Forwarders: AZURE_CLIENT_ID=client_id with the inference SA's token.
        f"{SUB}llm-engine:model-engine": issuer,
        # The chart's TriggerAuthentication names client_id.
        f"{SUB}keda:keda-operator": issuer,
    }


def test_inference_is_federated_with_the_inference_service_account_only(prod: AzureRun) -> None:
    issuer = prod.state(CLUSTER, "platform-cluster-aks")["oidcIssuerProfile"]["issuerURL"]
    assert _subjects(prod, "platform-identity-inference") == {
        f"{SUB}llm-engine:model-engine": issuer
    }


def test_federated_credentials_use_the_token_exchange_audience(prod: AzureRun) -> None:
    found = prod.of_type(FIC)
    assert found
    for r in found:
        assert r.inputs["audiences"] == ["api://AzureADTokenExchange"]


def test_federated_credentials_on_one_identity_are_written_one_at_a_time(prod: AzureRun) -> None:
    control = [
        r for r in prod.of_type(FIC) if r.name.startswith("platform-identity-control-plane-")
    ]
    urns = {r.urn for r in control}
    waits = [r for r in control if urns & set(r.dependencies)]
    assert len(waits) == len(control) - 1


def _grants(prod: AzureRun) -> set[tuple[str, str, str]]:
    """(principal, role GUID, scope) of every role assignment."""
    return {
        (
            r.inputs["principalId"],
            r.inputs["roleDefinitionId"].rsplit("/", 1)[1],
            r.inputs["scope"],
        )
        for r in prod.of_type(ROLE)
    }


def test_each_role_is_scoped_to_the_one_resource_it_is_for(prod: AzureRun) -> None:
    control = prod.state(IDENTITY, "platform-identity-control-plane")["principalId"]
    inference = prod.state(IDENTITY, "platform-identity-inference")["principalId"]
    aks = prod.state(CLUSTER, "platform-cluster-aks")
    kubelet = aks["identityProfile"]["kubeletidentity"]["objectId"]
    cluster = aks["identity"]["principalId"]
    credential_set = prod.state(
        "azure-native:containerregistry:CredentialSet", "platform-registry-credential-set"
    )["identity"]["principalId"]
    sb = prod.arm_id(
        "azure-native:servicebus:Namespace",
        "platform-broker-servicebus",
        "Microsoft.ServiceBus/namespaces",
    )
    account = prod.arm_id(
        "azure-native:storage:StorageAccount",
        "platform-storage-account",
        "Microsoft.Storage/storageAccounts",
    )
    server_container = f"{account}/blobServices/default/containers/model-engine"
    results_container = f"{account}/blobServices/default/containers/celery"
    acr = prod.arm_id(
        "azure-native:containerregistry:Registry",
        "platform-registry-acr",
        "Microsoft.ContainerRegistry/registries",
    )
    vnet = prod.arm_id(
        "azure-native:network:VirtualNetwork",
        "platform-network-vnet",
        "Microsoft.Network/virtualNetworks",
    )
    expected = {
        (control, "Azure Service Bus Data Owner", sb),
        # Blob data in the server's two containers only, never the whole account.
        (control, "Storage Blob Data Contributor", server_container),
        (control, "Storage Blob Data Contributor", results_container),
        # User-delegation keys are an account-level action (and all this role allows).
        (control, "Storage Blob Delegator", account),
        (control, "AcrPull", acr),
        (inference, "Storage Blob Data Reader", server_container),
        (kubelet, "AcrPull", acr),
        # The cloud provider puts the gateway's internal load balancer in the node subnet.
        (cluster, "Network Contributor", f"{vnet}/subnets/nodes"),
    }
    grants = _grants(prod)
    want = {(p, ROLES[r], scope) for p, r, scope in expected}
    assert want <= grants, want - grants
    # Nothing else for the workload identities; the deployer's only grant is on the cluster.
    workload = {control, inference, kubelet, cluster}
    assert {g for g in grants if g[0] in workload} == want
    # The credential set reads its two secrets, not the vault.
    reads = {g for g in grants if g[0] == credential_set}
    assert {g[1] for g in reads} == {ROLES["Key Vault Secrets User"]}
    assert {g[2].rsplit("/secrets/", 1)[1] for g in reads} == {
        "registry-upstream-username",
        "registry-upstream-token",
    }, reads
    for _, _, scope in grants:
        assert "/providers/" in scope, scope


def test_server_reads_its_database_url_from_the_kubernetes_secret(prod: AzureRun) -> None:
    """Why the control plane holds no Key Vault role: db/base.py reads ML_INFRA_DATABASE_URL
    (the chart sets it from kubernetesDatabaseSecretName) before it would open Key Vault."""
    secrets = prod.values["secrets"]
    assert secrets.get("kubernetesDatabaseSecretName")
    assert not secrets.get("cloudDatabaseSecretName")


def test_role_assignment_names_are_guids_that_survive_a_rerun(prod: AzureRun) -> None:
    import uuid

    names = {r.name: r.inputs["roleAssignmentName"] for r in prod.of_type(ROLE)}
    assert len(set(names.values())) == len(names)
    for n in names.values():
        uuid.UUID(n)
    again = run_azure(azure_config())
    assert {r.name: r.inputs["roleAssignmentName"] for r in again.of_type(ROLE)} == names


def test_redis_access_policy_is_for_the_control_plane_object_id(prod: AzureRun) -> None:
    control = prod.state(IDENTITY, "platform-identity-control-plane")["principalId"]
    (assignment,) = prod.of_type("azure-native:redisenterprise:AccessPolicyAssignment")
    assert assignment.inputs["user"]["objectId"] == control
    assert assignment.inputs["accessPolicyName"] == "default"
    assert prod.values["azure"]["object_id"] == control


def test_keda_operator_runs_with_workload_identity(prod: AzureRun) -> None:
    keda = prod.one("kubernetes:helm.sh/v3:Release", "addons-keda-release")
    control = prod.state(IDENTITY, "platform-identity-control-plane")["clientId"]
    values = keda.inputs["values"]
    assert values["podIdentity"]["azureWorkload"] == {"enabled": True, "clientId": control}
    assert "azure.workload.identity/client-id" not in values["serviceAccount"]["operator"].get(
        "annotations", {}
    )
