"""Guards on the `gcp` block (cloud_provider gcp): Workload Identity, Artifact Registry
names and the unauthenticated Memorystore."""

from __future__ import annotations

from collections.abc import Iterator

from components.contract import is_deferred
from components.model_engine import chart_facts as cf
from components.model_engine.guards import Context, Finding, error, guard, warning

GKE_SERVICE_ACCOUNT_ANNOTATION = "iam.gke.io/gcp-service-account"


@guard
def gcp_workload_identity(ctx: Context) -> Iterator[Finding]:
    """The chart annotates both ServiceAccounts from the `gcp` block and sets GCP_PROJECT_ID
    from gcp.project_id; the cacher and gateway raise at start without a project id."""
    if ctx.infra.get("cloud_provider") != "gcp":
        return
    for key, why in (
        ("project_id", "GCP_PROJECT_ID: the gateway and cacher raise at start without it"),
        ("iam_service_account", "the control plane's Google identity (Workload Identity)"),
        ("inference_service_account", "the endpoint pods' Google identity"),
    ):
        value = ctx.get(f"gcp.{key}")
        if not value:
            yield error(ctx, f"gcp.{key}", f"required on GCP: {why}")
    project = ctx.get("gcp.project_id")
    infra_project = ctx.infra.get("gcp_project_id")
    if project and infra_project and project != infra_project and not is_deferred(project):
        yield error(
            ctx,
            "config.values.infra.gcp_project_id",
            f"{infra_project!r} differs from gcp.project_id {project!r}: GCP_PROJECT_ID wins in "
            "the gateway, the service config elsewhere",
        )
    for path in ("serviceAccount.annotations", "serviceTemplate.serviceAccountAnnotations"):
        if GKE_SERVICE_ACCOUNT_ANNOTATION in (ctx.get(path) or {}):
            yield error(
                ctx,
                path,
                f"must not carry {GKE_SERVICE_ACCOUNT_ANNOTATION}: the chart writes it from "
                "gcp.iam_service_account / gcp.inference_service_account, and a second copy is "
                "a duplicate key in the ServiceAccount",
            )


@guard
def gar_image_names(ctx: Context) -> Iterator[Finding]:
    """On Artifact Registry the server looks images up as packages/<name>/tags/<tag> without
    URL-encoding the name: a nested name (a/b) is reported missing."""
    prefix = str(ctx.infra.get("docker_repo_prefix", ""))
    if cf.infra_registry_type(ctx.infra) != "gar" or is_deferred(prefix):
        return
    if len(prefix.split("/")) != 3:
        yield error(
            ctx,
            "config.values.infra.docker_repo_prefix",
            f"{prefix!r} must be LOCATION-docker.pkg.dev/PROJECT/REPOSITORY exactly: the "
            "server's GAR client reads the project and repository from its 2nd and 3rd parts",
        )
    for key in cf.INFERENCE_REPOSITORIES:
        name = ctx.launch.get(key)
        if isinstance(name, str) and "/" in name:
            yield error(
                ctx,
                f"config.values.launch.{key}",
                f"{name!r} is nested: the server's Artifact Registry lookup sends the name "
                "without URL-encoding its '/', so the image is reported missing and endpoint "
                f"creates fail; use a flat name such as {name.replace('/', '-')!r}",
            )


@guard
def gcp_plain_redis(ctx: Context) -> Iterator[Finding]:
    if ctx.infra.get("cloud_provider") != "gcp":
        return
    if not ctx.get("redis.enableAuth") and not ctx.get("redis.enableTLS"):
        yield warning(
            ctx,
            "config.values.infra.redis_host",
            "Redis (broker, results, cache) is used without AUTH and TLS: the pinned server's "
            "forwarders get neither, and KEDA reads a Redis password only from AWS Secrets "
            "Manager; keep the instance on the private network, reachable from the cluster "
            "only",
        )
