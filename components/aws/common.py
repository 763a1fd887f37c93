"""Small helpers the AWS components share: physical names, IAM documents, options."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import pulumi

# Shared by every cloud package; re-exported for the modules of this one.
from components.naming import base_name as base_name
from components.naming import child as child
from components.naming import lift as lift
from components.naming import stateful as stateful
from components.naming import trim_name as trim_name
from components.sdk import lazy

if TYPE_CHECKING:
    import pulumi_aws as aws
    import pulumi_random as random
else:
    aws = lazy("pulumi_aws")
    random = lazy("pulumi_random")

G = TypeVar("G", bound=pulumi.CustomResource)

# Tags every AWS resource carries (besides the operator's); the provider adds them.
PART_OF_TAG = "model-engine"


@dataclass
class PrivateDataArgs:
    """Where a data service (RDS, ElastiCache) lives and how it is kept: the fields their
    Args share."""

    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]
    # The security group of the cluster's nodes: the only source allowed in.
    client_security_group_id: pulumi.Input[str]
    protect: bool


# Custom timeouts where AWS is slow: Multi-AZ RDS and ElastiCache take 20-60 minutes to
# create and longer to modify; p5/p4d node groups wait on capacity.
RDS_TIMEOUTS = pulumi.CustomTimeouts(create="120m", update="180m", delete="120m")
ELASTICACHE_TIMEOUTS = pulumi.CustomTimeouts(create="120m", update="180m", delete="90m")
EKS_TIMEOUTS = pulumi.CustomTimeouts(create="60m", update="90m", delete="60m")
NODE_GROUP_TIMEOUTS = pulumi.CustomTimeouts(create="60m", update="120m", delete="60m")


# Days Secrets Manager keeps a deleted secret. With `protect: false` the operator means to
# tear down and may re-create at once; a secret pending deletion would block its name.
RECOVERY_WINDOW_DAYS = 7


def recovery_window(protect: bool) -> int:
    return RECOVERY_WINDOW_DAYS if protect else 0


def final_snapshot_suffix(parent: pulumi.Resource, name: str) -> pulumi.Output[str]:
    """A suffix unique to this stack's life: a re-created stack's final snapshot never
    collides with the one its predecessor left behind."""
    return random.RandomId(f"{name}-final-snapshot", byte_length=4, opts=child(parent)).hex


ROLE_TYPE = "aws:iam/role:Role"


def with_permissions_boundary(arn: str) -> pulumi.ResourceTransformation:
    """A transformation (inherited by every descendant) that gives each IAM role the
    permissions boundary: one place, so no role the program adds can be created without it
    (CI's deploy role may create roles only with it, bootstrap/ci_trust)."""

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        if args.type_ != ROLE_TYPE:
            return pulumi.ResourceTransformationResult(args.props, args.opts)
        return pulumi.ResourceTransformationResult(
            {**args.props, "permissions_boundary": arn}, args.opts
        )

    return transform


def policy_document(statements: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def service_trust(service: str) -> str:
    """Trust policy for an AWS service principal (eks.amazonaws.com, ec2.amazonaws.com)."""
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
            }
        ]
    )


def irsa_trust(oidc_provider_arn: str, oidc_issuer_url: str, subjects: Sequence[str]) -> str:
    """Trust policy letting exactly these ServiceAccounts assume the role through IRSA."""
    issuer = oidc_issuer_url.removeprefix("https://")
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:aud": "sts.amazonaws.com",
                        f"{issuer}:sub": sorted(subjects),
                    }
                },
            }
        ]
    )


def service_account_subject(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def irsa_role(
    parent: pulumi.Resource,
    name: str,
    *,
    description: str,
    service_account: tuple[str, str],
    policy: str,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer_url: pulumi.Input[str],
    partition: pulumi.Input[str],
) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
    """A role only `service_account` (namespace, name) assumes, through IRSA, holding one
    AWS managed `policy`; both resources are named `name`."""
    namespace, sa = service_account
    role = aws.iam.Role(
        name,
        description=description,
        assume_role_policy=lift(
            irsa_trust, oidc_provider_arn, oidc_issuer_url, [service_account_subject(namespace, sa)]
        ),
        opts=child(parent),
    )
    attachment = aws.iam.RolePolicyAttachment(
        name,
        role=role.name,
        policy_arn=lift(managed_policy_arn, partition, policy),
        opts=child(parent),
    )
    return role, attachment


def placed_privately(
    parent: pulumi.Resource,
    name: str,
    args: PrivateDataArgs,
    subnet_group: Callable[..., G],
    identifier: str,
    port: int,
    what: str,
) -> tuple[G, aws.ec2.SecurityGroup]:
    """A data service's subnet group (`subnet_group`: RDS's or ElastiCache's) over the
    private subnets, and its security group, which admits `port` from the nodes only."""
    subnets = subnet_group(
        f"{name}-subnets",
        subnet_ids=list(args.subnet_ids),
        description=f"{identifier}: private subnets",
        opts=child(parent),
    )
    group = reachable_from_nodes(
        parent,
        name,
        vpc_id=args.vpc_id,
        node_security_group_id=args.client_security_group_id,
        port=port,
        what=what,
    )
    return subnets, group


def reachable_from_nodes(
    parent: pulumi.Resource,
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    node_security_group_id: pulumi.Input[str],
    port: int,
    what: str,
) -> aws.ec2.SecurityGroup:
    """A security group that admits `port` from the cluster's nodes and nothing else.

    The ingress is a rule of its own, so only the rule waits for the cluster (whose node
    security group it references); the data service behind the group does not.
    """
    group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description=f"{what} from the EKS nodes only",
        opts=child(parent),
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-from-nodes",
        security_group_id=group.id,
        referenced_security_group_id=node_security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=f"{what} from the EKS nodes",
        opts=child(parent),
    )
    return group
