"""The rule every platform shares (policy/kubernetes.py): no credentials in Helm values."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from plan.simulator import ProgramRun
from policy import kubernetes
from tests.policy.engine import (
    Breaks,
    Change,
    Keeps,
    assert_flags_only,
    assert_keeps,
    break_params,
    keep_params,
    set_,
)

BREAKS: Breaks = {
    "helm-values-no-credentials": [
        ("literal-password", set_("values.redis.auth", "hunter2"), "values.redis.auth"),
        (
            "secret-not-named-existing",
            set_("values.s3", {"configSecret": "hunter2"}),
            "values.s3.configSecret looks like a credential",
        ),
        (
            "url-in-a-list",
            set_("values.extraEnvVars", [{"name": "DB", "value": "postgresql://u:p@h:5432/db"}]),
            "values.extraEnvVars[0].value holds a URL with credentials",
        ),
        (
            "token-in-a-list",
            set_("values.tokens", [{"apiToken": "abc"}]),
            "values.tokens[0].apiToken looks like a credential",
        ),
        (
            "credential-next-to-an-unknown",
            lambda p: p["values"].update(
                {"pending": UNKNOWN_STRING_VALUE, "x": ["redis://:pw@cache:6379/0"]}
            ),
            "values.x[0] holds a URL with credentials",
        ),
    ],
}

KEEPS: Keeps = {
    "helm-values-no-credentials": [
        (
            "secret-names",
            set_(
                "values.redis",
                {"enableAuth": True, "authSecretName": "redis-auth", "authSecretKey": "auth_token"},
            ),
        ),
        ("url-without-credentials", set_("values.x", ["redis://cache:6379/15"])),
        (
            "existing-secret-names",
            set_("values.s3", {"existingSecret": "keys", "existingConfigSecret": "s3-config"}),
        ),
    ],
}


@pytest.mark.parametrize(("policy", "change", "words"), break_params(BREAKS))
def test_rule_flags_exactly_the_broken_property(
    stack_runs: dict[str, ProgramRun], policy: str, change: Change, words: str
) -> None:
    assert_flags_only(stack_runs, kubernetes.RULES[policy][1], change, words)


@pytest.mark.parametrize(("policy", "change"), keep_params(KEEPS))
def test_rule_accepts_a_compliant_variant(
    stack_runs: dict[str, ProgramRun], policy: str, change: Change
) -> None:
    assert_keeps(stack_runs, kubernetes.RULES[policy][1], change)
