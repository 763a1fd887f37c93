"""Identities: federated subjects per identity, role scopes, the Redis access policy."""

from __future__ import annotations

from components.azure.common import ROLES
from tests.azure.helpers import CLUSTER, FIC, IDENTITY, ROLE, AzureRun, azure_config, run_azure

SUB = "system:serviceaccount:"


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
    for r in prod.of_type(FIC):
        assert r.inputs["audiences"] == ["api://AzureADTokenExchange"]


def test_federated_credentials_on_one_identity_are_written_one_at_a_time(prod: AzureRun) -> None:
    control = [
        r for r in prod.of_type(FIC) if r.name.startswith("platform-identity-control-plane-")
    ]
    urns = {r.urn for r in control}
    waits = [r for r in control if urns & set(r.dependencies)]
    assert len(waits) == len(control) - 1


def _grants(prod: AzureRun) -> dict[tuple[str, str], str]:
    """(principal, role GUID) -> scope."""
    out = {}
    for r in prod.of_type(ROLE):
        role = r.inputs["roleDefinitionId"].rsplit("/", 1)[1]
        out[(r.inputs["principalId"], role)] = r.inputs["scope"]
    return out


def test_each_role_is_scoped_to_the_one_resource_it_is_for(prod: AzureRun) -> None:
    control = prod.state(IDENTITY, "platform-identity-control-plane")["principalId"]
    inference = prod.state(IDENTITY, "platform-identity-inference")["principalId"]
    kubelet = prod.state(CLUSTER, "platform-cluster-aks")["identityProfile"]["kubeletidentity"][
        "objectId"
    ]
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
    vault = prod.arm_id(
        "azure-native:keyvault:Vault", "platform-vault-kv", "Microsoft.KeyVault/vaults"
    )
    acr = prod.arm_id(
        "azure-native:containerregistry:Registry",
        "platform-registry-acr",
        "Microsoft.ContainerRegistry/registries",
    )
    grants = _grants(prod)
    expected = {
        (control, "Azure Service Bus Data Owner"): sb,
        (control, "Storage Blob Data Contributor"): account,
        (control, "Key Vault Secrets User"): vault,
        (control, "AcrPull"): acr,
        (inference, "Storage Blob Data Reader"): account,
        (kubelet, "AcrPull"): acr,
    }
    for (principal, role), scope in expected.items():
        assert grants.get((principal, ROLES[role])) == scope, role
    # Nothing else for the workload identities; the deployer's only grant is on the cluster.
    workload = {control, inference, kubelet}
    assert {k for k in grants if k[0] in workload} == {(p, ROLES[r]) for p, r in expected}
    for scope in grants.values():
        assert "/providers/" in scope, scope


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
