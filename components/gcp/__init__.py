"""The GCP platform (GKE, Cloud SQL, Memorystore, Artifact Registry, GCS).

PLATFORM is what the program knows of it (components/platform.py describes the interface and
the package's layout); this module imports no provider SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.gcp.catalog import CATALOG
from components.platform import (
    GPU_DEVICE_PLUGIN,
    METRICS_SERVER,
    Platform,
)

if TYPE_CHECKING:
    # Only for the type checker (the quoted type argument below): PLATFORM.settings_block
    # imports it when first asked for, so listing the platforms creates no settings class.
    from components.gcp.settings import GcpSettings  # noqa: F401


class Gcp(Platform["GcpSettings"]):
    cloud = "gcp"
    cloud_provider = "gcp"
    catalog = CATALOG
    # GKE's own cluster autoscaler scales every pool, GPU pools from zero.
    # GKE runs metrics-server under its addon manager, and installs the NVIDIA driver and
    # device plugin on GPU nodes itself (node_pools.py asks for the driver): a second device
    # plugin would also register nvidia.com/gpu.
    managed_components = frozenset({METRICS_SERVER, GPU_DEVICE_PLUGIN})
    # Dataplane V2 (cluster.py) enforces NetworkPolicy and the Cilium policies.
    enforces_network_policy = True
    # Its Cloud Monitoring alert policies notify this channel (or the e-mails'); channels take
    # no inbound alerts, so Alertmanager needs the operator's webhook.
    alert_target = "notification_channel"


PLATFORM = Gcp()
