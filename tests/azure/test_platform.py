"""AKS, node pools and the stateful services: secure settings, protection, ordering."""

from __future__ import annotations

import ipaddress
from typing import Any

from components import accelerators
from tests.azure.helpers import CLUSTER, POOL, AzureRun, azure_config, run_azure

STATEFUL = (
    "azure-native:dbforpostgresql:Server",
    "azure-native:dbforpostgresql:Database",
    "azure-native:redisenterprise:RedisEnterprise",
    "azure-native:redisenterprise:Database",
    "azure-native:servicebus:Namespace",
    "azure-native:containerregistry:Registry",
    "azure-native:storage:StorageAccount",
    "azure-native:storage:BlobContainer",
    "azure-native:keyvault:Vault",
    CLUSTER,
)


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


def test_cpu_pool_is_labelled_for_the_cpu_image_cache(prod: AzureRun) -> None:
    cpu = prod.one(POOL, "platform-nodes-cpu").inputs
    assert cpu["nodeLabels"][accelerators.CPU_ONLY_LABEL] == "true"
    assert cpu["nodeLabels"][accelerators.LIFECYCLE_LABEL] == "normal"


def test_gpu_pools_carry_the_chart_label_taint_and_scale_from_zero(prod: AzureRun) -> None:
    pools = {r.name: r.inputs for r in prod.of_type(POOL)}
    a100 = pools["platform-nodes-gpu-a100"]
    h100 = pools["platform-nodes-gpu-h100"]
    assert a100["vmSize"] == "Standard_NC24ads_A100_v4"
    assert a100["nodeLabels"][accelerators.ACCELERATOR_LABEL] == "nvidia-ampere-a100e"
    assert h100["vmSize"] == "Standard_ND96isr_H100_v5"
    assert h100["nodeLabels"][accelerators.ACCELERATOR_LABEL] == "nvidia-hopper-h100"
    for pool in (a100, h100):
        assert pool["nodeLabels"][accelerators.LIFECYCLE_LABEL] == "normal"
        assert pool["nodeTaints"] == ["nvidia.com/gpu=present:NoSchedule"]
        assert pool["enableAutoScaling"] is True
    # The A100 pool starts with the node its balloon keeps warm; the H100 pool from zero.
    assert (a100["minCount"], a100["count"], h100["minCount"]) == (1, 1, 0)
    # The balloons and devices the chart gets select exactly these labels.
    balloons = {b["acceleratorName"] for b in prod.values["balloons"]} - {"cpu"}
    assert balloons == {p["nodeLabels"][accelerators.ACCELERATOR_LABEL] for p in (a100, h100)}


def test_no_cluster_autoscaler_on_azure(prod: AzureRun) -> None:
    names = [r.name for r in prod.of_type("kubernetes:helm.sh/v3:Release")]
    assert not [n for n in names if "autoscaler" in n]


def test_mig_pool_gets_the_mig_layout_label() -> None:
    config = azure_config()
    config["model-engine-infra:gpu"]["pools"].append(
        {"name": "slices", "accelerator": "h100-1g20gb", "maxSize": 1}
    )
    run = run_azure(config)
    pool = run.one(POOL, "platform-nodes-gpu-slices").inputs
    assert pool["nodeLabels"][accelerators.MIG_CONFIG_LABEL] == "all-1g.20gb"
    assert pool["vmSize"] == "Standard_ND96isr_H100_v5"


def test_aks_installs_the_gpu_driver_unless_the_gpu_operator_does() -> None:
    """One driver per node: AKS's (gpuProfile.driver Install) by default; None when the
    stack has the GPU operator install its own (addons.nvidia.installDriver)."""
    config = azure_config()
    config["model-engine-infra:addons"] = {
        "nvidia": {"mode": "gpu-operator", "installDriver": True}
    }
    run = run_azure(config)
    pools = [p.inputs for p in run.of_type(POOL) if "-gpu-" in p.name]
    assert pools
    for pool in pools:
        assert pool["gpuProfile"] == {"driver": "None"}
    # The CPU pool has no GPU to drive.
    assert "gpuProfile" not in run.one(POOL, "platform-nodes-cpu").inputs


def test_stateful_resources_are_protected(prod: AzureRun) -> None:
    for typ in STATEFUL:
        found = prod.of_type(typ)
        assert found
        for r in found:
            assert r.protect, (typ, r.name)


