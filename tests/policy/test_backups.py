"""The backup minimum every cloud's database rule shares: 7 days, inclusive."""

from __future__ import annotations

import pytest

from plan.simulator import ProgramRun
from policy import pack
from tests.policy.engine import changed, example, set_, violations


@pytest.mark.parametrize(
    ("resource_type", "path"),
    [
        ("aws:rds/instance:Instance", "backupRetentionPeriod"),
        ("azure-native:dbforpostgresql:Server", "backup.backupRetentionDays"),
    ],
)
def test_seven_days_of_backups_is_the_boundary(
    stack_runs: dict[str, ProgramRun], resource_type: str, path: str
) -> None:
    """Exactly 7 days passes and 6 fails."""
    (rule,) = [r for _, r in pack.RULES.values() if r.resource_type == resource_type]
    resource = example(stack_runs, resource_type)
    for days in (6, 7, 8):
        found = violations(rule, resource_type, changed(resource, set_(path, days)))
        if days < 7:
            assert len(found) == 1 and "at least 7 days" in found[0], (days, found)
        else:
            assert found == [], (days, found)
