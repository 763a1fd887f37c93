"""Which value paths the chart's templates read, from the template text itself.

A small reader of Go-template actions, enough for this chart: it follows `.Values.a.b`,
`$.Values`, `(.Values.a).b`, `index X "a" "b"`, `get X "a"`, variables bound to a value path
(`$x := .Values.a`, `default dict .Values.a`), and the dot inside `with`/`range` blocks.

A path is a tuple of keys; `[]` stands for "every element of a list", `*` for "every key of a
map" (a `range $k, $v := ...`). Two kinds of reads are kept apart:
- `exact`: the template looks at this path (a test, a print, a range over it);
- `whole`: the template consumes everything below this path (`toYaml .Values.x`, printing a
  map, ranging over a map's keys and values), so any key under it is read.
A truthiness test such as `if .Values.aws` reads `aws` exactly but none of its keys, so a
misspelt `aws.s3WriteProfileNam` is not read by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ValuePath = tuple[str, ...]

LIST_ITEM = "[]"
ANY_KEY = "*"

_ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
# .Values.a.b, $.Values.a.b, (.Values.a).b: parentheses may close between segments.
_ABSOLUTE = re.compile(rf"\$?\.Values((?:\)*\.{_IDENT})*)")
_VARIABLE = re.compile(rf"\$({_IDENT})((?:\)*\.{_IDENT})*)")
# A field chain on the dot: `.a.b`, not part of `$x.a`, `x.a`, `(...).a` or `.Values`.
_RELATIVE = re.compile(rf"(?<![\w$)\].])\.({_IDENT}(?:\.{_IDENT})*)")
_BARE_DOT = re.compile(r"(?<![\w$)\].])\.(?![\w.])")
_INDEX = re.compile(r"\b(index|get)\s+(\(?[$.\w()]+\)?)((?:\s+\"[^\"]*\")+)")
_ROOT_OBJECTS = {"Values", "Chart", "Release", "Capabilities", "Files", "Template"}


class _Root:
    """The dot at the top of a template: `.Values` is reachable from it."""


class _Other:
    """The dot over something that is not a value (a tuple of strings, an include result)."""


ROOT = _Root()
OTHER = _Other()
Dot = ValuePath | _Root | _Other


def _covers(prefix: ValuePath, path: ValuePath) -> bool:
    return len(prefix) <= len(path) and all(
        p in (ANY_KEY, q) for p, q in zip(prefix, path, strict=False)
    )


@dataclass
class References:
    exact: set[ValuePath] = field(default_factory=set)
    whole: set[ValuePath] = field(default_factory=set)
    # Where each path was seen first: "template:line", for messages.
    where: dict[ValuePath, str] = field(default_factory=dict)

    def reads(self, path: ValuePath) -> bool:
        """A template reads this value: it names it, or consumes a map or list above it."""
        return path in self.exact or any(_covers(w, path) for w in self.whole)

    def touches(self, path: ValuePath) -> bool:
        """A template reads this path or something below it."""
        return self.reads(path) or any(_covers(path, r) for r in self.exact | self.whole)

    def top_level(self) -> set[str]:
        return {p[0] for p in self.exact | self.whole if p}

    def _add(self, kind: set[ValuePath], path: ValuePath, where: str) -> None:
        kind.add(path)
        self.where.setdefault(path, where)


@dataclass
class _Frame:
    kind: str  # "root", "define", "if", "with", "range"
    dot: Dot
    outer_dot: Dot
    variables: dict[str, ValuePath] = field(default_factory=dict)


class _Reader:
    def __init__(self, refs: References, name: str) -> None:
        self.refs = refs
        self.name = name
        self.stack: list[_Frame] = [_Frame("root", ROOT, ROOT)]
        self.line = 1

    @property
    def dot(self) -> Dot:
        return self.stack[-1].dot

    def variable(self, name: str) -> ValuePath | None:
        for frame in reversed(self.stack):
            if name in frame.variables:
                return frame.variables[name]
            if frame.kind == "define":
                return None
        return None

    def where(self) -> str:
        return f"{self.name}:{self.line}"

    # -- resolving expressions -------------------------------------------------------------

    def _chain(self, text: str) -> tuple[str, ...]:
        return tuple(s for s in text.replace(")", "").split(".") if s)

    def resolve(self, expr: str) -> Dot | None:
        """The value path a simple expression denotes, or None if it is not one."""
        e = expr.strip()
        m = re.fullmatch(r"default\s+dict\s+(.+)", e)
        if m:
            e = m.group(1).strip()
        m = _INDEX.fullmatch(e.strip("()").strip()) if e.startswith(("index", "(index")) else None
        if m and m.group(1) == "index":
            base = self.resolve(m.group(2))
            keys = tuple(re.findall(r'"([^"]*)"', m.group(3)))
            return base + keys if isinstance(base, tuple) else None
        e = e.replace("(", "").replace(")", "")
        if not e or " " in e or "|" in e:
            return None
        if e == ".":
            return self.dot
        if e == "$":
            return ROOT
        m = re.fullmatch(rf"\$?\.Values((?:\.{_IDENT})*)", e)
        if m:
            return self._chain(m.group(1))
        m = re.fullmatch(rf"\$({_IDENT})((?:\.{_IDENT})*)", e)
        if m:
            bound = self.variable(m.group(1))
            return None if bound is None else bound + self._chain(m.group(2))
        m = re.fullmatch(rf"\.({_IDENT}(?:\.{_IDENT})*)", e)
        if m and isinstance(self.dot, tuple):
            return self.dot + self._chain(m.group(1))
        return None

    # -- recording ---------------------------------------------------------------------------

    def record(self, expr: str, *, consumes: bool) -> None:
        """Record every value path in an expression. `consumes`: the action prints or
        serialises what it names (so a map it names is read whole)."""

        def add(path: ValuePath) -> None:
            self.refs._add(self.refs.exact, path, self.where())
            if consumes:
                self.refs._add(self.refs.whole, path, self.where())

        for m in _INDEX.finditer(expr):
            base = self.resolve(m.group(2))
            if isinstance(base, tuple):
                keys = tuple(re.findall(r'"([^"]*)"', m.group(3)))
                # The base is only looked into; the keyed value is what is used.
                self.refs._add(self.refs.exact, base, self.where())
                add(base + keys)
        bare = _STRING.sub('""', _INDEX.sub(" ", expr))
        for m in _ABSOLUTE.finditer(bare):
            add(self._chain(m.group(1)))
        for m in _VARIABLE.finditer(bare):
            bound = self.variable(m.group(1))
            if bound is not None:
                add(bound + self._chain(m.group(2)))
        if isinstance(self.dot, tuple):
            for m in _RELATIVE.finditer(bare):
                first = m.group(1).split(".")[0]
                if first not in _ROOT_OBJECTS:
                    add(self.dot + self._chain(m.group(1)))
            if _BARE_DOT.search(bare):
                add(self.dot)

    # -- actions -----------------------------------------------------------------------------

    def action(self, body: str) -> None:
        text = body.strip()
        if not text or text.startswith("/*"):
            return
        word = text.split(None, 1)[0]
        rest = text[len(word) :].strip()
        if word == "end":
            if len(self.stack) > 1:
                self.stack.pop()
            return
        if word == "define":
            self.stack.append(_Frame("define", ROOT, ROOT))
            return
        if word == "else":
            frame = self.stack[-1]
            if frame.kind in ("with", "range"):
                frame.dot = frame.outer_dot
            if rest.startswith("if "):
                self.record(rest[3:], consumes=False)
            elif rest.startswith("with "):
                self.record(rest[5:], consumes=False)
                resolved = self.resolve(rest[5:])
                frame.dot = resolved if resolved is not None else OTHER
            return
        if word == "if":
            self.record(rest, consumes=False)
            self.stack.append(_Frame("if", self.dot, self.dot))
            return
        if word == "with":
            self.record(rest, consumes=False)
            resolved = self.resolve(rest)
            self.stack.append(_Frame("with", resolved if resolved is not None else OTHER, self.dot))
            return
        if word == "range":
            self.range(rest)
            return
        m = re.fullmatch(rf"\$({_IDENT})\s*:?=\s*(.+)", text, re.S)
        if m:
            self.record(m.group(2), consumes=False)
            resolved = self.resolve(m.group(2))
            if isinstance(resolved, tuple):
                self.stack[-1].variables[m.group(1)] = resolved
            return
        self.record(text, consumes=True)

    def range(self, rest: str) -> None:
        m = re.fullmatch(rf"\$({_IDENT})\s*(?:,\s*\$({_IDENT}))?\s*:=\s*(.+)", rest, re.S)
        names: tuple[str | None, str | None] = (None, None)
        expr = rest
        if m:
            names, expr = (m.group(1), m.group(2)), m.group(3)
        self.record(expr, consumes=False)
        over = self.resolve(expr)
        frame = _Frame("range", OTHER, self.dot)
        if isinstance(over, tuple):
            if names[1] is not None:  # range $key, $value := a map: every key is read
                self.refs._add(self.refs.whole, over, self.where())
                frame.dot = (*over, ANY_KEY)
                frame.variables[names[1]] = (*over, ANY_KEY)
            else:
                frame.dot = (*over, LIST_ITEM)
                if names[0] is not None:
                    frame.variables[names[0]] = (*over, LIST_ITEM)
        self.stack.append(frame)

    def read(self, text: str) -> None:
        pos = 0
        for m in _ACTION.finditer(text):
            self.line += text.count("\n", pos, m.start())
            pos = m.start()
            self.action(m.group(1))


def template_references(chart: Path) -> References:
    """Every value path the chart's templates (templates/*.yaml, *.tpl) read."""
    refs = References()
    for path in sorted((chart / "templates").iterdir()):
        if path.suffix in (".yaml", ".yml", ".tpl"):
            _Reader(refs, f"templates/{path.name}").read(path.read_text())
    return refs


def leaf_paths(values: Any, prefix: ValuePath = ()) -> Iterator[ValuePath]:
    """Every leaf a values document sets (empty maps and lists are leaves too)."""
    if isinstance(values, Mapping) and values:
        for key, value in values.items():
            yield from leaf_paths(value, (*prefix, str(key)))
    elif isinstance(values, list) and values:
        seen: set[ValuePath] = set()
        for item in values:
            for leaf in leaf_paths(item, (*prefix, LIST_ITEM)):
                if leaf not in seen:
                    seen.add(leaf)
                    yield leaf
    else:
        yield prefix


def dotted(path: Iterable[str]) -> str:
    return ".".join(path).replace(".[]", "[]")
