"""Provider SDKs, imported when first used.

A module that builds resources names its SDK through `lazy(...)` and lets pyright read the
real import (under TYPE_CHECKING), so the SDK-free parts of that module (policy documents,
federated subjects, names, prefixes, constants) import without loading the SDK: a platform's
facts.py reads them before anything exists, and listing the platforms costs nothing
(tests/test_platform.py imports each facts.py in a fresh interpreter and checks that no
provider SDK got loaded).

    if TYPE_CHECKING:
        import pulumi_aws as aws
    else:
        aws = lazy("pulumi_aws")

The first attribute read imports the module as usual (`aws.iam.Role` is the SDK's own class);
nothing else about the SDK changes.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for a module until an attribute of it is read."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy(name: str) -> Any:
    return LazyModule(name)
