"""metrics-server: the resource metrics API (metrics.k8s.io) behind `kubectl top`, the VPA
recommender and any CPU/memory autoscaling. Clusters that ship one turn this off."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi

from components.addons.base import AddonContext, helm_release
from components.sdk import lazy

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")


class MetricsServer(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, ctx: AddonContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:addons:MetricsServer", name, None, opts)
        cfg = ctx.settings.addons.metrics_server
        self.release = helm_release(
            f"{name}-release",
            "metrics-server",
            ctx=ctx,
            parent=self,
            release_name="metrics-server",
            namespace=cfg.namespace,
            values={},
            overrides=cfg.values,
            version=cfg.version,
        )
        self.register_outputs({"release": self.release.name})
