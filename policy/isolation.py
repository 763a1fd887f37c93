"""The stack-wide rules: the endpoint namespace, where user model code runs, has a default deny
(a NetworkPolicy selecting every pod, isolating both directions, allowing nothing).

Stack rules, not resource rules: they judge the model-engine Release (which names the
endpoint namespace in its values) against the NetworkPolicies beside it. A stack that turned
isolation off on purpose (`isolation.enabled: false` with `isolation.disabledBecause`, which
the Isolation component records) does not fail the mandatory rule; the advisory one reports
it, with the stack's reason, on every preview.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policy.common import get

RELEASE = "kubernetes:helm.sh/v3:Release"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
# The program's Isolation component: `enabled`, `disabledBecause` and `endpointNamespace` are
# both its inputs and its outputs (components/isolation/component.py).
ISOLATION = "model-engine-infra:index:Isolation"


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


def turned_off(resources: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, str]:
    """Endpoint namespace -> the stack's reason, for each one isolation was turned off for on
    purpose (enabled false and a reason that is not blank)."""
    out = {}
    for typ, props in resources:
        if typ != ISOLATION or props.get("enabled") is not False:
            continue
        namespace, reason = props.get("endpointNamespace"), props.get("disabledBecause")
        if isinstance(namespace, str) and isinstance(reason, str) and reason.strip():
            out[namespace] = reason
    return out


def missing_default_deny(resources: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterator[str]:
    """(resource type, props) of a stack -> a violation per endpoint namespace without one,
    unless the stack turned isolation off there on purpose (turned_off)."""
    resources = list(resources)
    fenced = {
        get(props, "metadata.namespace")
        for typ, props in resources
        if typ == NETWORK_POLICY and denies_all(props)
    }
    fenced |= set(turned_off(resources))
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


def isolation_off_messages(resources: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterator[str]:
    for namespace, reason in sorted(turned_off(resources).items()):
        yield (
            f"endpoint namespace {namespace} runs user model code without the program's "
            f"default deny (isolation.enabled: false); the stack says what fences it instead: "
            f"{reason}"
        )


def endpoint_namespace_isolation_off(args: StackValidationArgs, report: ReportViolation) -> None:
    for message in isolation_off_messages((r.resource_type, r.props) for r in args.resources):
        report(message, None)


# name -> (description, rule, enforcement level)
STACK_RULES = {
    "endpoint-namespace-default-deny": (
        "User model code runs behind a default deny in the endpoint namespace.",
        endpoint_namespace_default_deny,
        EnforcementLevel.MANDATORY,
    ),
    "endpoint-namespace-isolation-off": (
        "Isolation turned off on purpose: reported with the stack's reason.",
        endpoint_namespace_isolation_off,
        EnforcementLevel.ADVISORY,
    ),
}
