"""Node pools: system and CPU groups the chart's selectors match, one NVIDIA group per GPU
pool from the accelerator catalog, each able to scale from zero, on encrypted disks and
without instance metadata for pods."""

from __future__ import annotations

from typing import Any

import pytest

from components import accelerators, fit
from components.aws import facts as aws_facts
from components.contract import GpuNodePool
from plan.simulator import deferred
from tests.aws.helpers import GROUPS, NODE_GROUP, AwsRun, run_aws
from tests.helpers import add_t4_pool, set_path, settings_from

ASG_TAG = "aws:autoscaling/tag:Tag"
CA = "k8s.io/cluster-autoscaler"
TEMPLATE = f"{CA}/node-template"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
DATA_KEY = ("aws:kms/key:Key", "platform-data-key", "arn")


def _group(run: AwsRun, name: str) -> dict[str, Any]:
    return run.one(NODE_GROUP, f"platform-nodes-{name}").inputs


def test_system_and_cpu_groups_carry_the_labels_the_chart_selects(prod: AwsRun) -> None:
    system, cpu = _group(prod, "system"), _group(prod, "cpu")
    assert system["labels"] == {"node-lifecycle": "normal"}
    assert cpu["labels"] == {"node-lifecycle": "normal", "cpu-only": "true"}
    for group in (system, cpu):
        assert group["amiType"] == "AL2023_x86_64_STANDARD"
        assert group["clusterName"] == "model-engine-customer-prod"
        assert "taints" not in group or group["taints"] == []
    assert system["scalingConfig"] == {"minSize": 3, "desiredSize": 3, "maxSize": 6}
    assert cpu["tags"][f"{TEMPLATE}/label/cpu-only"] == "true"


