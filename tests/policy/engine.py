"""Rules called the way the policy engine calls them, on the example stacks' resources.

The props are built from the resource's protobuf Struct exactly as pulumi_policy's analyzer
server does (its own read-only Mapping/Sequence proxies, secrets unwrapped, unknowns
raising), never as plain dicts a rule could get away with treating as `dict`/`list`.

Each table's test module (test_<module>.py, named like the policy module) holds `BREAKS`:
policy name -> the changes to a compliant example resource that break it, with words of THE
violation; test_pack.py checks that every policy has cases in the module of its table.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from plan.simulator import ProgramRun, RecordedResource
from policy.common import Rule

Props = dict[str, Any]
Change = Callable[[Props], None]
# policy name -> [(case id, change to a compliant example resource, words of THE violation)]
Breaks = dict[str, list[tuple[str, Change, str]]]
# policy name -> [(case id, change to a compliant example resource that keeps it compliant)]
KeepCases = dict[str, list[tuple[str, Change]]]
# The conftest's fixtures: THE violation for a BREAKS case, none for a KEEPS case.
Flags = Callable[[str, Change, str], None]
Keeps = Callable[[str, Change], None]


def engine_args(resource_type: str, wire: struct_pb2.Struct) -> ResourceValidationArgs:
    """What pulumi_policy's analyzer (`_PolicyAnalyzerServicer.Analyze`) hands a rule."""
    props = unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(wire)))
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    return ResourceValidationArgs(resource_type, props, "urn", "r", opts, None)


def to_wire(props: Props) -> struct_pb2.Struct:
    return json_format.ParseDict(props, struct_pb2.Struct())


def violations(rule: Rule, resource_type: str, wire: struct_pb2.Struct) -> list[str]:
    found: list[str] = []
    rule(engine_args(resource_type, wire), lambda message, urn=None: found.append(message))
    return found


def example(runs: dict[str, ProgramRun], resource_type: str) -> RecordedResource:
    """The first resource of this type in the example stacks (the rules' real input)."""
    for run in runs.values():
        if run.of_type(resource_type):
            return run.of_type(resource_type)[0]
    raise AssertionError(f"no example stack creates a {resource_type}")


def changed(resource: RecordedResource, change: Change) -> struct_pb2.Struct:
    props = copy.deepcopy(json_format.MessageToDict(resource.wire))
    change(props)
    return to_wire(props)


def set_(path: str, value: Any) -> Change:
    def change(props: Props) -> None:
        *parents, last = path.split(".")
        node = props
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value

    return change


def unset(path: str) -> Change:
    def change(props: Props) -> None:
        *parents, last = path.split(".")
        node = props
        for part in parents:
            node = node[part]
        del node[last]

    return change


def both(*changes: Change) -> Change:
    def change(props: Props) -> None:
        for c in changes:
            c(props)

    return change


def break_params(breaks: Breaks) -> list[Any]:
    return [
        pytest.param(policy, change, words, id=f"{policy}-{case}")
        for policy, cases in breaks.items()
        for case, change, words in cases
    ]


def keep_params(keeps: KeepCases) -> list[Any]:
    return [
        pytest.param(policy, change, id=f"{policy}-{case}")
        for policy, cases in keeps.items()
        for case, change in cases
    ]


def assert_flags_only(runs: dict[str, ProgramRun], rule: Rule, change: Change, words: str) -> None:
    """The example passes the rule; with `change` it fails with exactly THE violation."""
    resource = example(runs, rule.resource_type)
    assert violations(rule, resource.type, resource.wire) == []
    found = violations(rule, resource.type, changed(resource, change))
    assert len(found) == 1 and words in found[0], found


def assert_keeps(runs: dict[str, ProgramRun], rule: Rule, change: Change) -> None:
    resource = example(runs, rule.resource_type)
    assert violations(rule, resource.type, changed(resource, change)) == []
