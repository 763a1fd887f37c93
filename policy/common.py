"""What every cloud's policy table is made of: the Rule, and the helpers rules read props with.

The policy engine hands rules its own read-only Mapping/Sequence proxies (not dict/list),
and raises UnknownValueError when a rule reads a value only a deploy will know.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs
from pulumi_policy.proxy import UnknownValueError

Check = Callable[[Mapping[str, Any]], bool]


def is_sequence(node: Any) -> bool:
    return isinstance(node, Sequence) and not isinstance(node, (str, bytes))


def _items(node: Any) -> Iterator[tuple[str, Any]]:
    """Children of a mapping or sequence; a child not known until deploy is skipped."""
    keys: Iterable[Any] = list(node) if isinstance(node, Mapping) else range(len(node))
    for key in keys:
        try:
            value = node[key]
        except UnknownValueError:
            continue
        yield (f"[{key}]" if isinstance(key, int) else str(key)), value


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping) or is_sequence(node):
        for key, value in _items(node):
            child = path + key if key.startswith("[") else (f"{path}.{key}" if path else key)
            yield from walk(value, child)
    else:
        yield path, node


@dataclass(frozen=True)
class Rule:
    """A validate function for one resource type; `checks` maps a violation to its test.

    The resource type is data so that the tests can prove each rule meets a resource of
    its type in an example stack (a rule for a type nothing creates would pass forever).
    """

    resource_type: str
    checks: Mapping[str, Check] = field(default_factory=dict)
    custom: Callable[[Mapping[str, Any]], Iterator[str]] | None = None
    # A rule over a family of types (every IAM-member resource) judges each type this
    # accepts; `resource_type` is then the member of the family the example stacks create.
    family: Callable[[str], bool] | None = None

    def applies_to(self, resource_type: str) -> bool:
        if self.family is not None:
            return self.family(resource_type)
        return resource_type == self.resource_type

    def __call__(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not self.applies_to(args.resource_type):
            return
        for message, ok in self.checks.items():
            if not ok(args.props):
                report(message, None)
        if self.custom is not None:
            for message in self.custom(args.props):
                report(message, None)


def get(props: Mapping[str, Any], path: str) -> Any:
    """A nested value, None when any level is missing or not a mapping (so a check that
    needs the value fails rather than passes)."""
    node: Any = props
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def contains(node: Any, item: str) -> bool:
    return is_sequence(node) and item in node


# Policy name -> (description, rule): one table per module, assembled into the pack.
Table = dict[str, tuple[str, Rule]]
