"""The rule every platform shares: credentials never travel in Helm values."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from policy.common import Rule, Table, walk

_URL_WITH_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]+@")
_SECRET_KEY = re.compile(r"(password|passwd|secret|token|auth)$", re.IGNORECASE)
# Charts' convention for naming a Secret that already exists (`existingSecret`,
# `existingConfigSecret`): the value is a Secret's name, which is what the rule asks for.
_SECRET_REFERENCE = re.compile(r"^existing\w*secret$", re.IGNORECASE)


def _helm_credentials(props: Mapping[str, Any]) -> Iterator[str]:
    try:
        values = props.get("values") or {}
    except UnknownValueError:
        return
    for path, value in walk(values):
        if not isinstance(value, str) or not value:
            continue
        leaf = re.split(r"[.\[]", path)[-1]
        if _URL_WITH_CREDENTIALS.match(value):
            yield f"values.{path} holds a URL with credentials; Helm stores values in plaintext"
        elif _SECRET_KEY.search(leaf) and not _SECRET_REFERENCE.match(leaf):
            yield f"values.{path} looks like a credential; name a Kubernetes Secret instead"


helm_values_have_no_credentials = Rule("kubernetes:helm.sh/v3:Release", custom=_helm_credentials)


RULES: Table = {
    "helm-values-no-credentials": (
        "Credentials go into Kubernetes Secrets; Helm values name them.",
        helm_values_have_no_credentials,
    ),
}
