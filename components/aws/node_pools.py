"""Node pools: the node role, a system and a CPU managed node group, and one managed node
group per GPU pool, each tagged so the cluster autoscaler can scale it from zero.

Every group launches from its own launch template: the root volume is gp3, encrypted with
the platform KMS key (the key policy lets the Auto Scaling service-linked role use it, see
identity.data_key_policy), and the instance metadata service needs IMDSv2 tokens with a hop
limit of 1, so a pod on the pod network cannot reach IMDS and read the node role's
credentials (EKS User Guide, "Restrict access to the instance profile assigned to the worker
node"). With a launch template EKS takes the disk size from the template, not `diskSize`.

GPU groups put the kubelet and containerd where images and weights land fastest: on an
instance type with instance-store NVMe, nodeadm assembles the devices into a RAID0 array
(NodeConfig `spec.instance.localStorage.strategy: RAID0`, in the launch template's MIME
multipart user data, which EKS merges with its own NodeConfig); otherwise on a gp3 root
volume sized for the largest hardware tier with its throughput provisioned. They upgrade in
place (update strategy MINIMAL, one node unavailable at a time) so a version or AMI bump
needs no spare GPU capacity, and they draw from on-demand, spot, an On-Demand Capacity
Reservation or a Capacity Block as the pool says."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import accelerators
from components.aws import catalog
from components.aws import settings as aws_settings
from components.aws.common import (
    NODE_GROUP_TIMEOUTS,
    child,
    lift,
    managed_policy_arn,
    service_trust,
)
from components.contract import GpuPoolSpec, Taint
from components.fit import GIB
from components.settings import PoolCapacity

GPU_AMI = "AL2023_x86_64_NVIDIA"
AUTOSCALER_PREFIX = "k8s.io/cluster-autoscaler"
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    # ECR pull for every image the nodes run (inference images included).
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)
# On a new cluster the VPC CNI gets this policy through its own IRSA role (cluster.py); an
# existing cluster's aws-node may rely on the node role, so there it stays on the nodes.
CNI_POLICY = "AmazonEKS_CNI_Policy"
# The root device of the EKS-optimized AL2023 AMIs (standard, ARM and NVIDIA).
ROOT_DEVICE = "/dev/xvda"
# IMDSv2 only; one hop: the node itself reaches IMDS, a pod behind the CNI's hop does not.
METADATA_HOP_LIMIT = 1
_EKS_EFFECT = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}
_EKS_EFFECT["PreferNoSchedule"] = "PREFER_NO_SCHEDULE"


# nodeadm's NodeConfig that moves kubelet and containerd onto the instance-store NVMe devices
# (RAID0 over all of them), as a MIME part EKS merges with the NodeConfig it generates.
MIME_BOUNDARY = "MODELENGINE"
LOCAL_STORAGE_NODECONFIG = """---
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  instance:
    localStorage:
      strategy: RAID0
"""
# EKS capacity types per the pool's capacity.type; reservations are on-demand capacity
# targeted through the launch template.
CAPACITY_TYPES = {
    "on-demand": "ON_DEMAND",
    "spot": "SPOT",
    "reservation": "ON_DEMAND",
    "capacity-block": "CAPACITY_BLOCK",
}


def local_storage_user_data() -> str:
    """The launch template's user data (base64, as EC2 wants it)."""
    mime = (
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="{MIME_BOUNDARY}"\n\n'
        f"--{MIME_BOUNDARY}\n"
        "Content-Type: application/node.eks.aws\n\n"
        f"{LOCAL_STORAGE_NODECONFIG}\n"
        f"--{MIME_BOUNDARY}--\n"
    )
    return base64.b64encode(mime.encode()).decode()


def reservation_target(
    capacity: PoolCapacity,
) -> aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs | None:
    """Launch into the named ODCR or Capacity Block (and only there: `targeted`)."""
    if capacity.reservation is None:
        return None
    return aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs(
        capacity_reservation_target=(
            aws.ec2.LaunchTemplateCapacityReservationSpecificationCapacityReservationTargetArgs(
                capacity_reservation_id=capacity.reservation
            )
        )
    )


def ami_type(instance_types: Sequence[str]) -> str:
    arch = {aws_settings.architecture(t) for t in instance_types}
    return "AL2023_ARM_64_STANDARD" if arch == {"arm64"} else "AL2023_x86_64_STANDARD"


def autoscaler_tags(
    cluster_name: str,
    labels: Mapping[str, str],
    taints: Sequence[Taint] = (),
    gpus: int = 0,
    ephemeral_gib: int = 0,
) -> dict[str, str]:
    """Auto-discovery tags plus the node-template tags that let the cluster autoscaler
    build a node from nothing: its labels, taints, GPU count and ephemeral storage."""
    tags = {
        f"{AUTOSCALER_PREFIX}/enabled": "true",
        f"{AUTOSCALER_PREFIX}/{cluster_name}": "owned",
    }
    tags.update(node_template_tags(labels, taints, gpus, ephemeral_gib))
    return tags