def test_postgres_is_private_tls_backed_up(prod: AzureRun) -> None:
    server = prod.one("azure-native:dbforpostgresql:Server", "platform-database-postgres").inputs
    assert int(server["version"]) >= 16
    assert server["network"]["publicNetworkAccess"] == "Disabled"
    assert server["network"]["delegatedSubnetResourceId"].endswith("/subnets/database")
    assert server["backup"]["backupRetentionDays"] >= 7
    assert server["highAvailability"]["mode"] == "ZoneRedundant"
    configs = {
        r.inputs["configurationName"]: r.inputs["value"]
        for r in prod.of_type("azure-native:dbforpostgresql:Configuration")
    }
    assert configs["require_secure_transport"] == "ON"


def test_database_password_is_url_safe() -> None:
    import re

    from components.model_engine import chart_facts as cf

    run = run_azure(azure_config())
    password = run.one("random:index/randomPassword:RandomPassword", "platform-database-password")
    # Without specials RandomPassword draws from [A-Za-z0-9] only, inside the URL-safe set.
    assert password.inputs["special"] is False
    assert password.inputs.get("overrideSpecial") in (None, "")
    assert re.fullmatch(cf.URL_SAFE_CREDENTIAL, "".join(map(chr, range(48, 58))) + "aZ")


def test_redis_is_non_cluster_tls_entra_only(prod: AzureRun) -> None:
    db = prod.one("azure-native:redisenterprise:Database", "platform-cache-db").inputs
    assert db["clusteringPolicy"] == "NoCluster"
    assert db["clientProtocol"] == "Encrypted"
    assert db["accessKeysAuthentication"] == "Disabled"
    cluster = prod.one("azure-native:redisenterprise:RedisEnterprise", "platform-cache-redis")
    assert cluster.inputs["publicNetworkAccess"] == "Disabled"


def test_storage_is_private_entra_only_and_recoverable(prod: AzureRun) -> None:
    account = prod.one("azure-native:storage:StorageAccount", "platform-storage-account").inputs
    assert account["allowSharedKeyAccess"] is False
    assert account["allowBlobPublicAccess"] is False
    assert account["minimumTlsVersion"] == "TLS1_2"
    blob = prod.one("azure-native:storage:BlobServiceProperties", "platform-storage-blob-service")
    assert blob.inputs["isVersioningEnabled"] is True
    assert blob.inputs["deleteRetentionPolicy"]["enabled"] is True
    containers = {
        r.inputs["containerName"] for r in prod.of_type("azure-native:storage:BlobContainer")
    }
    # Celery's result backend writes to `celery`, not to abs_container_name.
    assert containers == {"celery", prod.values["azure"]["abs_container_name"]}


def test_vault_service_bus_and_registry_refuse_local_credentials(prod: AzureRun) -> None:
    vault = prod.one("azure-native:keyvault:Vault", "platform-vault-kv").inputs["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enablePurgeProtection"] is True
    assert vault["enableSoftDelete"] is True
    sb = prod.one("azure-native:servicebus:Namespace", "platform-broker-servicebus").inputs
    assert sb["disableLocalAuth"] is True
    acr = prod.one("azure-native:containerregistry:Registry", "platform-registry-acr").inputs
    assert acr["adminUserEnabled"] is False


def test_private_endpoints_and_zones_for_the_private_services(prod: AzureRun) -> None:
    zones = {
        r.inputs["privateZoneName"] for r in prod.of_type("azure-native:privatedns:PrivateZone")
    }
    assert {
        "privatelink.redis.azure.net",
        "privatelink.blob.core.windows.net",
        "privatelink.vaultcore.azure.net",
        "privatelink.azurecr.io",
    } <= zones
    assert any(z.endswith(".private.postgres.database.azure.com") for z in zones)
    # Premium Service Bus (the example) has a private endpoint too.
    assert "privatelink.servicebus.windows.net" in zones
    groups = {
        g
        for r in prod.of_type("azure-native:network:PrivateEndpoint")
        for c in r.inputs["privateLinkServiceConnections"]
        for g in c["groupIds"]
    }
    assert groups == {"redisEnterprise", "blob", "vault", "registry", "namespace"}


def _upstream_types(prod: AzureRun, typ: str, name: str) -> set[str]:
    by_urn = {r.urn: r for r in prod.run.resources}
    return {by_urn[u].type for u in prod.upstream(prod.one(typ, name)) if u in by_urn}


def test_postgres_and_redis_do_not_wait_for_aks(prod: AzureRun) -> None:
    for typ, name in (
        ("azure-native:redisenterprise:RedisEnterprise", "platform-cache-redis"),
        ("azure-native:dbforpostgresql:Server", "platform-database-postgres"),
    ):
        assert CLUSTER not in _upstream_types(prod, typ, name), name
    redis = prod.one("azure-native:redisenterprise:RedisEnterprise", "platform-cache-redis")
    # Managed Redis waits for nothing but its resource group.
    assert _upstream_types(
        prod, "azure-native:redisenterprise:RedisEnterprise", "platform-cache-redis"
    ) <= {"azure-native:resources:ResourceGroup"}, redis.dependencies


