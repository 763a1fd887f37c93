"""The Azure platform (AKS, PostgreSQL flexible server, Managed Redis, Service Bus, ACR, Blob).

PLATFORM is what the program knows of it (components/platform.py describes the interface and
the package's layout); this module imports no provider SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.azure.catalog import CATALOG
from components.platform import METRICS_SERVER, Platform

if TYPE_CHECKING:
    # Only for the type checker (the quoted type argument below): PLATFORM.settings_block
    # imports it when first asked for, so listing the platforms creates no settings class.
    from components.azure.settings import AzureSettings  # noqa: F401


class Azure(Platform["AzureSettings"]):
    cloud = "azure"
    cloud_provider = "azure"
    catalog = CATALOG
    # AKS scales its pools itself (from zero for GPU pools).
    # AKS runs its own metrics-server (kube-system, re-created by the addon manager: a Helm
    # release of another would be overwritten, or refuse to adopt the objects).
    managed_components = frozenset({METRICS_SERVER})
    # The cluster is created with network policy "cilium" (cluster.py).
    enforces_network_policy = True
    # Its Azure Monitor alerts notify the stack's action group (or this one); action groups
    # take no inbound alerts, so Alertmanager needs the operator's webhook.
    alert_target = "action_group_id"


PLATFORM = Azure()
