"""The last line of defence: nothing in the values looks like a credential."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from components.model_engine.guards import Context, Finding, error, guard


def url_has_credentials(url: str) -> bool:
    return bool(re.match(r"^[a-z]+s?://[^/@]*@", url))


@guard
def no_credentials_anywhere(ctx: Context) -> Iterator[Finding]:
    """Last line of defence: nothing that looks like a credential is in the values."""

    def walk(node: Any, path: str) -> Iterator[Finding]:
        if isinstance(node, Mapping):
            for k, v in node.items():
                yield from walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from walk(v, f"{path}[{i}]")
        elif isinstance(node, str) and (
            url_has_credentials(node) or "[secret]" in node or "randomPassword" in node
        ):
            yield error(ctx, path, "looks like a credential; Helm values are stored in plaintext")

    yield from walk(ctx.values, "")