def test_postgres_waits_for_its_private_zone_link(prod: AzureRun) -> None:
    types = _upstream_types(
        prod, "azure-native:dbforpostgresql:Server", "platform-database-postgres"
    )
    assert "azure-native:privatedns:VirtualNetworkLink" in types


def test_chart_waits_for_the_identities_and_the_warm_up(prod: AzureRun) -> None:
    types = _upstream_types(prod, "kubernetes:helm.sh/v3:Release", "model-engine-chart")
    assert "azure-native:managedidentity:FederatedIdentityCredential" in types
    assert "azure-native:authorization:RoleAssignment" in types
    assert "kubernetes:batch/v1:Job" in types


def test_warm_up_pulls_through_the_login_server(prod: AzureRun) -> None:
    job: Any = prod.one("kubernetes:batch/v1:Job", "platform-registry-warm-up").inputs
    login = prod.values["config"]["values"]["infra"]["docker_repo_prefix"]
    images = {c["image"] for c in job["spec"]["template"]["spec"]["containers"]}
    assert images == {f"{login}/vllm:0.10.1", f"{login}/llm-engine/batch-infer-vllm:0.10.1"}


def test_existing_resource_group_is_used_not_created() -> None:
    config = azure_config()
    config["model-engine-infra:azure"]["resourceGroup"] = {"name": "rg-shared", "existing": True}
    run = run_azure(config)
    assert run.of_type("azure-native:resources:ResourceGroup") == []
    server = run.one("azure-native:dbforpostgresql:Server", "platform-database-postgres")
    assert server.inputs["resourceGroupName"] == "rg-shared"


def test_standard_service_bus_has_no_private_endpoint() -> None:
    config = azure_config()
    config["model-engine-infra:azure"]["serviceBus"] = {"sku": "Standard"}
    run = run_azure(config)
    sb = run.one("azure-native:servicebus:Namespace", "platform-broker-servicebus").inputs
    assert sb["publicNetworkAccess"] == "Enabled"
    zones = {
        r.inputs["privateZoneName"] for r in run.of_type("azure-native:privatedns:PrivateZone")
    }
    assert "privatelink.servicebus.windows.net" not in zones


def test_without_private_access_no_endpoints_and_public_services() -> None:
    config = azure_config()
    config["model-engine-infra:azure"]["network"]["privateAccess"] = False
    run = run_azure(config)
    assert run.of_type("azure-native:network:PrivateEndpoint") == []
    account = run.one("azure-native:storage:StorageAccount", "platform-storage-account").inputs
    assert account["publicNetworkAccess"] == "Enabled"
    # Still Entra-only and private to blobs.
    assert account["allowSharedKeyAccess"] is False


def test_managed_redis_name_and_region_fit_one_dns_label() -> None:
    config = azure_config()
    config["model-engine-infra:environment"] = "customer-production-west-europe-secondary"
    config["model-engine-infra:azure"]["location"] = "germanywestcentral"
    run = run_azure(config)
    host = run.state("azure-native:redisenterprise:RedisEnterprise", "platform-cache-redis")[
        "hostName"
    ]
    name, region = host.split(".")[:2]
    assert len(f"{name}.{region}") <= 63


def test_user_code_reaches_only_the_blob_and_service_bus_private_endpoints(prod: AzureRun) -> None:
    """The isolation admits a subnet of private endpoints: the one only Blob's and Service
    Bus's are in, never Key Vault's (the database password), the registry's or Redis's."""
    from components.isolation import matrix, netpol
    from components.isolation import policies as pol
    from plan.cli import ISOLATION, NETWORK_POLICY

    [component] = prod.of_type(ISOLATION)
    scope = pol.scope_from(component.inputs["scope"])
    policies = [r.inputs for r in prod.of_type(NETWORK_POLICY)]
    [vnet] = prod.of_type("azure-native:network:VirtualNetwork")
    prefix = {s["name"]: s["addressPrefix"] for s in vnet.inputs["subnets"]}
    pod = matrix.endpoint_pod(scope)
    reached = set()
    for endpoint in prod.of_type("azure-native:network:PrivateEndpoint"):
        subnet = endpoint.inputs["subnet"]["id"].rsplit("/subnets/", 1)[1]
        [group] = endpoint.inputs["privateLinkServiceConnections"][0]["groupIds"]
        # Every address of its subnet: the endpoint's own is assigned at deploy.
        hosts = list(ipaddress.ip_network(prefix[subnet]).hosts())
        if any(netpol.allowed(pod, netpol.External(str(h)), 443, policies) for h in hosts):
            reached.add(group)
    assert reached == {"blob", "namespace"}
