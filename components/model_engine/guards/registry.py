"""Guards on image references: inference repositories relative to docker_repo_prefix,
control-plane images in full, and the cacher on registries that cannot list tags."""

from __future__ import annotations

from collections.abc import Iterator

from components.contract import is_deferred
from components.model_engine import chart_facts as cf
from components.model_engine.guards import Context, Finding, error, guard, warning


def _has_registry_host(repo: str) -> bool:
    first = repo.split("/", 1)[0]
    return "/" in repo and ("." in first or ":" in first or first == "localhost")


@guard
def relative_repositories(ctx: Context) -> Iterator[Finding]:
    """Inference repositories are names under docker_repo_prefix; control-plane images are
    pulled by Kubernetes as written, so they are full references."""
    for key in cf.INFERENCE_REPOSITORIES:
        if key not in ctx.launch or is_deferred(ctx.launch[key]):
            continue
        problem = cf.repository_name_problem(ctx.launch[key])
        if problem:
            yield error(
                ctx,
                f"config.values.launch.{key}",
                f"{ctx.launch[key]!r} {problem}; give the name relative to docker_repo_prefix "
                f"({ctx.infra.get('docker_repo_prefix')})",
            )
    for key in (
        "gatewayRepository",
        "builderRepository",
        "forwarderRepository",
    ):
        repo = ctx.get(f"image.{key}")
        if isinstance(repo, str) and not _has_registry_host(repo):
            yield error(ctx, f"image.{key}", f"{repo!r} must be a full repository path")


@guard
def cacher_registry(ctx: Context) -> Iterator[Finding]:
    kind = cf.infra_registry_type(ctx.infra)
    if kind not in cf.NO_LATEST_TAG_REGISTRIES:
        return
    if ctx.get("replicaCount.cacher"):
        yield error(
            ctx,
            "replicaCount.cacher",
            f"must be 0 with registry type {kind!r}: the cacher asks the registry for the newest "
            f"tag of {cf.CACHER_LATEST_TAG_REPOSITORY} on every loop, which raises "
            "NotImplementedError there, so it crash-loops and the install times out",
        )
    else:
        yield warning(
            ctx,
            "replicaCount.cacher",
            f"0: the cacher cannot run with registry type {kind!r} (its newest-tag lookup "
            "raises NotImplementedError); the gateway reads endpoint state from Kubernetes "
            "directly and images are not pre-pulled",
        )
