"""Node and pod autoscalers: the cluster autoscaler (where the platform's node groups scale
only through it) and the Vertical Pod Autoscaler (CRDs the chart renders when vertical
autoscaling is on)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi

from components.addons import identities
from components.addons.base import AddonContext, helm_release
from components.addons.versions import AUTOSCALER_IMAGES
from components.sdk import lazy
from components.settings import StackSettings
from components.settings_base import PROJECT, SettingsError

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")

# The chart's cloudProvider per platform cloud; auto-discovery is implemented for these.
CLOUD_PROVIDERS = {"aws": "aws"}
# Node groups the autoscaler manages carry both tags (the second names the cluster).
DISCOVERY_TAG = "k8s.io/cluster-autoscaler/enabled"
CLUSTER_TAG_PREFIX = "k8s.io/cluster-autoscaler/"


def autoscaler_image_tag(settings: StackSettings, kubernetes_version: str | None) -> str:
    """The autoscaler release line that matches the cluster's minor version."""
    cfg = settings.addons.cluster_autoscaler
    if cfg.image_tag:
        return cfg.image_tag
    tag = AUTOSCALER_IMAGES.get(kubernetes_version or "")
    if tag is None:
        known = ", ".join(AUTOSCALER_IMAGES)
        raise SettingsError(
            [
                f"{PROJECT}:addons.clusterAutoscaler.imageTag: the cluster autoscaler must match "
                f"the cluster's Kubernetes version ({kubernetes_version or 'unknown'}), and this "
                f"program knows the releases for {known}; set imageTag to the "
                "registry.k8s.io/autoscaling/cluster-autoscaler tag of your cluster's minor version"
            ]
        )
    return tag


def discovery_provider(cloud_provider: str) -> str:
    """The chart's cloudProvider for a platform that asks for a cluster autoscaler
    (Platform.needs_cluster_autoscaler); its node-group discovery must be wired here."""
    cloud = CLOUD_PROVIDERS.get(cloud_provider)
    if cloud is None:
        raise SettingsError(
            [
                f"{PROJECT}:addons.clusterAutoscaler: the platform asks for a cluster "
                "autoscaler (needs_cluster_autoscaler) but node-group discovery is not wired "
                f"for its cloud_provider {cloud_provider!r} (components/addons/autoscaler.py "
                "CLOUD_PROVIDERS); set addons.clusterAutoscaler.enabled: false and run your own"
            ]
        )
    return cloud


def cluster_autoscaler_values(ctx: AddonContext) -> dict[str, Any]:
    facts = ctx.platform.facts
    cloud = discovery_provider(facts.cloud_provider)
    sa = identities.service_accounts(ctx.settings.addons)[identities.CLUSTER_AUTOSCALER]
    annotations = ctx.platform.addon_identities.get(identities.CLUSTER_AUTOSCALER, {})
    values: dict[str, Any] = {
        "cloudProvider": cloud,
        "awsRegion": facts.region,
        "autoDiscovery": {
            "clusterName": facts.cluster_name,
            "tags": [
                DISCOVERY_TAG,
                pulumi.Output.concat(CLUSTER_TAG_PREFIX, facts.cluster_name),
            ],
        },
        "rbac": {"serviceAccount": {"name": sa.name, "annotations": dict(annotations)}},
        "extraArgs": {
            # GPU pools of one accelerator in several zones grow evenly.
            "balance-similar-node-groups": True,
            # Pick the group that wastes the least (a whole p5 for one slice is expensive).
            "expander": "least-waste",
            "skip-nodes-with-system-pods": False,
        },
    }
    values["image"] = {
        "tag": autoscaler_image_tag(ctx.settings, ctx.traits.kubernetes_version(ctx.settings))
    }
    return values


def installs_vpa(settings: StackSettings) -> bool:
    enabled = settings.addons.vpa.enabled
    return settings.autoscaling.vertical.enabled if enabled is None else enabled


class ClusterAutoscaler(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, ctx: AddonContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:addons:ClusterAutoscaler", name, None, opts)
        cfg = ctx.settings.addons.cluster_autoscaler
        if identities.CLUSTER_AUTOSCALER not in ctx.platform.addon_identities:
            pulumi.log.warn(
                "the cluster autoscaler has no workload identity from the platform; it can "
                "resize node groups only if the node role allows it",
                resource=self,
            )
        self.release = helm_release(
            f"{name}-release",
            "cluster-autoscaler",
            ctx=ctx,
            parent=self,
            release_name="cluster-autoscaler",
            namespace=cfg.namespace,
            values=cluster_autoscaler_values(ctx),
            overrides=cfg.values,
            version=cfg.version,
        )
        self.register_outputs({"release": self.release.name})


class VerticalPodAutoscaler(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, ctx: AddonContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:addons:VerticalPodAutoscaler", name, None, opts)
        cfg = ctx.settings.addons.vpa
        self.release = helm_release(
            f"{name}-release",
            "vertical-pod-autoscaler",
            ctx=ctx,
            parent=self,
            release_name="vertical-pod-autoscaler",
            namespace=cfg.namespace,
            values={},
            overrides=cfg.values,
            version=cfg.version,
        )
        self.register_outputs({"release": self.release.name})
