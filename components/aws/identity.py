"""Identity: IRSA roles for the model-engine ServiceAccounts (control plane and inference),
the image builder (kaniko) and the add-ons that call AWS (KEDA, the cluster autoscaler),
each with the least privilege the code needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.addons import identities as addon_ids
from components.addons.identities import ServiceAccountRef
from components.aws.common import (
    child,
    irsa_trust,
    lift,
    policy_document,
    service_account_subject,
)
from components.model_engine import chart_facts as cf

# What the server does with SQS (endpoint queues and the builder queue); nothing else.
SQS_ACTIONS = (
    "sqs:ChangeMessageVisibility",
    "sqs:CreateQueue",
    "sqs:DeleteMessage",
    "sqs:DeleteQueue",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
    "sqs:SendMessage",
    "sqs:SetQueueAttributes",
    "sqs:TagQueue",
)
S3_OBJECT_ACTIONS = ("s3:DeleteObject", "s3:GetObject", "s3:PutObject")
ECR_READ_ACTIONS = (
    "ecr:BatchGetImage",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
    "ecr:ListImages",
)
ECR_PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
# S3 objects are SSE-KMS: reading needs Decrypt, writing needs GenerateDataKey.
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")

# What the cluster autoscaler reads to discover and model node groups (scale from zero).
AUTOSCALER_READ_ACTIONS = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
    "eks:DescribeNodegroup",
)
# ... and what it changes, only on groups tagged as this cluster's.
AUTOSCALER_WRITE_ACTIONS = (
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
)


def queue_arns(partition: str, region: str, account: str) -> list[str]:
    base = f"arn:{partition}:sqs:{region}:{account}"
    return [f"{base}:{cf.SQS_ENDPOINT_QUEUE_PREFIX}*", f"{base}:{cf.SQS_BUILDER_QUEUE}"]


def repositories_arn(partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:ecr:{region}:{account}:repository/*"


def model_engine_policy(
    partition: str,
    region: str,
    account: str,
    bucket_arn: str,
    secret_arns: Sequence[str],
    kms_key_arn: str,
) -> str:
    """Least privilege for the gateway, builder, cacher, jobs and inference pods."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Objects",
            "Effect": "Allow",
            "Action": list(S3_OBJECT_ACTIONS),
            "Resource": f"{bucket_arn}/*",
        },
        {"Sid": "ListBucket", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn},
        {
            "Sid": "Queues",
            "Effect": "Allow",
            "Action": list(SQS_ACTIONS),
            "Resource": queue_arns(partition, region, account),
        },
        # ListQueues has no resource-level permissions.
        {"Sid": "ListQueues", "Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"},
        {
            "Sid": "Images",
            "Effect": "Allow",
            "Action": list(ECR_READ_ACTIONS),
            "Resource": repositories_arn(partition, region, account),
        },
        {
            "Sid": "Secrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": sorted(secret_arns),
        },
        {"Sid": "Key", "Effect": "Allow", "Action": list(KMS_ACTIONS), "Resource": kms_key_arn},
    ]
    return policy_document(statements)


