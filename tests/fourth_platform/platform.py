"""The fourth platform's component, found by its name (`<Name>Platform` for PLATFORM's class
`Fourth`). It stands in for a ComponentResource: it keeps what `build` gave it."""

from __future__ import annotations

from components.platform import PlatformArgs
from tests.fourth_platform import PLATFORM
from tests.fourth_platform.settings import FourthSettings


class FourthPlatform:
    # Every instance, latest last: what `build` made.
    built: list[FourthPlatform] = []

    def __init__(self, name: str, args: PlatformArgs) -> None:
        self.name = name
        self.block: FourthSettings = PLATFORM.block(args.settings)
        self.outputs = object()
        FourthPlatform.built.append(self)
