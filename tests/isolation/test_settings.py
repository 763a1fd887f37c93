"""The `isolation` block judged with the stack: a managed cluster's CNI is not the stack's
to state, and where the stack leaves things open the findings say what."""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

import pytest

from components.azure import PLATFORM as AZURE
from components.isolation import component
from components.platforms import PLATFORMS
from components.settings_base import SettingsError
from plan.cli import stack_config
from tests.helpers import refusal, set_path, settings_from


def _settings(stack: str, **isolation: Any) -> Any:
    config = dict(stack_config(stack))
    config["model-engine-infra:isolation"] = isolation
    return settings_from(config)


def test_cni_setting_is_refused_on_a_cluster_the_program_creates() -> None:
    with pytest.raises(SettingsError, match=r"isolation\.cniEnforcesNetworkPolicy: only for cloud"):
        component.check(_settings("customer-prod", cniEnforcesNetworkPolicy=True))


def test_an_existing_cluster_without_the_cni_setting_is_named_as_not_isolated() -> None:
    unset = _findings(_settings("existing-infra"))
    assert any(f.path == "isolation.cniEnforcesNetworkPolicy" for f in unset)
    stated = _findings(_settings("existing-infra", cniEnforcesNetworkPolicy=True))
    assert not any(f.path == "isolation.cniEnforcesNetworkPolicy" for f in stated)
    existing = PLATFORMS["existing"]
    stated_settings = _settings("existing-infra", cniEnforcesNetworkPolicy=True)
    assert component.enforces_network_policy(stated_settings, existing)
    assert not component.enforces_network_policy(_settings("existing-infra"), existing)


def test_managed_clusters_enforce_network_policy() -> None:
    for stack in ("customer-prod", "azure-prod", "gcp-prod"):
        assert component.enforces_network_policy(
            _settings(stack), PLATFORMS[_settings(stack).cloud]
        ), stack


def test_isolation_off_is_a_finding() -> None:
    found = _findings(_settings("customer-prod", enabled=False))
    assert any(f.path == "isolation.enabled" and "reach the database" in f.message for f in found)


def test_identity_service_url_alone_is_named_as_no_authentication() -> None:
    settings = _settings("existing-infra").model_copy(
        update={"identity_service_url": "https://id.example"}
    )
    [finding] = [f for f in _findings(settings) if f.path == "isolation.gatewayAuth"]
    assert "never reads it" in finding.message
    auth = {"issuer": "https://i.example", "jwksUri": "https://i.example/k", "audiences": ["a"]}
    with_auth = _settings("existing-infra", gatewayAuth=auth).model_copy(
        update={"identity_service_url": "https://id.example"}
    )
    assert not [f for f in _findings(with_auth) if f.path == "isolation.gatewayAuth"]


def test_your_own_object_store_needs_its_private_address_named() -> None:
    assert any(f.path == "isolation.privateEgress" for f in _findings(_settings("existing-infra")))
    named = _settings("existing-infra", privateEgress=[{"cidr": "10.20.0.0/24", "ports": [443]}])
    assert not any(f.path == "isolation.privateEgress" for f in _findings(named))
    egress = component.scope(named, _facts(named)).private_egress
    assert egress == (("10.20.0.0/24", (443,)),)


def _facts(settings: Any) -> Any:
    return PLATFORMS[settings.cloud].preview_facts(settings)


def _findings(settings: Any) -> Any:
    return component.findings(settings, PLATFORMS[settings.cloud])


def test_azure_user_code_reaches_blob_and_service_bus_private_endpoints_not_redis() -> None:
    from components.isolation import matrix
    from components.isolation.netpol import External, allowed
    from components.isolation.policies import network_policies

    settings = _settings("azure-prod")
    scope = component.scope(settings, _facts(settings))
    azure = AZURE.block(settings)
    subnet = azure.network.subnets["user-code-endpoints"]
    assert scope.private_egress == ((subnet, (443, 5671)),)
    policies, pod = network_policies(scope), matrix.endpoint_pod(scope)
    # Azure gives a subnet's private endpoints addresses from .4 on.
    address = str(ipaddress.ip_network(subnet).network_address + 4)
    # Not the other private endpoints' subnet (Key Vault, the registry, Redis).
    other = str(ipaddress.ip_network(azure.network.subnets["endpoints"])[4])
    assert not allowed(pod, External(other), 443, policies)
    assert allowed(pod, External(address), 443, policies)
    assert allowed(pod, External(address), 5671, policies)
    assert not allowed(pod, External(address), 10000, policies)  # Managed Redis
    # Premium Service Bus answers there; Managed Redis is not public.
    assert scope.broker_private and not scope.cache_public


