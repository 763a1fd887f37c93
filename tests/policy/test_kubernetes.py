"""The rule every platform shares (policy/kubernetes.py): no credentials in Helm values."""

from __future__ import annotations

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policy.engine import Breaks, Change, Flags, KeepCases, Keeps, set_

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

KEEPS: KeepCases = {
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


def test_rule_flags_exactly_the_broken_property(
    flags: Flags, policy: str, change: Change, words: str
) -> None:
    flags(policy, change, words)


def test_rule_accepts_a_compliant_variant(keeps: Keeps, policy: str, change: Change) -> None:
    keeps(policy, change)
