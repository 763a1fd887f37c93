"""A small NetworkPolicy evaluator: may a connection from A reach B on a port?

PyPI has no maintained evaluator (the Kubernetes python client only models the objects), so
this follows the API reference (networking.k8s.io/v1) for what the program emits and the
documentation's examples use: label selectors (matchLabels, matchExpressions), namespace
and pod selectors together or alone, ipBlock with except, ports with protocol and endPort,
policyTypes and their defaults. A connection is allowed when the source's egress and the
destination's ingress both allow it; a pod no policy of a direction selects is open in it.

The empty cases, as the API reference (NetworkPolicySpec, NetworkPolicyIngressRule) says:
- `from`/`to` empty or missing: the rule matches every source/destination;
- `ports` empty or missing: every port;
- a peer with neither ipBlock nor a selector: refused by the API server ("must specify a
  peer"), so refused here; ipBlock beside a selector likewise;
- `namespaceSelector: {}`: every namespace; `podSelector: {}` alone: every pod of the
  policy's namespace;
- `ingress`/`egress` missing or empty while policyTypes names the direction: the selected
  pods are isolated in it and nothing is allowed;
- `policyTypes` missing or empty: Ingress, plus Egress when `egress` has a rule.
Named ports are not modelled (the program uses numbers). Traffic from the pod's own node
(kubelet probes) is always allowed by the spec and not modelled.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ip: str | None = None


@dataclass(frozen=True)
class External:
    """An address outside the cluster's pods (a cloud service, the metadata endpoint)."""

    ip: str


Peer = Pod | External


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector; an empty one selects everything."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"unknown selector operator {op!r}")
    return True


def _in_block(block: Mapping[str, Any], ip: str | None) -> bool:
    if ip is None:
        return False
    addr = ipaddress.ip_address(ip)
    if addr not in ipaddress.ip_network(block["cidr"], strict=False):
        return False
    return not any(addr in ipaddress.ip_network(e, strict=False) for e in block.get("except") or [])


def peer_matches(
    peer: Mapping[str, Any],
    other: Peer,
    policy_namespace: str,
    namespace_labels: Mapping[str, Mapping[str, str]],
) -> bool:
    selectors = "namespaceSelector" in peer or "podSelector" in peer
    if "ipBlock" in peer and selectors:
        raise ValueError(f"a peer sets ipBlock beside a selector, which the API refuses: {peer}")
    if "ipBlock" not in peer and not selectors:
        raise ValueError(f"a peer must name ipBlock, namespaceSelector or podSelector: {peer}")
    if "ipBlock" in peer:
        return _in_block(peer["ipBlock"], other.ip)
    if not isinstance(other, Pod):
        return False
    if "namespaceSelector" in peer:
        ns_labels = {
            "kubernetes.io/metadata.name": other.namespace,
            **namespace_labels.get(other.namespace, {}),
        }
        if not selects(peer["namespaceSelector"], ns_labels):
            return False
    elif other.namespace != policy_namespace:  # a podSelector alone: the policy's namespace
        return False
    return selects(peer.get("podSelector"), other.labels)


def port_matches(ports: Sequence[Mapping[str, Any]] | None, port: int, protocol: str) -> bool:
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p:
            return True
        first = p["port"]
        if isinstance(first, str):
            continue  # named ports: not modelled
        if first <= port <= p.get("endPort", first):
            return True
    return False


def policy_types(spec: Mapping[str, Any]) -> list[str]:
    """The API server's default when none is given (SetDefaults_NetworkPolicy: an empty list
    counts as none)."""
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _allowed_one_way(
    direction: str,
    subject: Pod,
    other: Peer,
    port: int,
    protocol: str,
    policies: Sequence[Mapping[str, Any]],
    namespace_labels: Mapping[str, Mapping[str, str]],
) -> bool:
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    isolated = False
    for policy in policies:
        namespace = policy["metadata"]["namespace"]
        spec = policy["spec"]
        if namespace != subject.namespace or direction not in policy_types(spec):
            continue
        if not selects(spec.get("podSelector"), subject.labels):
            continue
        isolated = True
        for rule in spec.get(rules_key) or []:
            peers = rule.get(peers_key)
            # Empty or missing: every peer.
            if peers and not any(
                peer_matches(p, other, namespace, namespace_labels) for p in peers
            ):
                continue
            if port_matches(rule.get("ports"), port, protocol):
                return True
    return not isolated


def allowed(
    src: Peer,
    dst: Peer,
    port: int,
    policies: Sequence[Mapping[str, Any]],
    namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
    protocol: str = "TCP",
) -> bool:
    labels = namespace_labels or {}
    if isinstance(src, Pod) and not _allowed_one_way(
        "Egress", src, dst, port, protocol, policies, labels
    ):
        return False
    return not isinstance(dst, Pod) or _allowed_one_way(
        "Ingress", dst, src, port, protocol, policies, labels
    )
