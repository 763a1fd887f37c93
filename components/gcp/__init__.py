"""The GCP platform (GKE, Cloud SQL, Memorystore, Artifact Registry, GCS).

PLATFORM is what the program knows of it (components/platform.py describes the interface and
the package's layout); this module imports no provider SDK."""

from __future__ import annotations

from components.gcp.catalog import CATALOG
from components.gcp.settings import GcpSettings
from components.platform import (
    GPU_DEVICE_PLUGIN,
    METRICS_SERVER,
    Platform,
)


class Gcp(Platform[GcpSettings]):
    cloud = "gcp"
    cloud_provider = "gcp"
    settings_block = GcpSettings
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
