"""The stack-wide rule: the endpoint namespace, where user model code runs, has a default deny
(a NetworkPolicy selecting every pod, isolating both directions, allowing nothing).

A stack rule, not a resource rule: it judges the model-engine Release (which names the
endpoint namespace in its values) against the NetworkPolicies beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policy.common import get

RELEASE = "kubernetes:helm.sh/v3:Release"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _endpoint_namespace(props: Mapping[str, Any]) -> str | None:
    try:
        value = get(props, "values.config.values.launch.endpoint_namespace")
    except UnknownValueError:
        return None
    return value if isinstance(value, str) else None


def denies_all(props: Mapping[str, Any]) -> bool:
    """Every pod selected, both directions isolated, no rule allowing anything."""
    spec = props.get("spec") or {}
    selector = spec.get("podSelector")
    return (
        selector is not None
        and not selector.get("matchLabels")
        and not selector.get("matchExpressions")
        and {"Ingress", "Egress"} <= set(spec.get("policyTypes") or [])
        and not spec.get("ingress")
        and not spec.get("egress")
    )


def missing_default_deny(resources: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterator[str]:
    """(resource type, props) of a stack -> a violation per endpoint namespace without one."""
    resources = list(resources)
    fenced = {
        get(props, "metadata.namespace")
        for typ, props in resources
        if typ == NETWORK_POLICY and denies_all(props)
    }
    for typ, props in resources:
        namespace = _endpoint_namespace(props) if typ == RELEASE else None
        if namespace is not None and namespace not in fenced:
            yield (
                f"endpoint namespace {namespace} has no default-deny NetworkPolicy (podSelector "
                "{}, policyTypes Ingress and Egress, no rules): user model code there reaches "
                "the database, Redis and the control plane; keep isolation.enabled"
            )


def endpoint_namespace_default_deny(args: StackValidationArgs, report: ReportViolation) -> None:
    for message in missing_default_deny((r.resource_type, r.props) for r in args.resources):
        report(message, None)


STACK_RULES = {
    "endpoint-namespace-default-deny": (
        "User model code runs behind a default deny in the endpoint namespace.",
        endpoint_namespace_default_deny,
    ),
}
