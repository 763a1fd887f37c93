"""Identity: IRSA roles for the model-engine ServiceAccounts (control plane and inference),
the image builder (kaniko) and the add-ons that call AWS (KEDA, the cluster autoscaler),
each with the least privilege the code needs.

Inference pods run user-supplied containers, so they get a role of their own, on their own
ServiceAccount (INFERENCE_SERVICE_ACCOUNT), with only what the endpoint's forwarder and
model need. The AWS config file the endpoint pods mount names that role under the profile
the server opens by name for them (components/model_engine/aws_config.py). A user container
that reads the file and asks STS for the control-plane role is refused: that role's trust
names only the control plane's ServiceAccounts."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

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
from components.sdk import lazy

if TYPE_CHECKING:
    import pulumi_aws as aws
else:
    aws = lazy("pulumi_aws")

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
# The inference pods' ServiceAccount in the endpoint namespace (serviceTemplate.
# serviceAccountName); the control plane's `model-engine` account there (without isolation)
# runs the batch-job orchestration, which creates endpoints and queues.
INFERENCE_SERVICE_ACCOUNT = "model-engine-inference"
# What an async endpoint's Celery forwarder does with its queue (kombu SQS with a predefined
# queue URL: receive, acknowledge by delete, extend visibility, read its depth).
INFERENCE_SQS_ACTIONS = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
)
INFERENCE_WRITE_PREFIXES = cf.INFERENCE_WRITE_PREFIXES
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


def inference_policy(
    partition: str, region: str, account: str, bucket_arn: str, kms_key_arn: str
) -> str:
    """Inference pods (forwarders, models, fine-tune and batch jobs): consume their endpoint
    queue, read the bucket (model weights, inputs), write results and fine-tuned weights.
    No queue management, no deletes, no registry, no secrets (the Redis cache URL)."""
    endpoint_queues = f"arn:{partition}:sqs:{region}:{account}:{cf.SQS_ENDPOINT_QUEUE_PREFIX}*"
    return policy_document(
        [
            {
                "Sid": "ConsumeEndpointQueues",
                "Effect": "Allow",
                "Action": list(INFERENCE_SQS_ACTIONS),
                "Resource": endpoint_queues,
            },
            {
                "Sid": "ReadObjects",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/*",
            },
            {
                "Sid": "ListBucket",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
            },
            {
                "Sid": "WriteResults",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": [f"{bucket_arn}/{p}*" for p in INFERENCE_WRITE_PREFIXES],
            },
            {"Sid": "Key", "Effect": "Allow", "Action": list(KMS_ACTIONS), "Resource": kms_key_arn},
        ]
    )


def image_builder_policy(repository_arns: Sequence[str], bucket_arn: str, kms_key_arn: str) -> str:
    """Kaniko: reads the build context from the bucket, pushes to this stack's repositories
    only (custom-framework bundles naming another repository are refused)."""
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
                "Resource": sorted(repository_arns),
            },
            {
                "Sid": "BuildContext",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/*",
            },
            # Repositories are KMS-encrypted with the platform key: pushing layers needs a
            # data key.
            {
                "Sid": "Key",
                "Effect": "Allow",
                "Action": list(KMS_ACTIONS),
                "Resource": kms_key_arn,
            },
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


def alertmanager_policy(topic_arn: str, topic_key_arn: str | None) -> str:
    """Alertmanager publishes model-engine's alerts to the stack's topic; an encrypted
    topic needs its key for the data key SNS encrypts the message with."""
    statements: list[dict[str, Any]] = [
        {"Sid": "Publish", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn}
    ]
    if topic_key_arn:
        statements.append(
            {
                "Sid": "TopicKey",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": topic_key_arn,
            }
        )
    return policy_document(statements)


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
    # The stack's ECR repositories: the only ones the image builder may push to.
    repository_arns: Sequence[pulumi.Input[str]]
    cluster_name: str
    # The add-ons' ServiceAccounts (from the stack's `addons` block), by add-on key.
    addon_service_accounts: Mapping[str, ServiceAccountRef]
    # The stack's alert topic (and its key when this program made it) for Alertmanager.
    alert_topic_arn: pulumi.Input[str]
    alert_topic_key_arn: pulumi.Input[str] | None = None
    # derive.orchestrator_account_in_endpoint_namespace: whether the chart creates the
    # control plane's account in the endpoint namespace too.
    orchestrator_account_in_endpoint_namespace: bool = True


class Identity(pulumi.ComponentResource):
    model_engine_role: aws.iam.Role
    inference_role: aws.iam.Role
    image_builder_role: aws.iam.Role
    keda_role: aws.iam.Role
    cluster_autoscaler_role: aws.iam.Role

    def __init__(self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:aws:Identity", name, None, opts)
        sa = cf.CONTROL_PLANE_SERVICE_ACCOUNT
        # The control plane's account, and its copy in the endpoint namespace where the chart
        # creates one (the batch-job orchestration runs there; not with isolation); never the
        # inference pods' account.
        namespaces = [args.release_namespace]
        if args.orchestrator_account_in_endpoint_namespace:
            namespaces.append(args.endpoint_namespace)
        subjects = sorted({service_account_subject(ns, sa) for ns in namespaces})
        self.model_engine_role = self._role(
            f"{name}-model-engine",
            "model-engine control plane (IRSA)",
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
        self.inference_role = self._role(
            f"{name}-inference",
            "model-engine inference pods and jobs: user code (IRSA)",
            args,
            [service_account_subject(args.endpoint_namespace, INFERENCE_SERVICE_ACCOUNT)],
            lift(
                inference_policy,
                args.partition,
                args.region,
                args.account_id,
                args.bucket_arn,
                args.kms_key_arn,
            ),
        )
        self.image_builder_role = self._role(
            f"{name}-image-builder",
            "model-engine image builder (kaniko, IRSA)",
            args,
            [service_account_subject(cf.IMAGE_BUILDER_NAMESPACE, cf.IMAGE_BUILDER_SERVICE_ACCOUNT)],
            pulumi.Output.all(
                pulumi.Output.all(*args.repository_arns), args.bucket_arn, args.kms_key_arn
            ).apply(lambda a: image_builder_policy(a[0], a[1], a[2])),
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
        self.alertmanager_role = self._role(
            f"{name}-alertmanager",
            "Alertmanager: model-engine alerts to the stack's SNS topic (IRSA)",
            args,
            [addons[addon_ids.ALERTMANAGER].subject],
            pulumi.Output.all(args.alert_topic_arn, args.alert_topic_key_arn).apply(
                lambda a: alertmanager_policy(a[0], a[1])
            ),
        )
        self.register_outputs(
            {
                "alertmanager_role_arn": self.alertmanager_role.arn,
                "model_engine_role_arn": self.model_engine_role.arn,
                "inference_role_arn": self.inference_role.arn,
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


# ---------------------------------------------------------------------------------------
# Policy documents: what the key and the server's queues allow


def data_key_policy(partition: str, account: str) -> str:
    """The platform key's policy: the account administers and uses it through IAM (the
    default policy), and EC2 Auto Scaling's service-linked role may use it, which encrypted
    node root volumes need ("Required AWS KMS key policy for use with encrypted volumes",
    EC2 Auto Scaling User Guide). The role is matched by aws:PrincipalArn so that the policy
    is valid in an account where Auto Scaling has not created that role yet."""
    root = f"arn:{partition}:iam::{account}:root"
    asg_role = (
        f"arn:{partition}:iam::{account}:role/aws-service-role/"
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    only_asg = {"StringEquals": {"aws:PrincipalArn": asg_role, "kms:CallerAccount": account}}
    return policy_document(
        [
            {
                "Sid": "AccountAdministersAndUsesThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AutoScalingUsesForNodeVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                "Resource": "*",
                "Condition": only_asg,
            },
            {
                "Sid": "AutoScalingGrantsForNodeVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {**only_asg, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    )


def queue_policy_template(partition: str, region: str, account: str, role_arn: str) -> str:
    """Policy the server puts on each queue it creates; ${queue_name} is filled per queue."""
    queue = f"arn:{partition}:sqs:{region}:{account}:" + "${queue_name}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__owner_statement",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": "sqs:*",
                    "Resource": queue,
                },
                {
                    "Sid": "ModelEngine",
                    "Effect": "Allow",
                    "Principal": {"AWS": role_arn},
                    "Action": list(SQS_ACTIONS),
                    "Resource": queue,
                },
            ],
        }
    )
