"""In-cluster Redis (Valkey), run as `pulumi up` would run it against the simulated cloud.

What the operator relies on: the server gets one address that reaches the writable primary
on 6379; the chart comes from the Valkey project at its pin; data sits on a PVC; nothing
but the client namespaces can reach the unauthenticated Redis; and a stack-file choice
the server cannot use (Sentinel) fails with the reason before anything is built.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pydantic import ValidationError

from components.incluster import valkey
from components.model_engine import chart_facts
from plan.simulator import ProgramRun, RecordedResource, run_program

RELEASE = "kubernetes:helm.sh/v3:Release"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
COMPONENT = "model-engine-infra:incluster:Valkey"
CLIENTS = ["model-engine", "llm-engine", "keda"]


def run(
    settings: dict[str, Any] | None = None,
    *,
    namespace: str = "data",
    clients: Sequence[str] = CLIENTS,
    protect: bool = True,
) -> ProgramRun:
    """The component alone, with an upstream resource it must wait for."""

    def program() -> None:
        provider = k8s.Provider("cluster")
        before = k8s.core.v1.Namespace(
            "data-ns", metadata={"name": namespace}, opts=pulumi.ResourceOptions(provider=provider)
        )
        valkey.Valkey(
            "redis",
            valkey.ValkeyArgs(
                settings=valkey.ValkeyInstall.model_validate(settings or {}),
                namespace=namespace,
                provider=provider,
                client_namespaces=clients,
                depends_on=[before],
                protect=protect,
            ),
        )

    return run_program({}, program=program)


def values(result: ProgramRun) -> dict[str, Any]:
    return result.one(RELEASE).inputs["values"]


def policy(result: ProgramRun) -> RecordedResource:
    return result.one(POLICY)


# -- the pin -------------------------------------------------------------------------------


def test_release_installs_the_valkey_projects_chart_at_its_pin() -> None:
    release = run().one(RELEASE)
    # Stated independently of versions.py: valkey-io/valkey-helm tag valkey-0.11.0, published
    # at the repository its README names (`helm repo add valkey https://valkey.io/valkey-helm/`).
    assert release.inputs["chart"] == "valkey"
    assert release.inputs["version"] == "0.11.0"
    assert release.inputs["repositoryOpts"] == {"repo": "https://valkey.io/valkey-helm/"}
    assert release.inputs["name"] == "valkey"
    assert release.inputs["namespace"] == "data"
    assert release.inputs["atomic"] is True
    assert release.inputs["createNamespace"] is False


def test_no_bitnami_anywhere() -> None:
    assert "bitnami" not in repr(run().one(RELEASE).inputs).lower()


# -- the address -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["standalone", "replicated"])
def test_host_is_the_primary_service_in_the_namespace(mode: str) -> None:
    settings = valkey.ValkeyInstall(mode=mode)  # type: ignore[arg-type]
    assert valkey.host("redis-data", settings) == "valkey.redis-data.svc"
    assert valkey.PORT == 6379


def test_service_name_and_port_are_what_the_chart_is_told() -> None:
    """host() names the Service `fullnameOverride` makes the chart render, on 6379: the port
    the server's cache URL and forwarders use whatever REDIS_PORT says."""
    vals = values(run())
    assert vals["fullnameOverride"] == valkey.host("data", valkey.ValkeyInstall()).split(".")[0]
    assert vals["service"] == {"type": "ClusterIP", "port": 6379}


def test_host_rejects_a_bad_namespace() -> None:
    with pytest.raises(ValueError, match="not a valid Kubernetes name"):
        valkey.host("Data_NS", valkey.ValkeyInstall())


# -- no password, and the fence instead --------------------------------------------------------


def test_no_password_is_configured_or_stored() -> None:
    result = run({"mode": "replicated"})
    vals = values(result)
    assert vals["auth"] == {"enabled": False}
    text = repr(vals).lower()
    for word in ("password", "requirepass", "aclusers", "usersexistingsecret", "masterauth"):
        assert word not in text
    assert all(not r.secret_inputs for r in result.resources)
    assert not result.of_type("kubernetes:core/v1:Secret")


