"""Simulated Azure: computed outputs of Azure resources and answers to Azure invokes.

Azure derives most outputs from the names the program chooses, so the simulation answers
with the real forms: ARM ids (`/subscriptions/<sub>/resourceGroups/<rg>/providers/...`),
`<name>.<region>.redis.azure.net`, `<name>.azurecr.io`, `<name>.postgres.database.azure.com`,
the AKS OIDC issuer URL. Ids Azure mints (client and principal ids) are fixed UUIDs derived
from the resource name, so a chart value shows which identity it came from.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

SUBSCRIPTION_ID = "00000000-1111-2222-3333-444444444444"
TENANT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
# The deployer (az login) the client config reports.
DEPLOYER_OBJECT_ID = "99999999-8888-7777-6666-555555555555"
DEFAULT_LOCATION = "eastus2"
_IDS = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")

Rule = Callable[[str, dict[str, Any]], dict[str, Any]]


def minted_id(kind: str, name: str) -> str:
    """The UUID Azure would mint for `kind` of resource `name` (stable per name)."""
    return str(uuid.uuid5(_IDS, f"{kind}:{name}"))


def arm_id(rg: str, provider: str, name: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/{provider}/{name}"


def _named(
    provider: str, name_key: str, extra: Callable[[str, dict[str, Any]], dict] | None = None
) -> Rule:
    def rule(resource: str, inputs: dict[str, Any]) -> dict[str, Any]:
        name = inputs.get(name_key) or resource
        out: dict[str, Any] = {
            "name": name,
            "__id": arm_id(str(inputs.get("resourceGroupName")), provider, name),
        }
        if extra:
            out.update(extra(name, inputs))
        return out

    return rule


def _nested(
    provider: str, path: tuple[str, str, str], extra: Callable[[str, dict[str, Any]], dict]
) -> Rule:
    """A child resource (a vault's secret, a registry's credential set): path is (parent
    name input, child collection, child name input)."""
    parent_key, collection, name_key = path

    def rule(resource: str, inputs: dict[str, Any]) -> dict[str, Any]:
        name = inputs.get(name_key) or resource
        child = f"{inputs.get(parent_key)}/{collection}/{name}"
        rid = arm_id(str(inputs.get("resourceGroupName")), provider, child)
        return {"name": name, "__id": rid, **extra(name, inputs)}

    return rule


def _resource_group(resource: str, inputs: dict[str, Any]) -> dict[str, Any]:
    name = inputs.get("resourceGroupName") or resource
    rid = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{name}"
    return {"name": name, "__id": rid}


def _cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    location = inputs.get("location", DEFAULT_LOCATION)
    prefix = inputs.get("dnsPrefix", name)
    return {
        # AKS's default node resource group: MC_<group>_<cluster>_<location>.
        "nodeResourceGroup": inputs.get("nodeResourceGroup")
        or f"MC_{inputs.get('resourceGroupName')}_{name}_{location}",
        "fqdn": f"{prefix}-{minted_id('fqdn', name)[:8]}.hcp.{location}.azmk8s.io",
        # The system-assigned identity AKS creates (the cloud provider acts as it).
        "identity": {
            **(inputs.get("identity") or {}),
            "principalId": minted_id("cluster-principal", name),
            "tenantId": TENANT_ID,
        },
        "oidcIssuerProfile": {
            "enabled": True,
            "issuerURL": (
                f"https://{inputs.get('location', DEFAULT_LOCATION)}.oic.prod-aks.azure.com/"
                f"{TENANT_ID}/{minted_id('oidc', name)}/"
            ),
        },
        "identityProfile": {
            "kubeletidentity": {
                "clientId": minted_id("kubelet-client", name),
                "objectId": minted_id("kubelet-object", name),
                "resourceId": arm_id(
                    f"MC_{inputs.get('resourceGroupName')}_{name}",
                    "Microsoft.ManagedIdentity/userAssignedIdentities",
                    f"{name}-agentpool",
                ),
            }
        },
    }


def _identity(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "clientId": minted_id("client", name),
        "principalId": minted_id("principal", name),
        "tenantId": TENANT_ID,
    }


RESOURCES: dict[str, Rule] = {
    "azure-native:resources:ResourceGroup": _resource_group,
    "azure-native:network:VirtualNetwork": _named(
        "Microsoft.Network/virtualNetworks", "virtualNetworkName"
    ),
    "azure-native:network:PrivateEndpoint": _named(
        "Microsoft.Network/privateEndpoints", "privateEndpointName"
    ),
    "azure-native:privatedns:PrivateZone": _named(
        "Microsoft.Network/privateDnsZones", "privateZoneName"
    ),
    "azure-native:redisenterprise:RedisEnterprise": _named(
        "Microsoft.Cache/redisEnterprise",
        "clusterName",
        lambda n, i: {"hostName": f"{n}.{i.get('location', DEFAULT_LOCATION)}.redis.azure.net"},
    ),
    "azure-native:redisenterprise:Database": lambda n, i: {
        "name": i.get("databaseName", n),
        "port": i.get("port", 10000),
    },
    "azure-native:dbforpostgresql:Server": _named(
        "Microsoft.DBforPostgreSQL/flexibleServers",
        "serverName",
        lambda n, i: {"fullyQualifiedDomainName": f"{n}.postgres.database.azure.com"},
    ),
    "azure-native:dbforpostgresql:Database": lambda n, i: {"name": i.get("databaseName", n)},
    "azure-native:servicebus:Namespace": _named(
        "Microsoft.ServiceBus/namespaces",
        "namespaceName",
        lambda n, i: {"serviceBusEndpoint": f"https://{n}.servicebus.windows.net:443/"},
    ),
    "azure-native:containerregistry:Registry": _named(
        "Microsoft.ContainerRegistry/registries",
        "registryName",
        lambda n, i: {"loginServer": f"{n.lower()}.azurecr.io"},
    ),
    "azure-native:storage:StorageAccount": _named(
        "Microsoft.Storage/storageAccounts",
        "accountName",
        lambda n, i: {"primaryEndpoints": {"blob": f"https://{n}.blob.core.windows.net/"}},
    ),
    "azure-native:keyvault:Vault": _named(
        "Microsoft.KeyVault/vaults",
        "vaultName",
        lambda n, i: {
            "properties": {
                **(i.get("properties") or {}),
                "vaultUri": f"https://{n}.vault.azure.net/",
            }
        },
    ),
    "azure-native:keyvault:Secret": _nested(
        "Microsoft.KeyVault/vaults",
        ("vaultName", "secrets", "secretName"),
        # ARM never returns a secret's value, only where to read it.
        lambda n, i: {
            "properties": {"secretUri": f"https://{i['vaultName']}.vault.azure.net/secrets/{n}"}
        },
    ),
    "azure-native:containerregistry:CredentialSet": _nested(
        "Microsoft.ContainerRegistry/registries",
        ("registryName", "credentialSets", "credentialSetName"),
        lambda n, i: {
            "identity": {**(i.get("identity") or {}), "principalId": minted_id("principal", n)}
        },
    ),
    "azure-native:managedidentity:UserAssignedIdentity": _named(
        "Microsoft.ManagedIdentity/userAssignedIdentities", "resourceName", _identity
    ),
    "azure-native:containerservice:ManagedCluster": _named(
        "Microsoft.ContainerService/managedClusters", "resourceName", _cluster
    ),
}


def _client_config(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "subscriptionId": SUBSCRIPTION_ID,
        "tenantId": TENANT_ID,
        "objectId": DEPLOYER_OBJECT_ID,
        "clientId": minted_id("deployer-client", "az-login"),
    }


# kubelogin's AKS applications (the same in every tenant): the server (token audience) and
# the public client AKS names for device-code sign-in.
AKS_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"
AKS_CLIENT_APP = "80faf920-1908-4b52-b5ef-a8e7bedfc67a"


def kubeconfig(resource_group: str, cluster: str, location: str = DEFAULT_LOCATION) -> str:
    """What `listClusterUserCredential` with format=exec hands an Entra user: a kubelogin
    exec in device-code mode (`az aks get-credentials` writes the same file)."""
    user = f"clusterUser_{resource_group}_{cluster}"
    server = f"https://{cluster}-{minted_id('fqdn', cluster)[:8]}.hcp.{location}.azmk8s.io:443"
    return (
        "apiVersion: v1\n"
        "clusters:\n"
        "- cluster:\n"
        "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\n"
        f"    server: {server}\n"
        f"  name: {cluster}\n"
        "contexts:\n"
        "- context:\n"
        f"    cluster: {cluster}\n"
        f"    user: {user}\n"
        f"  name: {cluster}\n"
        f"current-context: {cluster}\n"
        "kind: Config\n"
        "preferences: {}\n"
        "users:\n"
        f"- name: {user}\n"
        "  user:\n"
        "    exec:\n"
        "      apiVersion: client.authentication.k8s.io/v1beta1\n"
        "      args:\n"
        "      - get-token\n"
        "      - --environment\n"
        "      - AzurePublicCloud\n"
        "      - --server-id\n"
        f"      - {AKS_SERVER_APP}\n"
        "      - --client-id\n"
        f"      - {AKS_CLIENT_APP}\n"
        "      - --tenant-id\n"
        f"      - {TENANT_ID}\n"
        "      - --login\n"
        "      - devicecode\n"
        "      command: kubelogin\n"
        "      env: null\n"
        "      installHint: |2\n"
        "\n"
        "        kubelogin is not installed which is required to connect to AAD enabled cluster.\n"
        "\n"
        "        To learn more, please go to https://aka.ms/aks/kubelogin\n"
        "      provideClusterInfo: false\n"
    )


def _user_credentials(args: dict[str, Any]) -> dict[str, Any]:
    cluster = str(args.get("resourceName"))
    config = kubeconfig(str(args.get("resourceGroupName")), cluster)
    value = base64.b64encode(config.encode()).decode()
    return {"kubeconfigs": [{"name": "clusterUser", "value": value}]}


CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "azure-native:authorization:getClientConfig": _client_config,
    "azure-native:containerservice:listManagedClusterUserCredentials": _user_credentials,
}
