"""LeaderWorkerSet's controller is sized for the system pool it runs on (issue 18 item 10):
the chart asks 1 CPU and 1Gi, an eighth of a default system node."""

from __future__ import annotations

from typing import Any

import pytest

from components import fit, instances
from components.addons.settings import LwsAddon
from plan.simulator import run_program
from tests.helpers import set_path

RELEASE = "kubernetes:helm.sh/v3:Release"

# Each cloud's default system node type (components/<cloud>/settings.py) as its provider
# documents it: m6i.2xlarge 8 vCPU / 32 GiB (docs.aws.amazon.com/ec2/latest/instancetypes/
# gp.html, 58 pods); Standard_D8ds_v5 8 vCPU / 32 GiB (learn.microsoft.com/azure/
# virtual-machines/sizes/general-purpose/ddsv5-series); e2-standard-8 8 vCPU / 32 GB
# (cloud.google.com/compute/docs/general-purpose-machines#e2_machine_types).
SYSTEM_NODES = {
    "aws": instances.NodeType(8, 32, 0, 3.125, max_pods=58),
    "azure": instances.NodeType(8, 32, 300, 12.5),
    "gcp": instances.NodeType(8, 32, 0, 16),
}
# One add-on controller of the dozen on the system pool takes at most this share of a node.
SHARE = 0.05


def _requests(values: dict[str, Any]) -> fit.Resources:
    requests = values["resources"]["requests"]
    return fit.Resources(
        cpu_m=fit.millicores(requests["cpu"]), memory_mi=fit.mebibytes(requests["memory"])
    )


@pytest.mark.parametrize("cloud", sorted(SYSTEM_NODES))
def test_default_requests_are_a_small_share_of_a_system_node(cloud: str) -> None:
    node = fit.allocatable(cloud, SYSTEM_NODES[cloud], gpus=0, disk_gb=100)
    cfg = LwsAddon()
    asked = fit.Resources(
        cpu_m=fit.millicores(cfg.resources.requests.cpu or 0),
        memory_mi=fit.mebibytes(cfg.resources.requests.memory or 0),
    )
    assert asked.cpu_m and asked.memory_mi
    assert asked.cpu_m <= SHARE * node.cpu_m, (asked.describe(), node.describe())
    assert asked.memory_mi <= SHARE * node.memory_mi, (asked.describe(), node.describe())


def test_release_gets_the_settings(existing_config: dict[str, Any]) -> None:
    set_path(existing_config, "addons.lws.resources.requests", {"cpu": "200m", "memory": "256Mi"})
    run = run_program(existing_config)
    values = run.one(RELEASE, "addons-lws-release").inputs["values"]
    assert values["resources"]["requests"] == {"cpu": "200m", "memory": "256Mi"}
    # Limits keep their defaults; memory is bounded so a leak restarts the controller.
    assert values["resources"]["limits"] == LwsAddon().resources.limits.as_dict()
    assert _requests(values) == fit.Resources(cpu_m=200, memory_mi=256)