def node_template_tags(
    labels: Mapping[str, str],
    taints: Sequence[Taint] = (),
    gpus: int = 0,
    ephemeral_gib: int = 0,
) -> dict[str, str]:
    """`ephemeral_gib`: the node's allocatable ephemeral storage. Without the tag the
    autoscaler takes the launch template's root volume as the node's disk, so a pod asking
    for more than that (on a node whose kubelet lives on instance-store NVMe) would never
    trigger a scale-up from zero."""
    tags = {f"{AUTOSCALER_PREFIX}/node-template/label/{k}": v for k, v in labels.items()}
    for t in taints:
        tags[f"{AUTOSCALER_PREFIX}/node-template/taint/{t.key}"] = f"{t.value or ''}:{t.effect}"
    if gpus:
        tags[f"{AUTOSCALER_PREFIX}/node-template/resources/{accelerators.GPU_RESOURCE}"] = str(gpus)
    if ephemeral_gib:
        tags[f"{AUTOSCALER_PREFIX}/node-template/resources/ephemeral-storage"] = (
            f"{ephemeral_gib}Gi"
        )
    return tags


def update_config(gpu: bool) -> aws.eks.NodeGroupUpdateConfigArgs:
    """GPU groups replace one node at a time without launching extra ones first (MINIMAL:
    terminate, then launch), so an upgrade needs no spare GPU quota; EKS's DEFAULT strategy
    adds up to twice the number of zones in new nodes before draining. CPU groups keep the
    faster surge."""
    if gpu:
        return aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1, update_strategy="MINIMAL")
    return aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33)


def _asg_name(resources: Sequence[aws.eks.outputs.NodeGroupResource]) -> str:
    groups = resources[0].autoscaling_groups or []
    if not groups or not groups[0].name:
        raise ValueError("the EKS node group reports no Auto Scaling group")
    return groups[0].name


@dataclass
class NodePoolsArgs:
    cluster_name: str
    # The cluster's name as an Output, so node groups wait for the cluster.
    cluster: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    settings: aws_settings.NodeGroups
    partition: pulumi.Input[str]
    gpu_pools: Sequence[GpuPoolSpec] = field(default_factory=list)
    # The availability zone of each of subnet_ids, where a GPU pool names zones.
    subnet_zones: Sequence[pulumi.Input[str]] = ()
    # New clusters: node groups follow the control plane's version on upgrade.
    kubernetes_version: pulumi.Input[str] | None = None
    # KMS key of the root volumes (its policy admits the Auto Scaling service-linked role).
    volume_kms_key_arn: pulumi.Input[str] | None = None
    # False on a new cluster, whose VPC CNI has its own role.
    cni_policy_on_nodes: bool = True
    # What must exist before any node starts (the VPC CNI and kube-proxy add-ons).
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)


