"""LeaderWorkerSet: the CRD and controller behind multi-node endpoints (nodes_per_worker > 1),
which the server creates at run time as leaderworkerset.x-k8s.io/v1 objects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi

from components.addons.base import AddonContext, chart_version, helm_release
from components.addons.settings import LwsResources
from components.sdk import lazy

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")


def lws_values(version: str, resources: LwsResources) -> dict[str, Any]:
    # The chart in the upstream repository defaults its image to `main`; run the release
    # the chart version names.
    return {
        "image": {"manager": {"tag": f"v{version.removeprefix('v')}"}},
        # The chart's default (1 CPU, 1Gi requested) is sized for nothing in particular.
        "resources": {
            "requests": resources.requests.as_dict(),
            "limits": resources.limits.as_dict(),
        },
    }


class LeaderWorkerSet(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, ctx: AddonContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:addons:LeaderWorkerSet", name, None, opts)
        cfg = ctx.settings.addons.lws
        self.release = helm_release(
            f"{name}-release",
            "lws",
            ctx=ctx,
            parent=self,
            release_name="lws",
            namespace=cfg.namespace,
            values=lws_values(chart_version("lws", cfg.version), cfg.resources),
            overrides=cfg.values,
            version=cfg.version,
        )
        self.register_outputs({"release": self.release.name})
