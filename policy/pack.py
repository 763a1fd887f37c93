"""Security rules checked on every `pulumi preview/up --policy-pack policy`.

The program already builds resources this way; the pack is the independent check that a
later change (or a `chartValues` override) cannot quietly undo it. Each module holds one
table of rules (kubernetes, aws, azure, gcp), and the pack registers every table the same
way, each rule mandatory; the stack rules (policy/isolation.py, policy/waits.py) carry their
own level (one only advises: isolation turned off on purpose). A rule is a plain callable so
the tests call it directly (constructing a PolicyPack would start a server). Props use the
engine's camelCase names.
"""

from __future__ import annotations

from collections.abc import Iterable

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from policy import aws, azure, gcp, isolation, kubernetes, waits
from policy.common import Table

TABLES: tuple[Table, ...] = (kubernetes.RULES, aws.RULES, azure.RULES, gcp.RULES)


def _merged(tables: tuple[Table, ...]) -> Table:
    """One table; a policy name defined twice would silently drop a rule, so it raises."""
    merged: Table = {}
    for table in tables:
        clash = merged.keys() & table.keys()
        if clash:
            raise ValueError(f"policy names defined twice: {sorted(clash)}")
        merged.update(table)
    return merged


RULES: Table = _merged(TABLES)

# Provider packages whose resources hold nothing to judge (random values).
UNJUDGED = frozenset({"random"})


def unjudged(packages: Iterable[str]) -> list[str]:
    """Provider packages no rule here judges (a new platform's, until its table is added to
    TABLES): only the Kubernetes rules then check that platform. The offline plan lists them
    (plan/cli.py), so the gap is stated, not silent."""
    # A type token is `<package>:<module>:<name>`.
    judged = {rule.resource_type.split(":", 1)[0] for _, rule in RULES.values()} | UNJUDGED
    return sorted(set(packages) - judged)


# Stack rules judge the whole stack (policy/isolation.py) or resource options beside the
# props (policy/waits.py).
STACK_RULES = {**isolation.STACK_RULES, **waits.STACK_RULES}

# Resource rules judge one resource; stack rules judge the whole stack.
POLICIES: list[Policy] = [
    *(
        ResourceValidationPolicy(
            name, description, rule, enforcement_level=EnforcementLevel.MANDATORY
        )
        for name, (description, rule) in RULES.items()
    ),
    *(
        StackValidationPolicy(name, description, rule, enforcement_level=level)
        for name, (description, rule, level) in STACK_RULES.items()
    ),
]
