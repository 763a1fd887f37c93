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

# What `pulumi up` of the main program creates on AWS (components/aws), one IAM service prefix
# each: VPC and launch templates, EKS, RDS, ElastiCache, ECR, S3, KMS, Secrets Manager,
# CloudWatch Logs, Auto Scaling tags. IAM (roles for IRSA, the OIDC provider of the cluster)
# is global, so it is granted apart, without the region condition.
DEPLOY_SERVICES = (
    "autoscaling",
    "ec2",
    "ecr",
    "eks",
    "elasticache",
    "kms",
    "logs",
    "rds",
    "s3",
    "secretsmanager",
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


def deploy_policy(settings: AwsTrust) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in DEPLOY_SERVICES],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": settings.region}},
        },
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
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
        aws.iam.RolePolicy(
            f"{name}-deploy-up",
            role=deploy.id,
            policy=pulumi.Output.json_dumps(deploy_policy(s)),
            opts=child,
        )
        self.preview_role_arn = preview.arn
        self.deploy_role_arn = deploy.arn
        self.register_outputs({"preview_role_arn": preview.arn, "deploy_role_arn": deploy.arn})

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