def test_azure_without_private_access_redis_is_public_and_service_bus_on_the_internet() -> None:
    config = copy.deepcopy(stack_config("azure-prod"))
    set_path(config, "azure.network.privateAccess", False)
    settings = settings_from(config)
    scope = component.scope(settings, _facts(settings))
    assert scope.private_egress == ()
    assert scope.cache_public and not scope.broker_private


# -- the cluster's own Istio: istiod's namespace and the trust domain are the stack's


def _own_istio(**isolation: Any) -> Any:
    return _settings("existing-infra", **isolation)


def test_the_mesh_identity_of_your_own_istio_reaches_every_object() -> None:
    from components.isolation import matrix
    from components.isolation import policies as pol
    from components.isolation.netpol import Pod, allowed

    settings = _own_istio(istiodNamespace="aks-istio-system", trustDomain="corp.example")
    scope = component.scope(settings, _facts(settings))
    policies = pol.network_policies(scope)
    sidecar = matrix.endpoint_pod(scope)
    istiod = {"app": "istiod"}
    assert allowed(sidecar, Pod("aks-istio-system", istiod), pol.ISTIOD_XDS_PORT, policies)
    assert not allowed(sidecar, Pod("istio-system", istiod), pol.ISTIOD_XDS_PORT, policies)
    [_, authz] = pol.mesh_policies(scope)
    release = settings.namespaces.release
    assert authz["spec"]["rules"][0]["from"][0]["source"]["principals"] == [
        f"corp.example/ns/{release}/sa/model-engine"
    ]
    cells = {c.destination: c for c in matrix.matrix(scope, enforced=True)}
    assert cells["istiod"].reachable


def test_unset_they_are_what_the_program_installs() -> None:
    settings = _settings("customer-prod")
    scope = component.scope(settings, _facts(settings))
    assert (scope.istiod_namespace, scope.trust_domain) == ("istio-system", "cluster.local")
    values = {"meshConfig": {"trustDomain": "prod.example"}}
    config = dict(stack_config("customer-prod"))
    config["model-engine-infra:addons"] = {"istio": {"values": values}}
    custom = settings_from(config)
    assert component.scope(custom, _facts(custom)).trust_domain == "prod.example"


def test_your_own_istio_without_them_is_a_finding() -> None:
    assert any(f.path == "isolation.istiodNamespace" for f in _findings(_own_istio()))
    stated = _own_istio(istiodNamespace="istio-system", trustDomain="cluster.local")
    assert not any(f.path == "isolation.istiodNamespace" for f in _findings(stated))


@pytest.mark.parametrize(
    ("isolation", "key"),
    [
        ({"istiodNamespace": "mesh"}, "isolation.istiodNamespace"),
        ({"trustDomain": "corp.example"}, "isolation.trustDomain"),
    ],
)
def test_they_must_match_the_istiod_the_program_installs(
    isolation: dict[str, str], key: str
) -> None:
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        component.check(_settings("customer-prod", **isolation))
    # The values the program installs are accepted as stated.
    component.check(
        _settings("customer-prod", istiodNamespace="istio-system", trustDomain="cluster.local")
    )


@pytest.mark.parametrize(
    ("isolation", "key", "words"),
    [
        ({"istiodNamespace": "Istio_System"}, "istiodNamespace", "not a valid Kubernetes name"),
        ({"trustDomain": "spiffe://cluster.local"}, "trustDomain", "not a trust domain"),
        ({"trustDomain": "a/b"}, "trustDomain", "not a trust domain"),
        ({"enabled": False}, "disabledBecause", "what fences"),
        ({"enabled": False, "disabledBecause": " "}, "disabledBecause", "what fences"),
    ],
)
def test_bad_isolation_blocks_fail_before_any_resource_naming_the_key(
    isolation: dict[str, Any], key: str, words: str
) -> None:
    """Through the real program, as `pulumi up` runs it."""

    config = dict(stack_config("existing-infra"))
    config["model-engine-infra:isolation"] = {
        **config["model-engine-infra:isolation"],
        **isolation,
    }
    refusal(config, f"isolation.{key}", words)


def test_isolation_off_keeps_the_gateways_authentication_and_says_why() -> None:
    from plan.cli import isolation_report
    from plan.simulator import run_program

    config = dict(stack_config("customer-prod"))
    reason = "our service mesh's own tenant fence"
    config["model-engine-infra:isolation"] = {
        **config["model-engine-infra:isolation"],
        "enabled": False,
        "disabledBecause": reason,
    }
    run = run_program(config)
    kinds = sorted(
        r.inputs["kind"] for r in run.resources if r.type.startswith("kubernetes:security.istio")
    )
    assert kinds == ["AuthorizationPolicy", "RequestAuthentication"]
    assert not run.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    [line] = isolation_report(run)
    assert reason in line
    [finding] = [f for f in _findings(settings_from(config)) if f.path == "isolation.enabled"]
    assert reason in finding.message
