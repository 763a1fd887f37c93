"""The component under a name `build` does not look for (not `NoComponentPlatform`)."""

from __future__ import annotations

from components.platform import PlatformArgs


class Component:
    def __init__(self, name: str, args: PlatformArgs) -> None:
        self.outputs = object()
