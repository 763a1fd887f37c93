"""ECR: one repository per inference image the chart names, scanned on push, encrypted with
the platform key, with a lifecycle policy; their URLs become the chart's repository values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws import settings as aws_settings
from components.aws.common import child, stateful
from components.model_engine.chart_facts import INFERENCE_REPOSITORIES

BUILD_CACHE_KEY = "docker_image_layer_cache_repository"


def repository_names(cfg: aws_settings.Registry) -> dict[str, str]:
    """Chart launch key -> ECR repository name (the chart's own path, prefixed)."""
    return {key: f"{cfg.path_prefix}{path}" for key, path in INFERENCE_REPOSITORIES.items()}


def lifecycle_policy(cfg: aws_settings.Registry, build_cache: bool) -> str:
    rules = [
        {
            "rulePriority": 1,
            "description": f"untagged images after {cfg.untagged_expiry_days} days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": cfg.untagged_expiry_days,
            },
            "action": {"type": "expire"},
        }
    ]
    if build_cache:
        # Kaniko's layer cache: every layer is rebuildable, so old ones go.
        rules.append(
            {
                "rulePriority": 2,
                "description": f"cached layers after {cfg.build_cache_expiry_days} days",
                "selection": {
                    "tagStatus": "any",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": cfg.build_cache_expiry_days,
                },
                "action": {"type": "expire"},
            }
        )
    return json.dumps({"rules": rules})


@dataclass
class RegistryArgs:
    settings: aws_settings.Registry
    kms_key_arn: pulumi.Input[str]
    protect: bool


class Registry(pulumi.ComponentResource):
    repositories: dict[str, aws.ecr.Repository]
    # Chart launch key -> full repository URL (host included).
    urls: Mapping[str, pulumi.Output[str]]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:aws:Registry", name, None, opts)
        self.repositories = {}
        for key, repo_name in repository_names(args.settings).items():
            slug = repo_name.replace("/", "-").replace(".", "-").replace("_", "-")
            repo = aws.ecr.Repository(
                f"{name}-{slug}",
                name=repo_name,
                image_tag_mutability="MUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                    scan_on_push=True
                ),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(
                        encryption_type="KMS", kms_key=args.kms_key_arn
                    )
                ],
                force_delete=False,
                opts=stateful(self, args.protect),
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{slug}",
                repository=repo.name,
                policy=lifecycle_policy(args.settings, key == BUILD_CACHE_KEY),
                opts=child(self),
            )
            self.repositories[key] = repo
        self.urls = {key: repo.repository_url for key, repo in self.repositories.items()}
        self.register_outputs({"repositories": dict(self.urls)})
