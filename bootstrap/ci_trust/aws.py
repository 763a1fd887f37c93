"""AWS: two IAM roles GitHub's OIDC tokens can assume (sts:AssumeRoleWithWebIdentity)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from bootstrap.ci_trust.github import AWS_AUDIENCE, ISSUER, Subjects
from bootstrap.ci_trust.settings import AwsTrust
from components.naming import PLATFORM_COMPONENT

# What `pulumi up` of the main program creates on AWS (components/aws), one IAM service prefix
# each: VPC and launch templates (ec2), EKS, RDS (instances and event subscriptions),
# ElastiCache, ECR, S3, KMS, Secrets Manager, CloudWatch Logs (logs), alarms (cloudwatch),
# EventBridge rules (events) and the SNS topic alarms notify, Auto Scaling tags.
# tests/ci_trust/test_coverage.py maps every `aws:` resource type of each AWS example stack's
# plan to one of these. IAM (roles for IRSA, the OIDC provider of the cluster) is global, so
# it is granted apart, without the region condition.
DEPLOY_SERVICES = (
    "autoscaling",
    "cloudwatch",
    "ec2",
    "ecr",
    "eks",
    "elasticache",
    "events",
    "kms",
    "logs",
    "rds",
    "s3",
    "secretsmanager",
    "sns",
)
# Read-only is not secret-free: ReadOnlyAccess can read data a pull request must never see.
PREVIEW_DENIED = (
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter*",
    "s3:GetObject*",
    "sqs:ReceiveMessage",
    "kms:Decrypt",
    "rds:DownloadDBLogFilePortion",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
)
READ_ONLY_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
# What a role the deploy role creates may ever do (its permissions boundary): the services the
# program's roles use (nodes, the cluster, IRSA workloads: SQS is the server's broker, ELB the
# gateway's load balancer), in the region; no IAM but the service-linked roles EKS creates.
# The node role's managed policies add Session Manager (ssm, ssmmessages, ec2messages) and
# EKS Pod Identity (eks-auth).
BOUNDARY_SERVICES = (
    *DEPLOY_SERVICES,
    "ec2messages",
    "eks-auth",
    "elasticloadbalancing",
    "sqs",
    "ssm",
    "ssmmessages",
)
BOUNDARY_NAME = "model-engine-ci-boundary"
# The roles the program creates: named after the platform component (any account, partition).
PROGRAM_ROLES = f"arn:*:iam::*:role/{PLATFORM_COMPONENT}-*"
# IAM writes that carry a permissions boundary (iam:PermissionsBoundary is their condition key):
# allowed only with ours, so no role the deploy role creates or edits can exceed it.
BOUNDED_ROLE_ACTIONS = (
    "iam:CreateRole",
    "iam:PutRolePermissionsBoundary",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
)
# Other writes of a role: only on the program's roles (by name). Tag-on-create needs TagRole.
# Limit: a role of another tool whose name starts with the same prefix is within reach too;
# keep the prefix to this program (best: an account of its own).
NAMED_ROLE_ACTIONS = (
    "iam:DeleteRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
)


def trust_policy(oidc_provider_arn: str, subjects: Sequence[str]) -> dict[str, Any]:
    """Who may assume a role: tokens of GitHub's issuer for our audience and these subjects."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": AWS_AUDIENCE,
                        # Exact subjects (StringEquals, not StringLike): no wildcard can widen it.
                        "token.actions.githubusercontent.com:sub": list(subjects),
                    }
                },
            }
        ],
    }


