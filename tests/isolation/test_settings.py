"""The `isolation` block judged with the stack: a managed cluster's CNI is not the stack's
to state, and where the stack leaves things open the findings say what."""

from __future__ import annotations

from typing import Any

import pytest

from components.isolation import component
from components.program import PLATFORMS
from components.settings_base import SettingsError
from plan.cli import stack_config
from tests.helpers import settings_from


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
    subnet = settings.azure.network.subnets["endpoints"]
    assert scope.private_egress == ((subnet, (443, 5671)),)
    policies, pod = network_policies(scope), matrix.endpoint_pod(scope)
    address = subnet.rsplit(".", 2)[0] + ".255.4" if subnet.endswith("255.0/24") else None
    assert address is not None
    assert allowed(pod, External(address), 443, policies)
    assert allowed(pod, External(address), 5671, policies)
    assert not allowed(pod, External(address), 10000, policies)  # Managed Redis
