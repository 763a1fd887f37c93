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
