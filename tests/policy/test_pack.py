"""The pack (policy/pack.py and the entry point): every table registered the same way, every
policy tested in the module of its table, every check able to fail, the example stacks
passing, and the entry point loading wherever the pack's directory sits."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pulumi_policy import EnforcementLevel

from plan.simulator import ProgramRun
from policy import aws, azure, gcp, kubernetes, pack
from policy.common import Rule
from tests.policy.engine import Breaks, changed, example, to_wire, violations

ROOT = Path(__file__).resolve().parent.parent.parent
MODULES = (kubernetes, aws, azure, gcp)


def _breaks(module: ModuleType) -> Breaks:
    tests = importlib.import_module(f"tests.policy.test_{module.__name__.rsplit('.', 1)[1]}")
    return tests.BREAKS


def test_the_pack_holds_every_table() -> None:
    assert tuple(m.RULES for m in MODULES) == pack.TABLES


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_policy_has_cases_in_the_test_module_of_its_table(module: ModuleType) -> None:
    assert module.RULES
    assert set(_breaks(module)) == set(module.RULES)


def test_every_rule_is_a_mandatory_policy_of_the_pack() -> None:
    names = [name for m in MODULES for name in m.RULES] + list(pack.STACK_RULES)
    assert sorted(p.name for p in pack.POLICIES) == sorted(names)
    levels = {p.name: p.enforcement_level for p in pack.POLICIES}
    # Only the report of isolation turned off on purpose advises.
    advisory = {n for n, level in levels.items() if level != EnforcementLevel.MANDATORY}
    assert advisory == {"endpoint-namespace-isolation-off"}
    assert levels["endpoint-namespace-isolation-off"] == EnforcementLevel.ADVISORY


def test_a_policy_name_defined_twice_is_refused() -> None:
    rule = Rule("aws:ec2/vpc:Vpc")
    with pytest.raises(ValueError, match=r"defined twice: \['x'\]"):
        pack._merged(({"x": ("a", rule)}, {"x": ("b", rule)}))


def test_every_check_of_every_rule_can_fail(stack_runs: dict[str, ProgramRun]) -> None:
    """A check no case trips could be made vacuous without a test noticing."""
    untripped: list[str] = []
    for module in MODULES:
        for policy, cases in _breaks(module).items():
            rule = module.RULES[policy][1]
            resource = example(stack_runs, rule.resource_type)
            tripped: set[str] = set()
            for _, change, _ in cases:
                tripped.update(violations(rule, resource.type, changed(resource, change)))
            untripped += [f"{policy}: {m}" for m in rule.checks if m not in tripped]
    assert untripped == []


def test_rules_ignore_other_resource_types() -> None:
    wire = to_wire({"storageEncrypted": False, "values": {"password": "x"}, "member": "allUsers"})
    assert pack.RULES
    flagged = [
        n for n, (_, rule) in pack.RULES.items() if violations(rule, "aws:ec2/vpc:Vpc", wire)
    ]
    assert flagged == []


def test_every_example_stack_passes_every_policy(stack_runs: dict[str, ProgramRun]) -> None:
    failures: list[str] = []
    inspected = dict.fromkeys(pack.RULES, 0)
    for stack, run in stack_runs.items():
        for resource in run.resources:
            for policy, (_, rule) in pack.RULES.items():
                if rule.applies_to(resource.type):
                    inspected[policy] += 1
                where = f"{stack} {resource.name} {policy}"
                found = violations(rule, resource.type, resource.wire)
                failures += [f"{where}: {m}" for m in found]
    assert failures == []
    # A rule for a type no example stack creates would pass here forever.
    assert [p for p, n in inspected.items() if n == 0] == []


_LOAD = """
import runpy, sys, pulumi_policy
pulumi_policy.PolicyPack = lambda name, policies: print(name, *sorted(p.name for p in policies))
runpy.run_path(sys.argv[1], run_name="__main__")
"""


def test_the_entry_point_loads_the_pack_from_a_directory_of_any_name(tmp_path: Path) -> None:
    """The engine runs the pack's directory, not the package: the rule modules must still
    find each other, without the repository on sys.path."""
    pack_dir = tmp_path / "security-pack"
    shutil.copytree(ROOT / "policy", pack_dir, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-c", _LOAD, str(pack_dir)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "model-engine-infra",
        *sorted([*pack.RULES, *pack.STACK_RULES]),
    ]
