"""ECR: the repositories the chart names, as names under the account's registry host.

The server checks and pulls `docker_repo_prefix + "/" + name`, so the chart gets each
repository's name and the bare registry host as the prefix. Repositories the server's image
builder writes are created here (scanned on push, encrypted with the platform key, lifecycle
rules). With `aws.registry.upstream`, the framework and batch repositories are instead filled
by an ECR pull-through cache from the operator's registry, and a Job pulls the images the
server reads at start (the cacher's batch image) through the cache before the chart installs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.aws import settings as aws_settings
from components.aws.common import child, policy_document, stateful
from components.model_engine.chart_facts import (
    INFERENCE_REPOSITORIES,
    LLM_FRAMEWORK_REPOSITORIES,
    TAGGED_REPOSITORIES,
)
from components.sdk import lazy
from components.warm_up import pull_container, warm_up_job

if TYPE_CHECKING:
    import pulumi_aws as aws
    import pulumi_kubernetes as k8s
else:
    aws = lazy("pulumi_aws")
    k8s = lazy("pulumi_kubernetes")

BUILD_CACHE_KEY = "docker_image_layer_cache_repository"


def registry_prefix(account: str, region: str, dns_suffix: str) -> str:
    """The account's registry host, the chart's docker_repo_prefix (before and after deploy)."""
    return f"{account}.dkr.ecr.{region}.{dns_suffix}"


def pulled_through(cfg: aws_settings.Registry) -> tuple[str, ...]:
    """Chart keys whose repositories the pull-through cache fills (none without upstream)."""
    return TAGGED_REPOSITORIES if cfg.upstream else ()


def repository_names(cfg: aws_settings.Registry) -> dict[str, str]:
    """Chart launch key -> ECR repository name. Pulled-through repositories sit under the
    cache prefix with the upstream's own path (ECR maps `<prefix>/<upstream path>`)."""
    names: dict[str, str] = {}
    for key, path in INFERENCE_REPOSITORIES.items():
        if cfg.upstream and key in pulled_through(cfg):
            upstream_path = f"{cfg.upstream.path}/" if cfg.upstream.path else ""
            names[key] = f"{cfg.upstream.cache_prefix}/{upstream_path}{path}"
        else:
            names[key] = f"{cfg.path_prefix}{path}"
    return names


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


def puller_policy(cache_repositories_arn: str) -> str:
    """What the kubelet (node role) needs to pull through the cache: ECR creates the
    repository and imports the image on the first pull, as the puller."""
    return policy_document(
        [
            {
                "Sid": "PullThroughCache",
                "Effect": "Allow",
                "Action": ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"],
                "Resource": cache_repositories_arn,
            }
        ]
    )


def unwarmed_frameworks(upstream: aws_settings.Upstream) -> list[str]:
    """Framework repositories under the cache that nothing pulls before the first create."""
    return sorted(set(LLM_FRAMEWORK_REPOSITORIES) - set(upstream.warm))


@dataclass
class RegistryArgs:
    settings: aws_settings.Registry
    kms_key_arn: pulumi.Input[str]
    protect: bool
    # For the pull-through cache: the account's registry host, the ARN pattern of the
    # repositories under the cache prefix, the node role names that pull, and the cluster.
    registry_host: pulumi.Input[str] | None = None
    cache_repositories_arn: pulumi.Input[str] | None = None
    node_role_names: Sequence[pulumi.Input[str]] = ()
    kubernetes_provider: k8s.Provider | None = None
    nodes: Sequence[pulumi.Resource] = ()


