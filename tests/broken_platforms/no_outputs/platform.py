"""A component found by its name that keeps no PlatformOutputs."""

from __future__ import annotations

from components.platform import PlatformArgs


class NoOutputsPlatform:
    def __init__(self, name: str, args: PlatformArgs) -> None:
        self.name = name
