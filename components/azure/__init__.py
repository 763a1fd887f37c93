"""The Azure platform (AKS, PostgreSQL flexible server, Managed Redis, Service Bus, ACR, Blob).

PLATFORM is what the program knows of it (components/platform.py describes the interface and
the package's layout); this module imports no provider SDK."""

from __future__ import annotations

from collections.abc import Callable

from components.azure.catalog import CATALOG
from components.platform import (
    METRICS_SERVER,
    Platform,
    PlatformArgs,
    PlatformComponent,
    PlatformFactsModule,
)


class Azure(Platform):
    cloud = "azure"
    cloud_provider = "azure"
    catalog = CATALOG
    # AKS scales its pools itself (from zero for GPU pools).
    # AKS runs its own metrics-server (kube-system, re-created by the addon manager: a Helm
    # release of another would be overwritten, or refuse to adopt the objects).
    managed_components = frozenset({METRICS_SERVER})
    # The cluster is created with network policy "cilium" (cluster.py).
    enforces_network_policy = True

    def facts(self) -> PlatformFactsModule:
        from components.azure import facts

        return facts

    def component(self) -> Callable[[str, PlatformArgs], PlatformComponent]:
        from components.azure.platform import AzurePlatform

        return AzurePlatform


PLATFORM = Azure()
