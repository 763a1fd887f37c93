"""The capability rows isolation decides agree with the policies the program emits, say what
holds for the gateway's authentication, and the README carries them for each example."""

from __future__ import annotations

import dataclasses

import pytest

from components.isolation import capabilities as rows
from components.isolation import policies as pol
from components.isolation.netpol import Pod, allowed
from components.model_engine import capabilities
from plan.cli import isolation_capabilities, servicebus_sku
from plan.simulator import run_program
from tests.conftest import ROOT, stack_file
from tests.isolation.test_matrix import scope

AUTH = {"issuer": "https://id.example", "jwks_uri": "https://id.example/k", "audiences": ["me"]}
# What the server's templates put on the pods (service_template_config_map.yaml).
LEADER = {
    pol.USER_CODE_LABEL: "true",
    "endpoint_id": "end_a",
    "app": "launch-end-a",
    "role": "leader",
}
WORKER = {**LEADER, "role": "worker"}
TRIGGER = {"launch_trigger_id": "trig_a", "owner": "u"}
GATEWAY = {"app": "model-engine"}


def _row(found: list[capabilities.Capability], feature: str) -> capabilities.Capability:
    return next(r for r in found if r.feature.startswith(feature))


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp", "onprem"])
def test_the_rows_say_what_the_policies_do(cloud: str) -> None:
    s = scope(cloud)
    policies = pol.network_policies(s)
    found = rows.rows(s, enabled=True, enforced=True)
    ns = s.endpoint_namespace
    ray = allowed(Pod(ns, WORKER), Pod(ns, LEADER), 6379, policies)
    assert (_row(found, "Multinode").works == "yes") is ray
    cron = allowed(Pod(ns, TRIGGER), Pod(s.release_namespace, GATEWAY), pol.GATEWAY_PORT, policies)
    assert (_row(found, "Cron triggers").works == "yes") is cron
    assert _row(found, "Batch jobs from model bundles").works == "no"


def test_nothing_is_cut_off_where_nothing_is_enforced() -> None:
    for enabled, enforced in ((False, True), (True, False)):
        found = rows.rows(scope("aws"), enabled=enabled, enforced=enforced)
        for feature in ("Cron triggers", "Multinode"):
            assert _row(found, feature).works == "yes"
        # The orchestrator's account is not created wherever isolation is on.
        batch = _row(found, "Batch jobs from model bundles").works
        assert batch == ("no" if enabled else "yes")
    off = _row(rows.rows(scope("aws"), enabled=False, enforced=True), "Multinode")
    assert "isolation.enabled: false" in off.why


def test_authentication_says_what_holds() -> None:
    unset = rows.authentication(scope("aws"))
    assert unset.works == "no"
    assert "any basic-auth user name" in unset.why and "isolation.gatewayAuth" in unset.operator
    with_issuer = rows.authentication(scope("aws", gateway_auth=AUTH))
    assert with_issuer.works == "partly"
    for words in ("https://id.example", "x-model-engine-token", "any basic-auth user name"):
        assert words in with_issuer.why
    assert "cluster.local/ns/llm-engine/sa/default" in with_issuer.why  # cron triggers
    # Without Istio nothing enforces the issuer (the settings refuse the pair, too).
    assert (
        rows.authentication(dataclasses.replace(scope("aws", gateway_auth=AUTH), istio=False)).works
        == "no"
    )


@pytest.mark.parametrize(
    "stack", ["local", "existing-infra", "customer-prod", "azure-prod", "gcp-prod"]
)
def test_readme_carries_the_whole_table_of_each_example(stack: str) -> None:
    run = run_program(stack_file(stack))
    table = capabilities.capabilities(run.values, servicebus_sku=servicebus_sku(run))
    table += isolation_capabilities(run)
    assert capabilities.markdown(table) in (ROOT / "README.md").read_text()


def test_readme_states_the_eks_enforcing_mode_and_its_window() -> None:
    from components.aws.cluster import VPC_CNI_CONFIGURATION

    mode = VPC_CNI_CONFIGURATION["env"]["NETWORK_POLICY_ENFORCING_MODE"]
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"`NETWORK_POLICY_ENFORCING_MODE: {mode}`" in readme
    if mode == "standard":  # the window it leaves is said, with what it exposes
        assert "the pod's traffic is allowed both ways" in readme