class Registry(pulumi.ComponentResource):
    repositories: dict[str, aws.ecr.Repository]
    # Chart launch key -> repository name (an Output where the repository is created here).
    names: Mapping[str, pulumi.Input[str]]
    # What the chart must wait for (the warm-up Job).
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:aws:Registry", name, None, opts)
        cfg = args.settings
        self.repositories = {}
        self.ready = []
        names: dict[str, pulumi.Input[str]] = {}
        for key, repo_name in repository_names(cfg).items():
            if key in pulled_through(cfg):
                names[key] = repo_name
                continue
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
                policy=lifecycle_policy(cfg, key == BUILD_CACHE_KEY),
                opts=child(self),
            )
            self.repositories[key] = repo
            names[key] = repo.name
        self.names = names
        if cfg.upstream is not None:
            self._pull_through(name, cfg, cfg.upstream, args)
        self.register_outputs({"repositories": dict(self.names)})

    def _pull_through(
        self,
        name: str,
        cfg: aws_settings.Registry,
        upstream: aws_settings.Upstream,
        args: RegistryArgs,
    ) -> None:
        rule = aws.ecr.PullThroughCacheRule(
            f"{name}-upstream",
            ecr_repository_prefix=upstream.cache_prefix,
            upstream_registry_url=upstream.upstream_registry_url,
            credential_arn=upstream.credential_arn,
            opts=child(self),
        )
        # Repositories the cache creates get their settings from this template. AES-256
        # rather than the platform key: KMS in a template needs a custom role ECR assumes.
        template = aws.ecr.RepositoryCreationTemplate(
            f"{name}-upstream",
            prefix=upstream.cache_prefix,
            applied_fors=["PULL_THROUGH_CACHE"],
            image_tag_mutability="MUTABLE",
            encryption_configurations=[
                aws.ecr.RepositoryCreationTemplateEncryptionConfigurationArgs(
                    encryption_type="AES256"
                )
            ],
            lifecycle_policy=lifecycle_policy(cfg, build_cache=False),
            description="model-engine images cached from the operator's registry",
            opts=child(self),
        )
        assert args.cache_repositories_arn is not None and args.registry_host is not None
        policies = [
            aws.iam.RolePolicy(
                f"{name}-pull-through-{i}",
                role=role,
                policy=pulumi.Output.from_input(args.cache_repositories_arn).apply(puller_policy),
                opts=child(self),
            )
            for i, role in enumerate(args.node_role_names)
        ]
        names = repository_names(cfg)
        for key in unwarmed_frameworks(upstream):
            self._cache_repository(name, names[key])
        if args.kubernetes_provider is None:
            return
        containers = [
            pull_container(
                f"{key.removesuffix('_repository').replace('_', '-')}-{i}",
                pulumi.Output.concat(args.registry_host, "/", names[key], ":", tag),
            )
            for key, tags in sorted(upstream.warm.items())
            for i, tag in enumerate(tags)
        ]
        job = warm_up_job(
            f"{name}-warm-up",
            containers,
            parent=self,
            provider=args.kubernetes_provider,
            depends_on=[rule, template, *policies, *args.nodes],
            repositories=[key for key, tags in sorted(upstream.warm.items()) for _ in tags],
        )
        self.ready.append(job)

    def _cache_repository(self, name: str, repository: str) -> None:
        """An empty repository under the cache prefix for a framework nothing warms. A cache
        creates its repository only on the first pull, and until then the server's image check
        (core/docker/ecr.py, describe_images) raises RepositoryNotFoundException, which it does
        not catch: the create gets a 500. With the repository here (every repository under
        the prefix is cache-enabled: ECR user guide, "Customizing repository prefixes for
        ECR to ECR pull through cache") the check raises ImageNotFound and the create gets the
        server's 404 "docker image could not be found". Kept on delete: once the operator warms
        the framework, the cache fills this same repository."""
        slug = repository.replace("/", "-").replace(".", "-").replace("_", "-")
        aws.ecr.Repository(
            f"{name}-{slug}",
            name=repository,
            image_tag_mutability="MUTABLE",
            # Cached images are scanned like every other repository's (the policy pack's rule).
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            # As the creation template gives the repositories the cache creates.
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")
            ],
            force_delete=False,
            opts=child(self, retain_on_delete=True),
        )
