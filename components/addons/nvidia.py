"""NVIDIA: the device plugin (`nvidia.com/gpu`), or the GPU operator with its MIG manager
when a pool's accelerator is a MIG slice (catalog `mig_profile`).

With MIG the operator cuts every GPU of a node into the layout its label
`nvidia.com/mig.config` names (`all-<profile>`, from the MIG manager's default config), and
the `single` strategy advertises each slice as one `nvidia.com/gpu`, which is what the
chart's endpoint pods request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import pulumi

from components import accelerators
from components.addons.base import AddonContext, helm_release
from components.contract import GpuNodePool
from components.sdk import lazy
from components.settings import StackSettings
from components.settings_base import SettingsError

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")

# The MIG manager's layout for nodes without a label: MIG off.
MIG_DISABLED = "all-disabled"

Kind = Literal["device-plugin", "gpu-operator"]
# Kind -> entry of the versions table (also the Helm release name).
CHARTS: dict[Kind, str] = {"device-plugin": "nvidia-device-plugin", "gpu-operator": "gpu-operator"}


def mig_pools(pools: Sequence[GpuNodePool]) -> list[GpuNodePool]:
    return [p for p in pools if p.spec.is_mig]


def kind(settings: StackSettings, pools: Sequence[GpuNodePool]) -> Kind:
    mode = settings.addons.nvidia.mode
    if mode == "auto":
        return "gpu-operator" if mig_pools(pools) else "device-plugin"
    if mode == "device-plugin" and mig_pools(pools):
        names = ", ".join(p.name for p in mig_pools(pools))
        raise SettingsError(
            [
                f"model-engine-infra:addons.nvidia.mode: pools {names} use MIG slices, which "
                "only the GPU operator's MIG manager creates; use mode auto or gpu-operator"
            ]
        )
    return mode


def tolerations(pools: Sequence[GpuNodePool]) -> list[dict[str, str]]:
    """Run on every GPU node whatever its pool taints it with."""
    seen: dict[tuple[str, str], None] = {(accelerators.GPU_TAINT_KEY, "NoSchedule"): None}
    for pool in pools:
        for taint in pool.taints:
            seen[(taint.key, taint.effect)] = None
    return [
        {"key": "CriticalAddonsOnly", "operator": "Exists"},
        *({"key": key, "operator": "Exists", "effect": effect} for key, effect in seen),
    ]


def device_plugin_values(pools: Sequence[GpuNodePool]) -> dict[str, Any]:
    return {
        # The chart's default affinity wants node-feature-discovery labels most clusters do
        # not have; every GPU pool carries the accelerator label the server selects on.
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": accelerators.ACCELERATOR_LABEL, "operator": "Exists"}
                            ]
                        }
                    ]
                }
            }
        },
        "tolerations": tolerations(pools),
    }


def gpu_operator_values(settings: StackSettings, pools: Sequence[GpuNodePool]) -> dict[str, Any]:
    cfg = settings.addons.nvidia
    mig_manager: dict[str, Any] = {"enabled": True, "config": {"default": MIG_DISABLED}}
    if cfg.mig_with_reboot:
        mig_manager["env"] = [{"name": "WITH_REBOOT", "value": "true"}]
    return {
        "driver": {"enabled": cfg.install_driver},
        "toolkit": {"enabled": cfg.install_toolkit},
        # Every GPU of a MIG node gets the same layout: slices are plain nvidia.com/gpu.
        "mig": {"strategy": "single"},
        "migManager": mig_manager,
        "devicePlugin": {"enabled": True},
        "daemonsets": {"tolerations": tolerations(pools)},
    }


class Nvidia(pulumi.ComponentResource):
    release: k8s.helm.v3.Release
    kind: Kind

    def __init__(self, name: str, ctx: AddonContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:addons:Nvidia", name, None, opts)
        cfg = ctx.settings.addons.nvidia
        pools = list(ctx.platform.gpu_pools)
        self.kind = kind(ctx.settings, pools)
        if self.kind == "gpu-operator":
            values = gpu_operator_values(ctx.settings, pools)
            version = cfg.gpu_operator_version
        else:
            values = device_plugin_values(pools)
            version = cfg.device_plugin_version
        self.release = helm_release(
            f"{name}-{self.kind}",
            CHARTS[self.kind],
            ctx=ctx,
            parent=self,
            release_name=CHARTS[self.kind],
            namespace=cfg.namespace,
            values=values,
            overrides=cfg.values,
            version=version,
        )
        self.register_outputs({"kind": self.kind})
