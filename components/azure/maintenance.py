"""AKS planned maintenance: the two schedules AKS reads by name ("Use planned maintenance to
schedule and control upgrades for your AKS cluster"). aksManagedAutoUpgradeSchedule bounds
the auto-upgrade channel's Kubernetes patches; aksManagedNodeOSUpgradeSchedule bounds node
image rollouts. Without them AKS picks the time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi

from components.azure.common import child
from components.operations import Window
from components.sdk import lazy

if TYPE_CHECKING:
    from components.azure.cluster import ClusterArgs

if TYPE_CHECKING:
    from pulumi_azure_native import containerservice
else:
    containerservice = lazy("pulumi_azure_native.containerservice")

AUTO_UPGRADE_SCHEDULE = "aksManagedAutoUpgradeSchedule"
NODE_OS_SCHEDULE = "aksManagedNodeOSUpgradeSchedule"


def _window(window: Window) -> containerservice.MaintenanceWindowArgs:
    return containerservice.MaintenanceWindowArgs(
        duration_hours=window.duration_hours,
        schedule=containerservice.ScheduleArgs(
            weekly=containerservice.WeeklyScheduleArgs(
                day_of_week=window.aks_day(), interval_weeks=1
            )
        ),
        start_time=f"{window.start_hour:02d}:00",
        utc_offset="+00:00",
    )


def aks_maintenance(
    parent: pulumi.Resource, name: str, args: ClusterArgs, cluster_name: pulumi.Input[str]
) -> list[containerservice.MaintenanceConfiguration]:
    m = args.maintenance
    schedules = [(NODE_OS_SCHEDULE, m.node_os_window, "node-os")]
    # With the channel off there is nothing for the auto-upgrade schedule to bound.
    if m.cluster_auto_upgrade != "none":
        schedules.insert(0, (AUTO_UPGRADE_SCHEDULE, m.window, "auto-upgrade"))
    # Writes on the managed cluster run one at a time: each schedule waits for the one before
    # it, and the node pools wait for the last (NodePools depends on these).
    configs: list[containerservice.MaintenanceConfiguration] = []
    for config, window, suffix in schedules:
        configs.append(
            containerservice.MaintenanceConfiguration(
                f"{name}-maintenance-{suffix}",
                config_name=config,
                resource_name_=cluster_name,
                resource_group_name=args.resource_group_name,
                maintenance_window=_window(window),
                opts=child(parent, depends_on=configs[-1:]),
            )
        )
    return configs