def _state(bucket: str, write: bool) -> list[dict[str, Any]]:
    objects = ["s3:GetObject"] + (["s3:PutObject", "s3:DeleteObject"] if write else [])
    return [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Allow", "Action": objects, "Resource": f"arn:aws:s3:::{bucket}/*"},
    ]


def preview_policy(settings: AwsTrust) -> dict[str, Any]:
    """On top of ReadOnlyAccess: the state (read), the stack secrets' key, and no data."""
    statements = [
        {"Effect": "Deny", "Action": list(PREVIEW_DENIED), "NotResource": _readable(settings)},
        *_state(settings.state_bucket, write=False),
    ]
    if settings.secrets_key_arn:
        statements.append(
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": settings.secrets_key_arn}
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _readable(settings: AwsTrust) -> list[str]:
    """What the preview may still read with the denied actions: its own state and key."""
    out = [f"arn:aws:s3:::{settings.state_bucket}/*"]
    return out + ([settings.secrets_key_arn] if settings.secrets_key_arn else [])


def boundary_policy(settings: AwsTrust) -> dict[str, Any]:
    """The permissions boundary of every role the deploy role creates."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [f"{service}:*" for service in BOUNDARY_SERVICES],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": settings.region}},
            },
            {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*"},
        ],
    }


def deploy_policy(settings: AwsTrust, boundary_arn: str, deploy_role_arn: str) -> dict[str, Any]:
    """`pulumi up` of the program: its services in the region, and IAM only as far as the
    roles it creates stay inside the boundary (no way to a role with more than the deploy
    role has: iam:PassRole only of the program's roles, and to the services that use them)."""
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in DEPLOY_SERVICES],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": settings.region}},
        },
        {
            "Sid": "ReadIam",
            "Effect": "Allow",
            "Action": ["iam:Get*", "iam:List*"],
            "Resource": "*",
        },
        {
            "Sid": "RolesWithinTheBoundary",
            "Effect": "Allow",
            "Action": list(BOUNDED_ROLE_ACTIONS),
            "Resource": PROGRAM_ROLES,
            "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}},
        },
        {
            "Sid": "OnlyTheProgramsRoles",
            "Effect": "Allow",
            "Action": list(NAMED_ROLE_ACTIONS),
            "Resource": PROGRAM_ROLES,
        },
        {
            "Sid": "NeverUnbounded",
            "Effect": "Deny",
            "Action": ["iam:DeleteRolePermissionsBoundary"],
            "Resource": "*",
        },
        {
            "Sid": "NeverTheBoundaryOrItself",
            "Effect": "Deny",
            "Action": [
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion",
                *BOUNDED_ROLE_ACTIONS,
                *NAMED_ROLE_ACTIONS,
            ],
            "Resource": [boundary_arn, deploy_role_arn],
        },
        {
            "Sid": "PassOnlyTheProgramsRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": PROGRAM_ROLES,
            "Condition": {
                "StringEquals": {
                    # The cluster role, the node role (managed node groups) and the add-ons'
                    # IRSA roles to EKS; the node role to EC2.
                    "iam:PassedToService": ["eks.amazonaws.com", "ec2.amazonaws.com"],
                },
            },
        },
        {
            "Sid": "OidcProviders",
            "Effect": "Allow",
            "Action": [
                "iam:CreateOpenIDConnectProvider",
                "iam:DeleteOpenIDConnectProvider",
                "iam:TagOpenIDConnectProvider",
                "iam:UntagOpenIDConnectProvider",
                "iam:UpdateOpenIDConnectProviderThumbprint",
                "iam:AddClientIDToOpenIDConnectProvider",
                "iam:RemoveClientIDFromOpenIDConnectProvider",
            ],
            "Resource": "*",
        },
        {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*"},
        *_state(settings.state_bucket, write=True),
    ]
    if settings.secrets_key_arn:
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": settings.secrets_key_arn,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass(frozen=True)
class AwsTrustArgs:
    settings: AwsTrust
    subjects: Subjects


class AwsGithubTrust(pulumi.ComponentResource):
    preview_role_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]
    permissions_boundary_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AwsTrustArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-ci-trust:aws:GithubTrust", name, None, opts)
        s = args.settings
        provider = aws.Provider(f"{name}-aws", region=s.region, opts=self._child())
        child = self._child(provider)
        oidc_arn: pulumi.Input[str] = s.oidc_provider_arn or (
            aws.iam.OpenIdConnectProvider(
                f"{name}-github",
                url=ISSUER,
                client_id_lists=[AWS_AUDIENCE],
                opts=child,
            ).arn
        )
        preview = self._role(f"{name}-preview", oidc_arn, args.subjects.preview, 3600, child)
        aws.iam.RolePolicyAttachment(
            f"{name}-preview-read", role=preview.name, policy_arn=READ_ONLY_POLICY, opts=child
        )
        aws.iam.RolePolicy(
            f"{name}-preview-state",
            role=preview.id,
            policy=pulumi.Output.json_dumps(preview_policy(s)),
            opts=child,
        )
        # A first `up` (EKS, Multi-AZ RDS, ElastiCache) can take over an hour.
        deploy = self._role(f"{name}-deploy", oidc_arn, [args.subjects.deploy], 10800, child)
        boundary = aws.iam.Policy(
            f"{name}-boundary",
            name=BOUNDARY_NAME,
            description="The most a role that CI's deploy role creates may do",
            policy=json.dumps(boundary_policy(s)),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-deploy-up",
            role=deploy.id,
            policy=pulumi.Output.all(boundary.arn, deploy.arn).apply(
                lambda arns: json.dumps(deploy_policy(s, arns[0], arns[1]))
            ),
            opts=child,
        )
        self.preview_role_arn = preview.arn
        self.deploy_role_arn = deploy.arn
        self.permissions_boundary_arn = boundary.arn
        self.register_outputs(
            {
                "preview_role_arn": preview.arn,
                "deploy_role_arn": deploy.arn,
                "permissions_boundary_arn": boundary.arn,
            }
        )

    def _child(self, provider: pulumi.ProviderResource | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=provider)

    @staticmethod
    def _role(
        name: str,
        oidc_arn: pulumi.Input[str],
        subjects: Sequence[str],
        max_seconds: int,
        opts: pulumi.ResourceOptions,
    ) -> aws.iam.Role:
        return aws.iam.Role(
            name,
            assume_role_policy=pulumi.Output.from_input(oidc_arn).apply(
                lambda arn: json.dumps(trust_policy(arn, subjects))
            ),
            max_session_duration=max_seconds,
            opts=opts,
        )