class NodePools(pulumi.ComponentResource):
    role: aws.iam.Role
    system: aws.eks.NodeGroup
    cpu: aws.eks.NodeGroup
    gpu: dict[str, aws.eks.NodeGroup]

    def __init__(self, name: str, args: NodePoolsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:aws:NodePools", name, None, opts)
        self._args = args
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=service_trust("ec2.amazonaws.com"),
            description=f"Nodes of EKS cluster {args.cluster_name}",
            opts=child(self),
        )
        self._attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-role-{policy}",
                role=self.role.name,
                policy_arn=lift(managed_policy_arn, args.partition, policy),
                opts=child(self),
            )
            for policy in (*NODE_POLICIES, *([CNI_POLICY] if args.cni_policy_on_nodes else []))
        ]
        lifecycle = {accelerators.LIFECYCLE_LABEL: accelerators.LIFECYCLE_NORMAL}
        system, cpu = args.settings.system, args.settings.cpu
        self.system = self._group(
            f"{name}-system",
            instance_types=system.instance_types,
            ami=ami_type(system.instance_types),
            sizes=(system.min_size, system.desired, system.max_size),
            disk=system.disk_size_gb,
            labels=lifecycle,
        )
        self.cpu = self._group(
            f"{name}-cpu",
            instance_types=cpu.instance_types,
            ami=ami_type(cpu.instance_types),
            sizes=(cpu.min_size, cpu.desired, cpu.max_size),
            disk=cpu.disk_size_gb,
            labels={**lifecycle, accelerators.CPU_ONLY_LABEL: "true"},
        )
        self.gpu = {
            g.pool.name: self._group(
                f"{name}-gpu-{g.pool.name}",
                instance_types=[g.node_type],
                ami=GPU_AMI,
                sizes=(g.pool.min_size, g.initial_count, g.pool.max_size),
                disk=g.shape.root_disk_gb,
                labels=g.pool.node_labels,
                taints=g.pool.taints,
                gpu=g,
            )
            for g in args.gpu_pools
        }
        self.register_outputs(
            {
                "role_arn": self.role.arn,
                "node_groups": [g.arn for g in (self.system, self.cpu, *self.gpu.values())],
            }
        )

    def _group(
        self,
        name: str,
        *,
        instance_types: Sequence[str],
        ami: str,
        sizes: tuple[int, int, int],
        disk: int,
        labels: Mapping[str, str],
        taints: Sequence[Taint] = (),
        gpu: GpuPoolSpec | None = None,
    ) -> aws.eks.NodeGroup:
        args = self._args
        min_size, desired, max_size = sizes
        shape = gpu.shape if gpu else None
        capacity = gpu.capacity if gpu else PoolCapacity()
        # A GPU node whose kubelet data is on the root volume writes images and weights
        # there: provision gp3 beyond its 125 MiB/s baseline.
        fast_root = shape is not None and not shape.local_disk
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"{name}: encrypted gp3 root volume, IMDSv2 with hop limit 1",
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=ROOT_DEVICE,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=disk,
                        volume_type="gp3",
                        throughput=catalog.GP3_GPU_THROUGHPUT_MIBPS if fast_root else None,
                        iops=catalog.GP3_GPU_IOPS if fast_root else None,
                        encrypted="true",
                        kms_key_id=args.volume_kms_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=METADATA_HOP_LIMIT,
            ),
            user_data=local_storage_user_data() if shape and shape.local_disk else None,
            capacity_reservation_specification=reservation_target(capacity),
            instance_market_options=(
                aws.ec2.LaunchTemplateInstanceMarketOptionsArgs(market_type="capacity-block")
                if capacity.type == "capacity-block"
                else None
            ),
            update_default_version=True,
            opts=child(self),
        )
        gpus = gpu.pool.gpus_per_node if gpu else 0
        ephemeral = int(shape.allocatable.storage_mi // GIB) if shape else 0
        # A pool's zones: the private subnets there; none named: every private subnet.
        zoned = zone_subnets(gpu.zones, args.subnet_ids, args.subnet_zones) if gpu else None
        group = aws.eks.NodeGroup(
            name,
            cluster_name=args.cluster,
            node_role_arn=self.role.arn,
            subnet_ids=zoned if zoned is not None else list(args.subnet_ids),
            version=args.kubernetes_version,
            ami_type=ami,
            capacity_type=CAPACITY_TYPES[capacity.type],
            instance_types=list(instance_types),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=min_size, desired_size=desired, max_size=max_size
            ),
            update_config=update_config(gpu is not None),
            labels=dict(labels),
            taints=[
                aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=_EKS_EFFECT[t.effect])
                for t in taints
            ],
            tags=autoscaler_tags(args.cluster_name, labels, taints, gpus, ephemeral),
            opts=child(
                self,
                depends_on=[*self._attachments, *args.depends_on],
                # The cluster autoscaler owns the node count once the group exists.
                ignore_changes=["scalingConfig.desiredSize"],
                custom_timeouts=NODE_GROUP_TIMEOUTS,
            ),
        )
        # Node group tags stay on the EKS object; the autoscaler reads the Auto Scaling
        # group's, so the node-template tags go there too (scale from zero).
        asg = group.resources.apply(_asg_name)
        for key, value in sorted(node_template_tags(labels, taints, gpus, ephemeral).items()):
            slug = re.sub(r"[^a-z0-9]+", "-", key.split("/node-template/")[1].lower())
            aws.autoscaling.Tag(
                f"{name}-asg-{slug}",
                autoscaling_group_name=asg,
                tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                opts=child(self),
            )
        return group


def zone_subnets(
    zones: Sequence[str],
    subnet_ids: Sequence[pulumi.Input[str]],
    subnet_zones: Sequence[pulumi.Input[str]],
) -> pulumi.Input[Sequence[pulumi.Input[str]]] | None:
    """The private subnets a GPU group may launch in: the pool's `zones` as subnet ids, or
    the program's private subnets in those availability zones; None: all of them."""
    if not zones:
        return None
    if all(z.startswith("subnet-") for z in zones):
        return list(zones)
    wanted = set(zones)
    return pulumi.Output.all(list(subnet_ids), list(subnet_zones)).apply(
        lambda pair: [i for i, z in zip(pair[0], pair[1], strict=True) if z in wanted]
    )
