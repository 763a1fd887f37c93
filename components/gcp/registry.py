"""Artifact Registry: one Docker repository; docker_repo_prefix is its
`LOC-docker.pkg.dev/PROJECT/REPO` and each chart repository value an image name under it.

Image names are flat (`batch-infer-vllm`, not `llm-engine/batch-infer-vllm`). The server's
GAR client asks the API for `.../repositories/REPO/packages/<name>/tags/<tag>` with the name
as written; Artifact Registry names a nested image's package with the slash URL-encoded, so
a nested name would be reported missing and every endpoint create refused. A flat name needs
no encoding.

The repository is filled by copying the images (the plan prints each one that must be
there). A remote repository (Docker Hub or another upstream) does not fit: its packages are
the upstream paths, nested by nature (`vllm/vllm-openai`), and it holds a tag only after the
first pull, so the server's existence check fails before anyone pulled.

Public images the add-ons pull from Docker Hub (Istio's proxy on every new GPU node) go
through a second, remote repository instead: Artifact Registry pulls them once from Docker
Hub and serves the cached copy to the nodes (read with the nodes' own identity), so a
scale-up does not hit Docker Hub's anonymous pull limit through Cloud NAT.

The cacher is safe on an empty repository here: GAR's newest-tag lookup turns every error
into DockerRepositoryNotFoundException, which the cacher catches, so it starts and skips
pre-pulling the batch image (unlike ECR, where an empty repository crash-loops it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.gcp import settings as gcp_settings
from components.gcp.common import PART_OF_LABEL, PlacedArgs, child, stateful, trim_name
from components.model_engine.chart_facts import INFERENCE_REPOSITORIES
from components.sdk import lazy

if TYPE_CHECKING:
    from pulumi_gcp import artifactregistry
else:
    artifactregistry = lazy("pulumi_gcp.artifactregistry")

DOCKER_HOST_SUFFIX = "-docker.pkg.dev"
MIRROR_SUFFIX = "dockerhub"
# Cached Docker Hub layers nobody pulled for this long are dropped (Hub still has them).
MIRROR_EXPIRY_DAYS = 30


def mirror_id(repository_id: str) -> str:
    """The remote repository's id: the repository's, suffixed (at most 63 characters)."""
    return f"{trim_name(repository_id, 63 - len(MIRROR_SUFFIX) - 1)}-{MIRROR_SUFFIX}"


def flat(path: str) -> str:
    return path.replace("/", "-")


def repository_names() -> dict[str, str]:
    """Chart launch key -> image name under docker_repo_prefix (the chart's path, flattened)."""
    return {key: flat(path) for key, path in INFERENCE_REPOSITORIES.items()}


def registry_prefix(location: str, project: str, repository_id: str) -> str:
    """What the server parses as LOC-docker.pkg.dev/PROJECT/REPO (gar_docker_repository.py):
    the chart's docker_repo_prefix before deploy; once the repository exists the component
    reads it from the resource (registry_uri)."""
    return f"{location}{DOCKER_HOST_SUFFIX}/{project}/{repository_id}"


@dataclass
class RegistryArgs(PlacedArgs):
    settings: gcp_settings.Registry


class Registry(pulumi.ComponentResource):
    repository: artifactregistry.Repository
    # LOC-docker.pkg.dev/PROJECT/REPO, from the repository itself.
    prefix: pulumi.Output[str]
    names: dict[str, str]
    # The Docker Hub mirror (None when the stack turns it off) and its image prefix.
    mirror: artifactregistry.Repository | None
    docker_hub_mirror: pulumi.Output[str] | None

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:gcp:Registry", name, None, opts)
        cfg = args.settings
        self.repository = artifactregistry.Repository(
            f"{name}-docker",
            repository_id=cfg.repository_id,
            project=args.project,
            location=args.region,
            format="DOCKER",
            mode="STANDARD_REPOSITORY",
            description="model-engine inference images",
            docker_config=artifactregistry.RepositoryDockerConfigArgs(immutable_tags=False),
            cleanup_policies=[
                artifactregistry.RepositoryCleanupPolicyArgs(
                    id="delete-untagged",
                    action="DELETE",
                    condition=artifactregistry.RepositoryCleanupPolicyConditionArgs(
                        tag_state="UNTAGGED",
                        older_than=f"{cfg.untagged_expiry_days * 86400}s",
                    ),
                )
            ],
            cleanup_policy_dry_run=False,
            labels={**PART_OF_LABEL, **args.labels},
            opts=stateful(self, args.protect),
        )
        self.prefix = self.repository.registry_uri
        self.names = repository_names()
        self.mirror = self._mirror(name, args) if cfg.docker_hub_mirror else None
        self.docker_hub_mirror = self.mirror.registry_uri if self.mirror else None
        self.register_outputs({"prefix": self.prefix, "docker_hub_mirror": self.docker_hub_mirror})

    def _mirror(self, name: str, args: RegistryArgs) -> artifactregistry.Repository:
        # A cache: nothing in it is lost with it, so it is neither protected nor retained.
        return artifactregistry.Repository(
            f"{name}-dockerhub",
            repository_id=mirror_id(args.settings.repository_id),
            project=args.project,
            location=args.region,
            format="DOCKER",
            mode="REMOTE_REPOSITORY",
            description="Docker Hub, cached for the cluster's public images",
            remote_repository_config=artifactregistry.RepositoryRemoteRepositoryConfigArgs(
                description="Docker Hub",
                docker_repository=(
                    artifactregistry.RepositoryRemoteRepositoryConfigDockerRepositoryArgs(
                        public_repository="DOCKER_HUB"
                    )
                ),
            ),
            cleanup_policies=[
                artifactregistry.RepositoryCleanupPolicyArgs(
                    id="expire-cached",
                    action="DELETE",
                    condition=artifactregistry.RepositoryCleanupPolicyConditionArgs(
                        tag_state="ANY", older_than=f"{MIRROR_EXPIRY_DAYS * 86400}s"
                    ),
                )
            ],
            cleanup_policy_dry_run=False,
            labels={**PART_OF_LABEL, **args.labels},
            opts=child(self),
        )
