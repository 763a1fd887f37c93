"""What the first `pulumi up -s azure-prod` and its first endpoint meet on a real Azure: the
ordering Azure needs, a kubeconfig that needs no person, names Azure accepts, bounded growth."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
import yaml

from components.azure import versions as aks_versions
from components.azure.kubeconfig import with_login
from components.model_engine import capabilities
from plan import computed_azure
from plan.cli import servicebus_sku
from tests.azure.helpers import CLUSTER, POOL, ROLE, AzureRun, azure_config, run_azure
from tests.conftest import ROOT

PROVIDER = "pulumi:providers:kubernetes"
NETWORK_CONTRIBUTOR = "platform-cluster-subnet-network-contributor"
DEPLOYER_ADMIN = "platform-cluster-deployer-admin"


# --- 2. the gateway's internal load balancer ---------------------------------------------


def test_cluster_identity_may_join_the_node_subnet_before_any_addon(prod: AzureRun) -> None:
    grant = prod.one(ROLE, NETWORK_CONTRIBUTOR)
    aks = prod.state(CLUSTER, "platform-cluster-aks")
    assert grant.inputs["principalId"] == aks["identity"]["principalId"]
    assert grant.inputs["scope"].endswith("/subnets/nodes")
    found2 = prod.of_type("kubernetes:helm.sh/v3:Release")
    assert found2
    for release in found2:
        assert grant.urn in prod.upstream(release), release.name


# --- 3. PostgreSQL Flexible Server: one write at a time ------------------------------------


def test_writes_on_the_postgres_server_form_one_chain(prod: AzureRun) -> None:
    server = prod.one("azure-native:dbforpostgresql:Server", "platform-database-postgres")
    writes = [
        r
        for r in prod.run.resources
        if r.type.startswith("azure-native:dbforpostgresql:") and r.urn != server.urn
    ]
    assert len(writes) == 3
    # Every two writes are ordered: one waits (transitively) for the other.
    for i, a in enumerate(writes):
        for b in writes[i + 1 :]:
            assert a.urn in prod.upstream(b) or b.urn in prod.upstream(a), (a.name, b.name)


def test_writes_on_the_managed_cluster_form_one_chain(prod: AzureRun) -> None:
    # AKS refuses a second agent-pool or cluster write while one runs (409 Conflict).
    writes = [
        r
        for r in prod.run.resources
        if r.type
        in (
            "azure-native:containerservice:AgentPool",
            "azure-native:containerservice:MaintenanceConfiguration",
        )
    ]
    assert len([w for w in writes if w.type.endswith(":AgentPool")]) == 3
    assert len(writes) >= 4
    for i, a in enumerate(writes):
        for b in writes[i + 1 :]:
            assert a.urn in prod.upstream(b) or b.urn in prod.upstream(a), (a.name, b.name)


# --- 4. a kubeconfig without a person at the keyboard --------------------------------------


def _provider_kubeconfig(run: AzureRun) -> dict[str, Any]:
    provider = run.one(PROVIDER, "platform-cluster-k8s")
    assert "kubeconfig" in provider.secret_inputs
    return yaml.safe_load(provider.inputs["kubeconfig"])


def _exec(config: dict[str, Any]) -> dict[str, Any]:
    (user,) = config["users"]
    return user["user"]["exec"]


def test_simulated_aks_hands_out_a_device_code_kubeconfig() -> None:
    issued = yaml.safe_load(computed_azure.kubeconfig("rg", "aks"))
    args = _exec(issued)["args"]
    assert args[args.index("--login") + 1] == "devicecode"


def test_deployer_kubeconfig_uses_the_azure_cli_login(prod: AzureRun) -> None:
    exec_ = _exec(_provider_kubeconfig(prod))
    assert exec_["command"] == "kubelogin"
    assert exec_["args"] == [
        "get-token",
        "--login",
        "azurecli",
        "--server-id",
        computed_azure.AKS_SERVER_APP,
    ]
    assert exec_["interactiveMode"] == "Never"


def _ci(login: str) -> AzureRun:
    config = azure_config()
    cluster = config["model-engine-infra:azure"]["cluster"]
    cluster["deployerLogin"] = login
    cluster["deployerPrincipalType"] = "ServicePrincipal"
    return run_azure(config)


def test_ci_kubeconfig_with_workload_identity() -> None:
    args = _exec(_provider_kubeconfig(_ci("workloadidentity")))["args"]
    assert args == [
        "get-token",
        "--login",
        "workloadidentity",
        "--server-id",
        computed_azure.AKS_SERVER_APP,
    ]


def test_ci_kubeconfig_with_a_service_principal_names_it_and_the_tenant() -> None:
    args = _exec(_provider_kubeconfig(_ci("spn")))["args"]
    client = computed_azure.minted_id("deployer-client", "az-login")
    assert args[args.index("--login") + 1] == "spn"
    assert args[args.index("--client-id") + 1] == client
    assert args[args.index("--tenant-id") + 1] == computed_azure.TENANT_ID
    assert "devicecode" not in args and computed_azure.AKS_CLIENT_APP not in args


CI_DEPLOY = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
CI_DEPLOY_CLIENT = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def test_a_named_deployer_is_the_cluster_admin_whoever_runs_the_program() -> None:
    # A preview or drift check run as the preview identity must not move this grant to it.
    config = azure_config()
    cluster = config["model-engine-infra:azure"]["cluster"]
    cluster.update(
        deployerObjectId=CI_DEPLOY,
        deployerClientId=CI_DEPLOY_CLIENT,
        deployerPrincipalType="ServicePrincipal",
        deployerLogin="spn",
    )
    run = run_azure(config)
    admin = run.one(ROLE, DEPLOYER_ADMIN).inputs
    assert admin["principalId"] == CI_DEPLOY
    assert admin["principalType"] == "ServicePrincipal"
    args = _exec(_provider_kubeconfig(run))["args"]
    assert args[args.index("--client-id") + 1] == CI_DEPLOY_CLIENT


def test_without_a_named_deployer_the_runner_is_the_cluster_admin(prod: AzureRun) -> None:
    admin = prod.one(ROLE, DEPLOYER_ADMIN).inputs
    assert admin["principalId"] == computed_azure.DEPLOYER_OBJECT_ID
    # Nothing names a service principal: a person's `az login`.
    assert admin["principalType"] == "User"


@pytest.mark.parametrize(
    ("cluster", "principal_type"),
    [
        ({"deployerLogin": "workloadidentity"}, "ServicePrincipal"),
        ({"deployerLogin": "spn", "deployerClientId": CI_DEPLOY_CLIENT}, "ServicePrincipal"),
        # azure/login in CI with the deploy identity's application id named.
        ({"deployerClientId": CI_DEPLOY_CLIENT}, "ServicePrincipal"),
        ({"deployerPrincipalType": "User"}, "User"),
    ],
)
def test_the_admin_grant_names_the_type_the_login_signs_in_as(
    cluster: dict[str, str], principal_type: str
) -> None:
    config = azure_config()
    config["model-engine-infra:azure"]["cluster"].update(cluster)
    admin = run_azure(config).one(ROLE, DEPLOYER_ADMIN).inputs
    assert admin["principalType"] == principal_type


def test_a_kubeconfig_without_kubelogin_is_refused() -> None:
    plain = "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: t\n"
    with pytest.raises(ValueError, match="no kubelogin exec user"):
        with_login(plain, "azurecli")


# --- 5. the deployer's cluster role is in force before the first Kubernetes call ----------


def test_kubeconfig_waits_for_both_cluster_role_assignments(prod: AzureRun) -> None:
    provider = prod.one(PROVIDER, "platform-cluster-k8s")
    waited_on = set(provider.property_dependencies["kubeconfig"])
    assert {prod.one(ROLE, DEPLOYER_ADMIN).urn, prod.one(ROLE, NETWORK_CONTRIBUTOR).urn} <= (
        waited_on
    )


def test_warm_up_pulls_wait_for_the_pull_and_credential_role_assignments(prod: AzureRun) -> None:
    # The first pull through ACR uses the kubelet's AcrPull and the credential set's reads
    # of the upstream secrets; the Job's images wait until those have propagated.
    job = prod.one("kubernetes:batch/v1:Job", "platform-registry-warm-up")
    waited_on = set(job.property_dependencies["spec"])
    pull = prod.one(ROLE, "platform-kubelet-acr-pull")
    reads = [
        prod.one(ROLE, f"platform-registry-credential-set-reads-{label}")
        for label in ("username", "token")
    ]
    assert {pull.urn, *(r.urn for r in reads)} <= waited_on
    assert reads[0].inputs["principalId"] == reads[1].inputs["principalId"] != ""


# --- 8. production choices ----------------------------------------------------------------


def test_prod_example_uses_premium_service_bus(prod: AzureRun) -> None:
    assert servicebus_sku(prod.run) == "Premium"
    rows = {
        r.feature: r.works for r in capabilities.capabilities(prod.values, servicebus_sku="Premium")
    }
    assert rows["Async endpoints"] == "yes"


def test_standard_service_bus_says_what_breaks() -> None:
    config = azure_config()
    config["model-engine-infra:azure"]["serviceBus"] = {"sku": "Standard"}
    run = run_azure(config)
    rows = {
        r.feature: r
        for r in capabilities.capabilities(run.values, servicebus_sku=servicebus_sku(run.run))
    }
    assert rows["Async endpoints"].works == "partly"
    assert "lock duration" in rows["Async endpoints"].why
    assert "Premium" in rows["Async endpoints"].operator


def test_default_version_is_the_newest_in_standard_support_on_the_day() -> None:
    day = datetime.date(2026, 12, 5)
    supported = aks_versions.in_standard_support(day)
    newest = max(supported, key=lambda v: int(v.split(".")[1]))
    assert aks_versions.DEFAULT_VERSION == newest == "1.36"
    # 1.35 leaves standard support in March 2027; the calendar knows.
    assert "1.35" in aks_versions.in_standard_support(datetime.date(2027, 3, 1))
    assert "1.35" not in aks_versions.in_standard_support(datetime.date(2027, 4, 1))


def test_a_version_past_its_support_is_refused_on_the_day(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    monkeypatch.setenv(aks_versions.TODAY_ENV, "2027-04-01")
    config = azure_config()
    config["model-engine-infra:azure"]["cluster"]["version"] = "1.35"
    with pytest.raises(pulumi.RunError, match=r"'1\.35' is not in AKS standard support"):
        run_azure(config)


# --- 9. what a customer changes -----------------------------------------------------------


def test_example_marks_the_ranges_and_the_admin_group_to_change() -> None:
    text = (ROOT / "stacks" / "Pulumi.azure-prod.yaml").read_text()
    for key in ("authorizedIpRanges:", "adminGroupObjectIds:", "url:", "username:"):
        (line,) = [ln for ln in text.splitlines() if ln.strip().startswith(key)]
        assert line.rstrip().endswith("# CHANGE"), line


def test_readme_says_how_to_check_gpu_sizes_and_quota() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "az vm list-skus --location" in readme
    assert "az vm list-usage --location" in readme


# --- 10. names Azure accepts for any environment name -------------------------------------

ODD_ENVIRONMENTS = [
    "x",
    "prod-" + "a" * 58,  # 63 characters: the longest DNS label
    "a1-b2-c3-d4-e5-f6-g7-h8-i9-j0-k1-l2-m3-n4-o5-p6-q7-r8-s9-t0-uv",
    "eu-west-customer-production-secondary-region-failover-blue",
]
RULES = {
    # (type, logical name, input) -> Azure's rule for that name.
    (CLUSTER, "platform-cluster-aks", "dnsPrefix"): r"[A-Za-z0-9]([A-Za-z0-9-]{0,52}[A-Za-z0-9])?",
    (CLUSTER, "platform-cluster-aks", "resourceName"): r"[A-Za-z0-9][A-Za-z0-9_-]{0,61}[A-Za-z0-9]",
    (
        "azure-native:keyvault:Vault",
        "platform-vault-kv",
        "vaultName",
    ): r"[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]",
    (
        "azure-native:keyvault:Vault",
        "platform-upstream-vault-kv",
        "vaultName",
    ): r"[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]",
    (
        "azure-native:storage:StorageAccount",
        "platform-storage-account",
        "accountName",
    ): r"[a-z0-9]{3,24}",
    (
        "azure-native:containerregistry:Registry",
        "platform-registry-acr",
        "registryName",
    ): r"[A-Za-z0-9]{5,50}",
    (
        "azure-native:dbforpostgresql:Server",
        "platform-database-postgres",
        "serverName",
    ): r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]",
    (
        "azure-native:servicebus:Namespace",
        "platform-broker-servicebus",
        "namespaceName",
    ): r"[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]",
    (
        "azure-native:managedidentity:UserAssignedIdentity",
        "platform-identity-control-plane",
        "resourceName",
    ): r"[A-Za-z0-9][A-Za-z0-9_-]{2,127}",
}


@pytest.mark.parametrize("environment", ODD_ENVIRONMENTS)
def test_names_fit_azure_rules_for_any_environment(environment: str) -> None:
    config = azure_config()
    config["model-engine-infra:environment"] = environment
    run = run_azure(config)
    for (typ, name, key), rule in RULES.items():
        value = run.one(typ, name).inputs[key]
        assert re.fullmatch(rule, value), (key, value)
    pools = [r.inputs["agentPoolName"] for r in run.of_type(POOL)]
    pools.append(run.one(CLUSTER, "platform-cluster-aks").inputs["agentPoolProfiles"][0]["name"])
    assert len(set(pools)) == len(pools)
    for pool in pools:
        assert re.fullmatch(r"[a-z][a-z0-9]{0,11}", pool), pool


def test_dns_prefix_drops_what_a_cluster_name_may_hold() -> None:
    config = azure_config()
    config["model-engine-infra:azure"]["cluster"]["name"] = "Team_ML_" + "x" * 55
    run = run_azure(config)
    aks = run.one(CLUSTER, "platform-cluster-aks").inputs
    assert len(aks["resourceName"]) == 63
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,52}[A-Za-z0-9]", aks["dnsPrefix"])
    assert aks["dnsPrefix"].startswith("Team-ML-")


def test_long_gpu_pool_names_are_trimmed_and_kept_apart() -> None:
    import pulumi

    config = azure_config()
    pools = config["model-engine-infra:gpu"]["pools"]
    pools[0]["name"] = "a100-eastus2-primary"
    run = run_azure(config)
    assert (
        run.one(POOL, "platform-nodes-gpu-a100-eastus2-primary").inputs["agentPoolName"]
        == "a100eastus2p"
    )
    pools[1]["name"] = "a100-eastus2-primary-b"
    with pytest.raises(pulumi.RunError, match="both become AKS pool 'a100eastus2p'"):
        run_azure(config)


# --- 11. smaller items --------------------------------------------------------------------


def test_results_and_old_versions_expire(prod: AzureRun) -> None:
    policy = prod.one("azure-native:storage:ManagementPolicy", "platform-storage-lifecycle")
    assert policy.inputs["managementPolicyName"] == "default"
    rules = {r["name"]: r["definition"] for r in policy.inputs["policy"]["rules"]}
    results = rules["expire-celery-results"]
    assert results["filters"]["prefixMatch"] == ["celery/"]
    assert results["actions"]["baseBlob"]["delete"]["daysAfterModificationGreaterThan"] == 7
    versions = rules["expire-previous-versions"]
    assert "prefixMatch" not in versions["filters"]
    assert versions["actions"]["version"]["delete"]["daysAfterCreationGreaterThan"] == 30


def test_vault_name_carries_a_random_suffix_kept_in_state(prod: AzureRun) -> None:
    suffix = prod.one("random:index/randomString:RandomString", "platform-vault-suffix")
    assert suffix.inputs["length"] == 8 and suffix.inputs["upper"] is False
    name = prod.one("azure-native:keyvault:Vault", "platform-vault-kv").inputs["vaultName"]
    assert name == f"kv-azure-prod-{suffix.state['result']}"
    assert prod.values["azure"]["keyvault_name"] == name


def test_gpu_nodes_get_time_to_join(prod: AzureRun) -> None:
    profile = prod.one(CLUSTER, "platform-cluster-aks").inputs["autoScalerProfile"]
    minutes = int(profile["maxNodeProvisionTime"].removesuffix("m"))
    # The default (15m) is shorter than a large GPU VM plus its driver install.
    assert minutes >= 30


def test_private_upstream_pulls_with_a_credential_set(prod: AzureRun) -> None:
    cs = prod.one(
        "azure-native:containerregistry:CredentialSet", "platform-registry-credential-set"
    )
    assert cs.inputs["loginServer"] == "ghcr.io"
    assert cs.inputs["identity"]["type"] == "SystemAssigned"
    (cred,) = cs.inputs["authCredentials"]
    vault = prod.one("azure-native:keyvault:Vault", "platform-upstream-vault-kv").inputs
    assert cred["usernameSecretIdentifier"] == (
        f"https://{vault['vaultName']}.vault.azure.net/secrets/registry-upstream-username"
    )
    assert cred["passwordSecretIdentifier"] == (
        f"https://{vault['vaultName']}.vault.azure.net/secrets/registry-upstream-token"
    )
    token = prod.one("azure-native:keyvault:Secret", "platform-registry-upstream-token")
    assert "properties.value" in token.secret_inputs or "properties" in token.secret_inputs
    reads = [r for r in prod.of_type(ROLE) if r.name.startswith("platform-registry-credential")]
    rules = prod.of_type("azure-native:containerregistry:CacheRule")
    assert rules
    for rule in rules:
        assert rule.inputs["credentialSetResourceId"].endswith("/credentialSets/upstream")
        # The first pull must find the secrets readable.
        assert {r.urn for r in reads} <= set(rule.dependencies)


def test_acr_reads_upstream_credentials_from_a_vault_it_can_reach(prod: AzureRun) -> None:
    # ACR is a Key Vault trusted service only for customer-managed keys: its artifact cache
    # cannot pass a vault that refuses public traffic, so with privateAccess the credential
    # set reads a vault of its own that takes it, and holds nothing else.
    main = prod.one("azure-native:keyvault:Vault", "platform-vault-kv").inputs
    upstream = prod.one("azure-native:keyvault:Vault", "platform-upstream-vault-kv").inputs
    assert main["properties"]["publicNetworkAccess"] == "Disabled"
    assert upstream["properties"]["publicNetworkAccess"] == "Enabled"
    assert upstream["properties"]["networkAcls"]["defaultAction"] == "Allow"
    assert upstream["properties"]["enableRbacAuthorization"] is True
    held = {
        r.inputs["secretName"]
        for r in prod.of_type("azure-native:keyvault:Secret")
        if r.inputs["vaultName"] == upstream["vaultName"]
    }
    assert held == {"registry-upstream-username", "registry-upstream-token"}


def test_without_private_access_the_one_vault_serves_acr() -> None:
    config = azure_config()
    config["model-engine-infra:azure"]["network"]["privateAccess"] = False
    run = run_azure(config)
    (vault,) = run.of_type("azure-native:keyvault:Vault")
    (cred,) = run.one(
        "azure-native:containerregistry:CredentialSet", "platform-registry-credential-set"
    ).inputs["authCredentials"]
    assert cred["passwordSecretIdentifier"].startswith(
        f"https://{vault.inputs['vaultName']}.vault.azure.net/"
    )


def test_public_upstream_needs_no_credentials() -> None:
    config = azure_config()
    upstream = config["model-engine-infra:azure"]["registry"]["upstream"]
    del upstream["username"]
    upstream["public"] = True
    del config["model-engine-infra:azureUpstreamToken"]
    run = run_azure(config)
    assert run.of_type("azure-native:containerregistry:CredentialSet") == []
    found = run.of_type("azure-native:containerregistry:CacheRule")
    assert found
    for rule in found:
        assert not rule.inputs.get("credentialSetResourceId")


def test_system_pool_is_for_aks_and_the_rest_still_has_a_home(prod: AzureRun) -> None:
    """With the system pool tainted CriticalAddonsOnly, the control plane, the add-ons and
    CPU endpoints must fit the CPU pool: it carries the chart's nodeSelector and no taint,
    and no release but the device plugin (a DaemonSet for GPU nodes) tolerates the taint."""
    import json

    (system,) = prod.one(CLUSTER, "platform-cluster-aks").inputs["agentPoolProfiles"]
    assert system["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    cpu = prod.one(POOL, "platform-nodes-cpu").inputs
    assert not cpu.get("nodeTaints")
    assert prod.values["nodeSelector"].items() <= cpu["nodeLabels"].items()
    tolerating = {
        r.name
        for r in prod.of_type("kubernetes:helm.sh/v3:Release")
        if "CriticalAddonsOnly" in json.dumps(r.inputs.get("values") or {})
    }
    assert tolerating == {"addons-nvidia-device-plugin"}