def image_builder_policy(
    partition: str, region: str, account: str, bucket_arn: str, kms_key_arn: str
) -> str:
    """Kaniko: reads the build context from the bucket, pushes to the account's ECR."""
    return policy_document(
        [
            {
                "Sid": "RegistryLogin",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            {
                "Sid": "Push",
                "Effect": "Allow",
                "Action": list(ECR_PUSH_ACTIONS),
                "Resource": repositories_arn(partition, region, account),
            },
            {
                "Sid": "BuildContext",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/*",
            },
            {"Sid": "Key", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": kms_key_arn},
        ]
    )


def cluster_autoscaler_policy(cluster_name: str) -> str:
    return policy_document(
        [
            {
                "Sid": "Discover",
                "Effect": "Allow",
                "Action": list(AUTOSCALER_READ_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "ScaleOwnGroups",
                "Effect": "Allow",
                "Action": list(AUTOSCALER_WRITE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"
                    }
                },
            },
        ]
    )


def keda_policy(secret_arn: str, kms_key_arn: str) -> str:
    return policy_document(
        [
            {
                "Sid": "RedisPassword",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arn,
            },
            {"Sid": "Key", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": kms_key_arn},
        ]
    )


@dataclass
class IdentityArgs:
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    release_namespace: str
    endpoint_namespace: str
    partition: pulumi.Input[str]
    region: pulumi.Input[str]
    account_id: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    # Secrets the server reads (cache URL; the database JSON on the cloud route).
    secret_arns: Sequence[pulumi.Input[str]]
    keda_secret_arn: pulumi.Input[str]
    cluster_name: str
    # The add-ons' ServiceAccounts (from the stack's `addons` block), by add-on key.
    addon_service_accounts: Mapping[str, ServiceAccountRef]


class Identity(pulumi.ComponentResource):
    model_engine_role: aws.iam.Role
    image_builder_role: aws.iam.Role
    keda_role: aws.iam.Role
    cluster_autoscaler_role: aws.iam.Role

    def __init__(self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:aws:Identity", name, None, opts)
        sa = cf.CONTROL_PLANE_SERVICE_ACCOUNT
        # Control plane in the release namespace; inference pods and jobs in the endpoint one.
        subjects = sorted(
            {
                service_account_subject(args.release_namespace, sa),
                service_account_subject(args.endpoint_namespace, cf.INFERENCE_SERVICE_ACCOUNT),
            }
        )
        self.model_engine_role = self._role(
            f"{name}-model-engine",
            "model-engine control plane and inference pods (IRSA)",
            args,
            subjects,
            pulumi.Output.all(
                args.partition,
                args.region,
                args.account_id,
                args.bucket_arn,
                pulumi.Output.all(*args.secret_arns),
                args.kms_key_arn,
            ).apply(lambda a: model_engine_policy(a[0], a[1], a[2], a[3], a[4], a[5])),
        )
        self.image_builder_role = self._role(
            f"{name}-image-builder",
            "model-engine image builder (kaniko, IRSA)",
            args,
            [service_account_subject(cf.IMAGE_BUILDER_NAMESPACE, cf.IMAGE_BUILDER_SERVICE_ACCOUNT)],
            lift(
                image_builder_policy,
                args.partition,
                args.region,
                args.account_id,
                args.bucket_arn,
                args.kms_key_arn,
            ),
        )
        addons = args.addon_service_accounts
        # KEDA reads the Redis password from Secrets Manager (the chart's
        # TriggerAuthentication uses KEDA's `aws` pod identity, i.e. the operator's role).
        self.keda_role = self._role(
            f"{name}-keda",
            "KEDA operator: Redis password for model-engine's scalers (IRSA)",
            args,
            [addons[addon_ids.KEDA_OPERATOR].subject],
            lift(keda_policy, args.keda_secret_arn, args.kms_key_arn),
        )
        self.cluster_autoscaler_role = self._role(
            f"{name}-cluster-autoscaler",
            f"cluster autoscaler of {args.cluster_name} (IRSA)",
            args,
            [addons[addon_ids.CLUSTER_AUTOSCALER].subject],
            cluster_autoscaler_policy(args.cluster_name),
        )
        self.register_outputs(
            {
                "model_engine_role_arn": self.model_engine_role.arn,
                "image_builder_role_arn": self.image_builder_role.arn,
                "keda_role_arn": self.keda_role.arn,
                "cluster_autoscaler_role_arn": self.cluster_autoscaler_role.arn,
            }
        )

    def _role(
        self,
        name: str,
        description: str,
        args: IdentityArgs,
        subjects: Sequence[str],
        policy: pulumi.Input[str],
    ) -> aws.iam.Role:
        role = aws.iam.Role(
            name,
            description=description,
            assume_role_policy=lift(
                irsa_trust, args.oidc_provider_arn, args.oidc_issuer_url, list(subjects)
            ),
            opts=child(self),
        )
        aws.iam.RolePolicy(name, role=role.id, policy=policy, opts=child(self))
        return role
