"""Simulated GCP: what Google computes for each resource, as a real `pulumi up` would see it.

GCP outputs are mostly functions of what the program chose (self links, ids, the registry
URI, service-account emails), so they come back realistic rather than as placeholders.
Private IPs come from the reserved private-services range the program allocated (Cloud SQL
and Memorystore each get their own address in it), the cluster endpoint from the control
plane's /28. A test therefore reads a chart value back to the one resource whose state holds
it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

COMPUTE = "https://www.googleapis.com/compute/v1"
DEFAULT_PROJECT = "simulated-project"
DEFAULT_REGION = "us-central1"
PROJECT_NUMBER = "123456789012"
# Base64 of a PEM header: the shape of masterAuth.clusterCaCertificate.
CA_CERTIFICATE = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUVMRENDQXBTZ0F3SUJBZ0lRCg=="

Rule = Callable[[str, dict[str, Any]], dict[str, Any]]

# What the GCP provider was configured with, and the private-services range once reserved.
_state: dict[str, Any] = {"project": DEFAULT_PROJECT, "region": DEFAULT_REGION}


def _project(inputs: dict[str, Any]) -> str:
    return str(inputs.get("project") or _state["project"])


def _region(inputs: dict[str, Any]) -> str:
    return str(inputs.get("region") or _state["region"])


def _name(name: str, inputs: dict[str, Any], key: str = "name") -> str:
    return str(inputs.get(key) or name)


def _provider(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    _state["project"] = inputs.get("project") or DEFAULT_PROJECT
    _state["region"] = inputs.get("region") or DEFAULT_REGION
    return {}


def _psa_address(offset: int) -> str:
    """An address inside the reserved private-services range (Google picks a subrange)."""
    base = _state.get("psa") or "10.70.0.0"
    return str(ipaddress.IPv4Address(base) + offset)


def _global_address(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    if inputs.get("purpose") == "VPC_PEERING" and inputs.get("address"):
        _state["psa"] = inputs["address"]
    path = f"projects/{_project(inputs)}/global/addresses/{_name(name, inputs)}"
    return {"__id": path, "selfLink": f"{COMPUTE}/{path}", "name": _name(name, inputs)}


def _network(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    path = f"projects/{_project(inputs)}/global/networks/{_name(name, inputs)}"
    return {"__id": path, "selfLink": f"{COMPUTE}/{path}", "numericId": "4815162342"}


def _regional(kind: str) -> Rule:
    def rule(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        path = f"projects/{_project(inputs)}/regions/{_region(inputs)}/{kind}/{_name(name, inputs)}"
        return {"__id": path, "selfLink": f"{COMPUTE}/{path}", "name": _name(name, inputs)}

    return rule


def _firewall(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    path = f"projects/{_project(inputs)}/global/firewalls/{_name(name, inputs)}"
    return {"__id": path, "selfLink": f"{COMPUTE}/{path}"}


def _peering(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"peering": "servicenetworking-googleapis-com"}


def _cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    location = str(inputs.get("location") or _state["region"])
    cluster = _name(name, inputs)
    private = inputs.get("privateClusterConfig") or {}
    master = ipaddress.IPv4Network(private.get("masterIpv4CidrBlock") or "172.16.0.0/28")
    private_ip = str(master.network_address + 2)
    endpoint = private_ip if private.get("enablePrivateEndpoint") else "34.118.12.7"
    path = f"projects/{_project(inputs)}/locations/{location}/clusters/{cluster}"
    return {
        "__id": path,
        "name": cluster,
        "selfLink": f"https://container.googleapis.com/v1/{path}",
        "endpoint": endpoint,
        "masterAuth": {"clusterCaCertificate": CA_CERTIFICATE},
        "privateClusterConfig": {**private, "privateEndpoint": private_ip},
        # GKE resolves the minor to the channel's current patch.
        "masterVersion": f"{inputs.get('minMasterVersion') or '1.35'}.7-gke.1222000",
    }


def _node_pool(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    location = str(inputs.get("location") or _state["region"])
    pool = _name(name, inputs)
    return {
        "__id": f"{_project(inputs)}/{location}/{inputs.get('cluster')}/{pool}",
        "name": pool,
        "instanceGroupUrls": [
            f"{COMPUTE}/projects/{_project(inputs)}/zones/{location}-a/instanceGroupManagers/"
            f"gke-{inputs.get('cluster')}-{pool}-grp"
        ],
    }


def _sql_instance(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    instance = _name(name, inputs)
    project, region = _project(inputs), _region(inputs)
    ip = _psa_address(3)
    return {
        "__id": instance,
        "privateIpAddress": ip,
        "ipAddresses": [{"ipAddress": ip, "type": "PRIVATE"}],
        "connectionName": f"{project}:{region}:{instance}",
        "selfLink": f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{project}/instances/"
        f"{instance}",
        "serviceAccountEmailAddress": f"p{PROJECT_NUMBER}-abc123@gcp-sa-cloud-sql.iam."
        "gserviceaccount.com",
    }


def _redis_instance(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    instance = _name(name, inputs)
    project, region = _project(inputs), _region(inputs)
    return {
        "__id": f"projects/{project}/locations/{region}/instances/{instance}",
        # Memorystore takes a /29 of the reserved range after Cloud SQL's block.
        "host": _psa_address(1 * 256 + 4),
        "port": 6379,
        "currentLocationId": f"{region}-a",
        "persistenceIamIdentity": f"serviceAccount:service-{PROJECT_NUMBER}@cloud-redis.iam."
        "gserviceaccount.com",
    }


def _repository(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    project = _project(inputs)
    location = str(inputs.get("location") or _state["region"])
    repo = _name(name, inputs, "repositoryId")
    return {
        "__id": f"projects/{project}/locations/{location}/repositories/{repo}",
        "name": repo,
        "project": project,
        "location": location,
        "registryUri": f"{location}-docker.pkg.dev/{project}/{repo}",
    }


def _bucket(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    bucket = _name(name, inputs)
    return {
        "__id": bucket,
        "url": f"gs://{bucket}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}",
    }


def _service_account(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    project = _project(inputs)
    email = f"{_name(name, inputs, 'accountId')}@{project}.iam.gserviceaccount.com"
    return {
        "__id": f"projects/{project}/serviceAccounts/{email}",
        "email": email,
        "name": f"projects/{project}/serviceAccounts/{email}",
        "member": f"serviceAccount:{email}",
        "uniqueId": "104857600000000000001",
    }


def _custom_role(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    path = f"projects/{_project(inputs)}/roles/{_name(name, inputs, 'roleId')}"
    return {"__id": path, "name": path}


def _pool_path(inputs: dict[str, Any]) -> str:
    # IAM names pools by project number, not id (what principal:// members must use).
    pool = inputs["workloadIdentityPoolId"]
    return f"projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/{pool}"


def _identity_pool(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"__id": _pool_path(inputs), "name": _pool_path(inputs), "state": "ACTIVE"}


def _identity_pool_provider(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    path = f"{_pool_path(inputs)}/providers/{inputs['workloadIdentityPoolProviderId']}"
    return {"__id": path, "name": path, "state": "ACTIVE"}


def _etag(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"etag": "BwYhRc0dE3o="}


def _service(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"__id": f"{_project(inputs)}/{inputs.get('service')}"}


def _key_ring(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    path = f"projects/{_project(inputs)}/locations/{inputs.get('location')}/keyRings/"
    return {"__id": path + _name(name, inputs)}


def _crypto_key(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"__id": f"{inputs.get('keyRing')}/cryptoKeys/{_name(name, inputs)}"}


RESOURCES: dict[str, Rule] = {
    "pulumi:providers:gcp": _provider,
    "gcp:compute/network:Network": _network,
    "gcp:compute/subnetwork:Subnetwork": _regional("subnetworks"),
    "gcp:compute/router:Router": _regional("routers"),
    "gcp:compute/globalAddress:GlobalAddress": _global_address,
    "gcp:compute/firewall:Firewall": _firewall,
    "gcp:servicenetworking/connection:Connection": _peering,
    "gcp:container/cluster:Cluster": _cluster,
    "gcp:container/nodePool:NodePool": _node_pool,
    "gcp:sql/databaseInstance:DatabaseInstance": _sql_instance,
    "gcp:redis/instance:Instance": _redis_instance,
    "gcp:artifactregistry/repository:Repository": _repository,
    "gcp:storage/bucket:Bucket": _bucket,
    "gcp:serviceaccount/account:Account": _service_account,
    "gcp:projects/iAMCustomRole:IAMCustomRole": _custom_role,
    "gcp:projects/iAMMember:IAMMember": _etag,
    "gcp:serviceaccount/iAMMember:IAMMember": _etag,
    "gcp:storage/bucketIAMMember:BucketIAMMember": _etag,
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": _etag,
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": _etag,
    "gcp:projects/service:Service": _service,
    "gcp:kms/keyRing:KeyRing": _key_ring,
    "gcp:kms/cryptoKey:CryptoKey": _crypto_key,
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": _identity_pool,
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": _identity_pool_provider,
}


def _storage_agent(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "emailAddress": f"service-{PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
        "id": f"service-{PROJECT_NUMBER}",
        "member": f"serviceAccount:service-{PROJECT_NUMBER}@gs-project-accounts.iam."
        "gserviceaccount.com",
        "project": args.get("project") or _state["project"],
    }


def _get_project(args: dict[str, Any]) -> dict[str, Any]:
    project = args.get("projectId") or _state["project"]
    return {"projectId": project, "number": PROJECT_NUMBER, "id": f"projects/{project}"}


CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": _storage_agent,
    "gcp:organizations/getProject:getProject": _get_project,
}