def test_one_nvidia_group_per_gpu_pool(prod: AwsRun) -> None:
    a10, h100 = _group(prod, "gpu-a10"), _group(prod, "gpu-h100")
    assert a10["instanceTypes"] == ["g5.12xlarge"]  # chosen in the stack
    assert h100["instanceTypes"] == ["p5.48xlarge"]  # the catalog's default for h100
    for group, label in ((a10, "nvidia-ampere-a10"), (h100, "nvidia-hopper-h100")):
        assert group["amiType"] == "AL2023_x86_64_NVIDIA"
        assert group["labels"] == {
            "k8s.amazonaws.com/accelerator": label,
            "node-lifecycle": "normal",
        }
        assert group["taints"] == [
            {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
        ]
        assert "diskSize" not in group  # the launch template sizes the disk
    assert a10["scalingConfig"] == {"minSize": 0, "desiredSize": 0, "maxSize": 4}
    assert h100["scalingConfig"] == {"minSize": 0, "desiredSize": 0, "maxSize": 2}
    assert len(prod.of_type(NODE_GROUP)) == 4


def test_gpu_groups_scale_from_zero(prod: AwsRun) -> None:
    group = _group(prod, "gpu-h100")
    assert group["tags"] == {
        f"{CA}/enabled": "true",
        f"{CA}/model-engine-customer-prod": "owned",
        f"{TEMPLATE}/label/k8s.amazonaws.com/accelerator": "nvidia-hopper-h100",
        f"{TEMPLATE}/label/node-lifecycle": "normal",
        f"{TEMPLATE}/taint/nvidia.com/gpu": "present:NoSchedule",
        f"{TEMPLATE}/resources/nvidia.com/gpu": "8",
        # kubelet on p5's 8 x 3.8 TB instance store: nodeadm reserves 1Gi and evicts below
        # 10% free, so the autoscaler must not take the 100 GB root volume as the disk.
        f"{TEMPLATE}/resources/ephemeral-storage": f"{int(30400e9 / 2**30 * 0.9 - 1)}Gi",
    }
    # The autoscaler reads the Auto Scaling group's tags: the node-template ones go there.
    asg = prod.out(NODE_GROUP, "platform-nodes-gpu-h100", "autoscalingGroups[0].name")
    on_asg = {
        t.inputs["tag"]["key"]: t.inputs["tag"]["value"]
        for t in prod.of_type(ASG_TAG)
        if t.inputs["autoscalingGroupName"] == asg
    }
    assert on_asg == {k: v for k, v in group["tags"].items() if k.startswith(TEMPLATE)}
    # The autoscaler owns the size once the group exists.
    options = prod.options[(NODE_GROUP, "platform-nodes-gpu-h100")]
    assert options.ignore_changes == ["scalingConfig.desiredSize"]


def test_pools_are_returned_as_plain_data_the_chart_uses(prod: AwsRun) -> None:
    from tests.aws.helpers import prod_config

    pools = aws_facts.gpu_pools(settings_from(prod_config()))
    assert all(isinstance(p, GpuNodePool) for p in pools)
    assert [(p.name, p.accelerator, p.gpus_per_node, p.min_size, p.max_size) for p in pools] == [
        ("a10", "a10", 4, 0, 4),
        ("h100", "h100", 8, 0, 2),
    ]
    values = prod.values
    balloons = {b["acceleratorName"]: b for b in values["balloons"]}
    assert balloons["nvidia-ampere-a10"]["replicaCount"] == 0
    assert balloons["nvidia-hopper-h100"]["gpuCount"] == 8
    devices = {d["name"]: d["nodeSelector"] for d in values["imageCache"]["devices"]}
    # A10 and H100 get no cache device: the cacher lists images for them that do not exist.
    assert devices == {"cpu": {"cpu-only": "true"}}


def test_mig_pool_counts_slices_and_asks_for_the_layout(config: dict[str, Any]) -> None:
    set_path(
        config, "gpu.pools", [{"name": "h100-small", "accelerator": "h100-1g20gb", "maxSize": 1}]
    )
    run = run_aws(config)
    group = _group(run, "gpu-h100-small")
    spec = accelerators.CATALOG["h100-1g20gb"]
    assert group["instanceTypes"] == ["p5.48xlarge"]
    assert group["labels"]["k8s.amazonaws.com/accelerator"] == spec.label_value
    assert group["labels"]["nvidia.com/mig.config"] == "all-1g.20gb"
    # 8 GPUs x 4 slices: the autoscaler must know a new node brings 32.
    assert group["tags"][f"{TEMPLATE}/resources/nvidia.com/gpu"] == "32"


def test_nodes_pull_from_ecr(prod: AwsRun) -> None:
    role = prod.one("aws:iam/role:Role", "platform-nodes-role")
    attached = {
        r.inputs["policyArn"]
        for r in prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("platform-nodes-role-")
    }
    assert "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly" in attached
    assert "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy" in attached
    assert role.inputs["assumeRolePolicy"].count("ec2.amazonaws.com") == 1
    for name in ("system", "cpu", "gpu-a10", "gpu-h100"):
        assert _group(prod, name)["nodeRoleArn"] == prod.out(
            "aws:iam/role:Role", "platform-nodes-role", "arn"
        )


def test_a_new_pool_brings_its_node_group_balloon_cache_and_hardware(
    config: dict[str, Any],
) -> None:
    """Add a pool in the stack file: the node group, the balloon, the image-cache device and
    the hardware tiers all follow, with nothing about the GPU typed twice."""
    add_t4_pool(config, balloon_replicas=1)
    set_path(config, "gpu.pools[2].minSize", 1)  # the balloon's node exists at install
    run = run_aws(config)
    group = _group(run, "gpu-t4")
    assert group["instanceTypes"] == [accelerators.CATALOG["t4"].default_instance_type("aws")]
    assert group["labels"][accelerators.ACCELERATOR_LABEL] == "nvidia-tesla-t4"
    values = run.values
    assert {"acceleratorName": "nvidia-tesla-t4", "replicaCount": 1, "gpuCount": 1} in values[
        "balloons"
    ]
    t4 = next(d for d in values["imageCache"]["devices"] if d["name"] == "t4")
    assert t4["nodeSelector"] == {accelerators.ACCELERATOR_LABEL: "nvidia-tesla-t4"}
    assert values["recommendedHardware"]["byGpuMemoryGb"][0]["gpu_type"] == "nvidia-tesla-t4"


def test_warm_nodes_exist_before_the_chart_waits_for_balloons(config: dict[str, Any]) -> None:
    """A balloon pod must run before Helm's wait ends: the pool starts with its nodes."""
    set_path(config, "gpu.pools[1].minSize", 2)
    set_path(config, "gpu.pools[1].maxSize", 3)
    set_path(config, "gpu.pools[1].balloonReplicas", 2)  # 8 GPUs each: one p5 per balloon
    run = run_aws(config)
    assert _group(run, "gpu-h100")["scalingConfig"] == {
        "minSize": 2,
        "desiredSize": 2,
        "maxSize": 3,
    }
    balloons = {b["acceleratorName"]: b for b in run.values["balloons"]}
    assert balloons["nvidia-hopper-h100"] == {
        "acceleratorName": "nvidia-hopper-h100",
        "replicaCount": 2,
        "gpuCount": 8,
    }
    # The chart waits for the node groups (and so for the nodes the balloons run on).
    chart = run.one("kubernetes:helm.sh/v3:Release", "model-engine-chart")
    assert run.one(NODE_GROUP, "platform-nodes-gpu-h100").urn in run.upstream(chart)


def test_several_pools_of_one_accelerator(config: dict[str, Any]) -> None:
    """Two A10 pools: two node groups in the cloud, one balloon for the chart (keyed by
    accelerator), no A10 cache device (the cacher's fixed A10 list names images that do not
    exist), and the A10 tiers once."""
    set_path(
        config,
        "gpu.pools",
        [
            {"name": "a10-small", "accelerator": "a10", "instanceType": "g5.2xlarge",
             "minSize": 1, "maxSize": 4, "balloonReplicas": 1},
            {"name": "a10-large", "accelerator": "a10", "instanceType": "g5.48xlarge",
             "minSize": 1, "maxSize": 2, "balloonReplicas": 2},
        ],
    )  # fmt: skip
    run = run_aws(config)
    small, large = _group(run, "gpu-a10-small"), _group(run, "gpu-a10-large")
    assert small["instanceTypes"] == ["g5.2xlarge"] and large["instanceTypes"] == ["g5.48xlarge"]
    assert small["labels"] == large["labels"]
    assert small["tags"][f"{TEMPLATE}/resources/nvidia.com/gpu"] == "1"
    assert large["tags"][f"{TEMPLATE}/resources/nvidia.com/gpu"] == "8"
    values = run.values
    assert [b for b in values["balloons"] if b["acceleratorName"] != "cpu"] == [
        {"acceleratorName": "nvidia-ampere-a10", "replicaCount": 3, "gpuCount": 1}
    ]
    assert [d["name"] for d in values["imageCache"]["devices"]] == ["cpu"]
    tiers = values["recommendedHardware"]["byGpuMemoryGb"]
    assert [t["gpu_memory_le"] for t in tiers] == [24, 48, 96]


def test_pool_names_stay_unique(config: dict[str, Any]) -> None:
    pool = {"name": "a10", "accelerator": "a10", "maxSize": 1}
    set_path(config, "gpu.pools", [pool, {**pool, "instanceType": "g5.48xlarge"}])
    with pytest.raises(ValueError, match="pool names must be unique"):
        settings_from(config)


def _template_of(run: AwsRun, group: str) -> dict[str, Any]:
    ref = run.one(NODE_GROUP, f"platform-nodes-{group}").inputs["launchTemplate"]
    template = run.one(LAUNCH_TEMPLATE, f"platform-nodes-{group}-lt")
    assert ref["id"] == deferred(LAUNCH_TEMPLATE, template.name, "id")
    assert ref["version"] == run.out(LAUNCH_TEMPLATE, template.name, "latestVersion")
    return template.inputs


@pytest.mark.parametrize(
    ("group", "disk"), [("system", 100), ("cpu", 200), ("gpu-h100", fit.OS_ONLY_ROOT_GB)]
)
def test_root_volumes_are_encrypted_gp3_with_the_platform_key(
    prod: AwsRun, group: str, disk: int
) -> None:
    [root] = _template_of(prod, group)["blockDeviceMappings"]
    assert root["deviceName"] == "/dev/xvda"
    assert root["ebs"] == {
        "volumeSize": disk,
        "volumeType": "gp3",
        "encrypted": "true",
        "kmsKeyId": prod.out(*DATA_KEY),
        "deleteOnTermination": "true",
    }


def test_pods_cannot_reach_instance_metadata(prod: AwsRun) -> None:
    for group in GROUPS:
        assert _template_of(prod, group)["metadataOptions"] == {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
        }, group
