"""A cluster the operator has, with each backing service theirs or installed in it.

PLATFORM is what the program knows of it (components/platform.py describes the interface and
the package's layout); this module imports no provider SDK."""

from __future__ import annotations

from collections.abc import Callable

from components.platform import Platform, PlatformArgs, PlatformComponent, PlatformFactsModule


class Existing(Platform):
    cloud = "existing"
    cloud_provider = "onprem"
    # The operator's cluster: the program knows nothing it runs, its version or its CNI; the
    # stack turns off (addons.<name>.enabled: false) what the cluster already has.

    def facts(self) -> PlatformFactsModule:
        from components.existing import facts

        return facts

    def component(self) -> Callable[[str, PlatformArgs], PlatformComponent]:
        from components.existing.platform import ExistingPlatform

        return ExistingPlatform


PLATFORM = Existing()