def test_network_policy_admits_only_the_client_namespaces_on_6379() -> None:
    spec = policy(run()).inputs["spec"]
    assert spec["policyTypes"] == ["Ingress"]
    (rule,) = spec["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 6379}]
    namespaces = sorted(
        p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for p in rule["from"]
        if "namespaceSelector" in p
    )
    assert namespaces == sorted(CLIENTS)
    # Every namespace peer selects by the label Kubernetes sets itself, nothing broader.
    for peer in rule["from"]:
        assert set(peer) in ({"namespaceSelector"}, {"podSelector"})


def test_network_policy_lets_valkey_pods_reach_each_other() -> None:
    spec = policy(run({"mode": "replicated"})).inputs["spec"]
    (rule,) = spec["ingress"]
    pod_peers = [p["podSelector"] for p in rule["from"] if "podSelector" in p]
    assert pod_peers == [spec["podSelector"]]


def test_network_policy_selects_the_release_pods() -> None:
    """The chart's selector labels are the chart name and the Release name (valkey.
    selectorLabels); the render test checks them against the rendered pods."""
    result = run()
    release_name = result.one(RELEASE).inputs["name"]
    labels = {"app.kubernetes.io/name": "valkey", "app.kubernetes.io/instance": release_name}
    assert policy(result).inputs["spec"]["podSelector"] == {"matchLabels": labels}
    assert policy(result).inputs["metadata"]["namespace"] == "data"


def test_chart_renders_no_policy_of_its_own() -> None:
    assert "networkPolicy" not in values(run())


@pytest.mark.parametrize("clients", [[], ["Not_A_Namespace"]])
def test_bad_client_namespaces_are_rejected(clients: list[str]) -> None:
    with pytest.raises(Exception, match=r"client namespace|not a valid Kubernetes name"):
        run(clients=clients)


# -- the databases the server uses ---------------------------------------------------------


def test_configured_databases_cover_every_index_the_server_uses() -> None:
    config = values(run())["valkeyConfig"]
    (count,) = re.findall(r"^databases (\d+)$", config, re.MULTILINE)
    used = {
        *chart_facts.CELERY_BROKER_DB_INDEXES,
        chart_facts.RESULT_BACKEND_DB_INDEX,
        chart_facts.CACHE_DB_INDEX,
    }
    assert max(used) < int(count)


def test_writes_go_to_an_append_only_file() -> None:
    config = values(run())["valkeyConfig"].splitlines()
    assert "appendonly yes" in config
    assert "appendfsync everysec" in config


# -- persistence and modes -----------------------------------------------------------------


def test_standalone_keeps_its_data_on_a_kept_pvc_by_default() -> None:
    vals = values(run())
    assert vals["replica"] == {"enabled": False}
    assert vals["dataStorage"] == {"enabled": True, "requestedSize": "8Gi", "keepPvc": True}
    assert vals["deploymentStrategy"] == "Recreate"


def test_standalone_storage_class_and_size_come_from_the_stack() -> None:
    vals = values(run({"persistence": {"storageSize": "20Gi", "storageClass": "fast.ssd"}}))
    assert vals["dataStorage"]["requestedSize"] == "20Gi"
    assert vals["dataStorage"]["className"] == "fast.ssd"


def test_standalone_without_persistence_uses_no_pvc() -> None:
    vals = values(run({"persistence": {"enabled": False}}))
    assert vals["dataStorage"] == {"enabled": False}


def test_replicated_renders_replicas_on_their_own_pvcs() -> None:
    vals = values(run({"mode": "replicated", "replicas": 3, "persistence": {"storageSize": 5}}))
    replica = vals["replica"]
    assert replica["enabled"] is True
    assert replica["replicas"] == 3
    assert replica["persistence"] == {"size": "5"}
    assert replica["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Retain"
    # The read Service would send writes to read-only replicas.
    assert replica["service"] == {"enabled": False}
    assert "dataStorage" not in vals


def test_unprotected_stack_lets_the_data_go_with_the_release() -> None:
    result = run({"mode": "replicated"}, protect=False)
    assert not result.one(RELEASE).protect
    assert values(result)["replica"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == (
        "Delete"
    )
    assert values(run(protect=False))["dataStorage"]["keepPvc"] is False


def test_release_is_protected_by_default() -> None:
    assert run().one(RELEASE).protect


def test_resources_come_from_the_stack() -> None:
    vals = values(
        run({"resources": {"requests": {"cpu": 0.5, "memory": "1Gi"}, "limits": {"memory": "2Gi"}}})
    )
    assert vals["resources"] == {
        "requests": {"cpu": "0.5", "memory": "1Gi"},
        "limits": {"memory": "2Gi"},
    }


# -- the resource graph ----------------------------------------------------------------------


def test_children_are_parented_and_on_the_given_provider() -> None:
    result = run()
    component = result.one(COMPONENT)
    provider = result.one("pulumi:providers:kubernetes", "cluster")
    for child in (result.one(RELEASE), policy(result)):
        assert child.parent == component.urn
        assert child.provider is not None and child.provider.startswith(provider.urn + "::")


def test_release_waits_for_the_fence_and_what_it_was_given() -> None:
    result = run()
    deps = {result.by_urn(u).name for u in result.one(RELEASE).dependencies}
    assert deps == {"redis-network-policy", "data-ns"}
    assert {result.by_urn(u).name for u in policy(result).dependencies} == {"data-ns"}


def test_ready_is_what_the_model_engine_chart_must_wait_for() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        provider = k8s.Provider("cluster")
        component = valkey.Valkey(
            "redis",
            valkey.ValkeyArgs(
                settings=valkey.ValkeyInstall(),
                namespace="data",
                provider=provider,
                client_namespaces=CLIENTS,
            ),
        )
        seen["ready"] = component.ready
        seen["release"] = component.release
        seen["policy"] = component.network_policy
        seen["host"] = component.host

    run_program({}, program=program)
    assert seen["release"] in seen["ready"] and seen["policy"] in seen["ready"]
    assert seen["host"] == "valkey.data.svc"


# -- bad settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"mode": "sentinel"}, "no Sentinel mode.*one fixed host:port"),
        ({"mode": "cluster"}, "standalone.*replicated.*sentinel"),
        ({"replicas": 3}, "replicas applies only to mode replicated"),
        (
            {"mode": "replicated", "persistence": {"enabled": False}},
            "mode replicated needs persistence",
        ),
        ({"mode": "replicated", "replicas": 0}, "greater than or equal to 1"),
        ({"persistence": {"storageSize": "lots"}}, "not a Kubernetes quantity"),
        ({"persistence": {"storageClass": "Fast_SSD"}}, "not a StorageClass name"),
        ({"resources": {"requests": {"memory": "1 GB"}}}, "not a Kubernetes quantity"),
        ({"password": "x"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_are_rejected_with_the_fix(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        valkey.ValkeyInstall.model_validate(settings)


def test_settings_are_camel_case_and_frozen() -> None:
    settings = valkey.ValkeyInstall.model_validate(
        {"mode": "replicated", "replicas": 1, "persistence": {"storageSize": "1Gi"}}
    )
    assert settings.persistence.storage_size == "1Gi"
    with pytest.raises(ValidationError):
        settings.mode = "standalone"  # type: ignore[misc]
