"""The evaluator on the Kubernetes documentation's NetworkPolicy examples
(concepts/services-networking/network-policies), with the outcomes the page states."""

from __future__ import annotations

from typing import Any

import pytest

from components.isolation.netpol import External, Pod, allowed, selects

# "test-network-policy", the page's first example.
DOCS_EXAMPLE: dict[str, Any] = {
    "metadata": {"name": "test-network-policy", "namespace": "default"},
    "spec": {
        "podSelector": {"matchLabels": {"role": "db"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [
                    {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
                    {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
                    {"podSelector": {"matchLabels": {"role": "frontend"}}},
                ],
                "ports": [{"protocol": "TCP", "port": 6379}],
            }
        ],
        "egress": [
            {
                "to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                "ports": [{"protocol": "TCP", "port": 5978}],
            }
        ],
    },
}
NAMESPACES = {"myproject-ns": {"project": "myproject"}}
DB = Pod("default", {"role": "db"})
FRONTEND = Pod("default", {"role": "frontend"})


@pytest.mark.parametrize(
    ("src", "port", "expected"),
    [
        (FRONTEND, 6379, True),  # a role=frontend pod in the policy's namespace
        (FRONTEND, 6380, False),  # ...on another port
        (Pod("myproject-ns", {"any": "pod"}), 6379, True),  # any pod of a project=myproject ns
        (Pod("other", {"role": "frontend"}), 6379, False),  # podSelector alone: own namespace
        (Pod("default", {"role": "backend"}), 6379, False),
        (External("172.17.0.9"), 6379, True),  # the ipBlock
        (External("172.17.1.9"), 6379, False),  # ...its except
        (External("192.168.0.1"), 6379, False),
    ],
)
def test_docs_example_ingress(src: Pod | External, port: int, expected: bool) -> None:
    assert allowed(src, DB, port, [DOCS_EXAMPLE], NAMESPACES) is expected


@pytest.mark.parametrize(
    ("dst", "port", "expected"),
    [
        (External("10.0.0.7"), 5978, True),
        (External("10.0.0.7"), 5979, False),
        (External("10.0.1.7"), 5978, False),
    ],
)
def test_docs_example_egress(dst: External, port: int, expected: bool) -> None:
    assert allowed(DB, dst, port, [DOCS_EXAMPLE], NAMESPACES) is expected


def test_pods_no_policy_selects_are_open_both_ways() -> None:
    other = Pod("default", {"role": "cache"})
    assert allowed(other, External("8.8.8.8"), 53, [DOCS_EXAMPLE], protocol="UDP")
    assert allowed(External("8.8.8.8"), other, 80, [DOCS_EXAMPLE])


def _policy(spec: dict[str, Any], namespace: str = "default") -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": namespace}, "spec": spec}


def test_default_deny_ingress_leaves_egress_open() -> None:
    # "default-deny-ingress": policyTypes defaults to Ingress only.
    deny = _policy({"podSelector": {}, "policyTypes": ["Ingress"]})
    a, b = Pod("default", {"app": "a"}), Pod("default", {"app": "b"})
    assert not allowed(a, b, 80, [deny])
    assert allowed(a, External("1.1.1.1"), 443, [deny])


def test_default_deny_all_and_allow_all_ingress() -> None:
    deny = _policy({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    allow_in = _policy({"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]})
    a, b = Pod("default", {"app": "a"}), Pod("default", {"app": "b"})
    assert not allowed(a, b, 80, [deny])
    assert not allowed(a, External("1.1.1.1"), 443, [deny])
    # Policies add up: allow-all-ingress opens ingress, egress stays denied.
    assert allowed(External("1.1.1.1"), b, 80, [deny, allow_in])
    assert not allowed(a, b, 80, [deny, allow_in])


def test_namespace_and_pod_selector_in_one_peer_is_and_two_peers_is_or() -> None:
    both = {
        "namespaceSelector": {"matchLabels": {"user": "alice"}},
        "podSelector": {"matchLabels": {"role": "client"}},
    }
    either = [
        {"namespaceSelector": {"matchLabels": {"user": "alice"}}},
        {"podSelector": {"matchLabels": {"role": "client"}}},
    ]
    target = Pod("default", {"role": "db"})
    ns = {"alice-ns": {"user": "alice"}}
    alice_other = Pod("alice-ns", {"role": "other"})
    local_client = Pod("default", {"role": "client"})
    and_policy = _policy({"podSelector": {}, "ingress": [{"from": [both]}]})
    or_policy = _policy({"podSelector": {}, "ingress": [{"from": either}]})
    assert not allowed(alice_other, target, 80, [and_policy], ns)
    assert allowed(Pod("alice-ns", {"role": "client"}), target, 80, [and_policy], ns)
    assert not allowed(local_client, target, 80, [and_policy], ns)
    assert allowed(alice_other, target, 80, [or_policy], ns)
    assert allowed(local_client, target, 80, [or_policy], ns)


def test_end_port_range() -> None:
    # The page's "multi-port-egress" example.
    policy = _policy(
        {
            "podSelector": {"matchLabels": {"role": "db"}},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                    "ports": [{"protocol": "TCP", "port": 32000, "endPort": 32768}],
                }
            ],
        }
    )
    dst = External("10.0.0.1")
    assert allowed(DB, dst, 32000, [policy])
    assert allowed(DB, dst, 32768, [policy])
    assert not allowed(DB, dst, 32769, [policy])
    assert not allowed(DB, dst, 32100, [policy], protocol="UDP")


def test_namespace_by_its_automatic_name_label() -> None:
    policy = _policy(
        {
            "podSelector": {},
            "ingress": [
                {
                    "from": [
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "x"}}}
                    ]
                }
            ],
        }
    )
    assert allowed(Pod("x"), Pod("default"), 80, [policy])
    assert not allowed(Pod("y"), Pod("default"), 80, [policy])


@pytest.mark.parametrize(
    ("expr", "labels", "expected"),
    [
        ({"key": "a", "operator": "In", "values": ["1", "2"]}, {"a": "2"}, True),
        ({"key": "a", "operator": "In", "values": ["1"]}, {}, False),
        ({"key": "a", "operator": "NotIn", "values": ["1"]}, {}, True),
        ({"key": "a", "operator": "NotIn", "values": ["1"]}, {"a": "1"}, False),
        ({"key": "a", "operator": "Exists"}, {"a": ""}, True),
        ({"key": "a", "operator": "DoesNotExist"}, {"a": "x"}, False),
    ],
)
def test_match_expressions(expr: dict[str, Any], labels: dict[str, str], expected: bool) -> None:
    assert selects({"matchExpressions": [expr]}, labels) is expected


# -- the empty cases (API reference: NetworkPolicySpec, NetworkPolicyIngressRule/EgressRule)

A, B = Pod("default", {"app": "a"}), Pod("default", {"app": "b"})
OUTSIDE = External("203.0.113.9")


def test_allow_all_ingress_and_egress_are_a_rule_with_nothing_in_it() -> None:
    # The page's "allow-all-ingress" and "allow-all-egress": a rule `{}` (no from/to, no
    # ports) matches every peer on every port.
    allow_in = _policy({"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]})
    allow_out = _policy({"podSelector": {}, "egress": [{}], "policyTypes": ["Egress"]})
    assert allowed(Pod("elsewhere"), B, 1234, [allow_in])
    assert allowed(A, OUTSIDE, 4321, [allow_out])


def test_an_empty_from_or_to_list_matches_every_peer() -> None:
    # "If this field is empty or missing, this rule matches all sources/destinations."
    ingress = _policy({"podSelector": {}, "ingress": [{"from": [], "ports": [{"port": 80}]}]})
    egress = _policy(
        {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [], "ports": []}]}
    )
    assert allowed(Pod("elsewhere"), B, 80, [ingress])
    assert allowed(OUTSIDE, B, 80, [ingress])
    assert not allowed(OUTSIDE, B, 81, [ingress])  # its ports still apply
    assert allowed(A, OUTSIDE, 9, [egress])  # and an empty ports list is every port


def test_a_peer_with_nothing_in_it_is_refused_as_the_api_refuses_it() -> None:
    for peer in ({}, {"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}):
        policy = _policy({"podSelector": {}, "ingress": [{"from": [peer]}]})
        with pytest.raises(ValueError, match="peer"):
            allowed(A, B, 80, [policy])


def test_empty_selectors_in_a_peer() -> None:
    every_ns = _policy({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]})
    own_ns = _policy({"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]})
    assert allowed(Pod("elsewhere"), B, 80, [every_ns])
    assert not allowed(OUTSIDE, B, 80, [every_ns])  # pods only, not ipBlocks
    assert allowed(A, B, 80, [own_ns])
    assert not allowed(Pod("elsewhere"), B, 80, [own_ns])


def test_a_named_direction_without_rules_denies_it_and_leaves_the_other() -> None:
    # The page's "default-deny-egress": policyTypes Egress, no egress rules.
    deny_out = _policy({"podSelector": {}, "policyTypes": ["Egress"]})
    assert not allowed(A, OUTSIDE, 443, [deny_out])
    assert allowed(OUTSIDE, A, 80, [deny_out])  # ingress: no policy isolates it
    empty = _policy({"podSelector": {}, "policyTypes": ["Egress"], "egress": []})
    assert not allowed(A, OUTSIDE, 443, [empty])


def test_policy_types_default_from_the_rules() -> None:
    # No policyTypes (or an empty list): Ingress, plus Egress when `egress` has a rule.
    with_egress = {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}
    for spec in (with_egress, {**with_egress, "policyTypes": []}):
        policy = _policy(spec)
        assert not allowed(A, OUTSIDE, 443, [policy])  # egress isolated
        assert not allowed(OUTSIDE, A, 80, [policy])  # ingress isolated, no rule
    empty_egress = _policy({"podSelector": {}, "egress": []})
    assert allowed(A, OUTSIDE, 443, [empty_egress])  # an empty egress list: Ingress only
    assert not allowed(OUTSIDE, A, 80, [empty_egress])
