"""What the simulated cloud answers: computed outputs per resource type, and invokes.

Each rule takes the resource's name and inputs and returns the outputs its provider would
compute; each invoke rule takes the arguments and what already exists in the simulated
cloud. A value that cannot be known before deploy is a `deferred(...)` placeholder naming
the resource output. Cloud-specific rules live in their own module and are merged here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from plan import computed_aws, computed_azure, computed_gcp

ResourceRule = Callable[[str, dict[str, Any]], dict[str, Any]]
# An invoke's answer from its arguments and what already exists in the simulated cloud.
CallRule = computed_aws.CallRule
Existing = computed_aws.Existing


def _deferred(typ: str, name: str, attr: str) -> str:
    from plan.simulator import deferred

    return deferred(typ, name, attr)


def _random_password(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"result": _deferred("random:index/randomPassword:RandomPassword", name, "result")}


def _random_string(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A string of the requested length and alphabet (stable per name): names built from it
    take their real form."""
    import hashlib

    alphabet = "abcdefghijklmnopqrstuvwxyz" + ("0123456789" if inputs.get("numeric", True) else "")
    if inputs.get("upper", True):
        alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    digest = hashlib.sha256(name.encode()).digest()
    length = int(inputs.get("length", 16))
    return {
        "result": "".join(alphabet[digest[i % len(digest)] % len(alphabet)] for i in range(length))
    }


def _k8s_named(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    metadata = dict(inputs.get("metadata") or {})
    metadata.setdefault("name", name)
    return {"metadata": metadata}


def _helm_release(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": inputs.get("name", name),
        "status": {
            "name": inputs.get("name", name),
            "namespace": inputs.get("namespace", "default"),
            "status": "deployed",
            "revision": 1,
        },
    }


RESOURCES: dict[str, ResourceRule] = {
    "random:index/randomPassword:RandomPassword": _random_password,
    "random:index/randomString:RandomString": _random_string,
    "random:index/randomId:RandomId": lambda name, inputs: {
        "hex": _deferred("random:index/randomId:RandomId", name, "hex")
    },
    "kubernetes:core/v1:Namespace": _k8s_named,
    "kubernetes:core/v1:Secret": _k8s_named,
    "kubernetes:core/v1:ConfigMap": _k8s_named,
    "kubernetes:core/v1:ServiceAccount": _k8s_named,
    "kubernetes:helm.sh/v3:Release": _helm_release,
    **computed_aws.RESOURCES,
    **computed_azure.RESOURCES,
    **computed_gcp.RESOURCES,
}


def unsimulated(packages: Mapping[str, int]) -> list[str]:
    """Resources of a provider package no rule here knows (a new platform's, until its
    computed_<cloud>.py is merged above) keep only their inputs: every output they compute
    shows as deferred. The plan says so rather than passing it off as the full picture."""
    from plan.simulator import package

    known = {package(typ) for typ in RESOURCES}
    return [
        f"plan/computed.py computes no output of a {name} resource ({count} in this plan): "
        "the ids, addresses and names the cloud assigns show as deferred; add a "
        f"computed_<cloud>.py for {name}"
        for name, count in sorted(packages.items())
        if name not in known
    ]


def _ignoring_existing(rule: Callable[[dict[str, Any]], dict[str, Any]]) -> CallRule:
    """Azure's and GCP's lookups answer from the arguments alone (no pre-existing Azure or
    GCP resources are simulated)."""
    return lambda args, existing: rule(args)


CALLS: dict[str, CallRule] = {
    **computed_aws.CALLS,
    **{token: _ignoring_existing(rule) for token, rule in computed_azure.CALLS.items()},
    **{token: _ignoring_existing(rule) for token, rule in computed_gcp.CALLS.items()},
}
