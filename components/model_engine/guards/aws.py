"""Guards on the `aws` block (cloud_provider aws): the AWS config file every pod mounts."""

from __future__ import annotations

from collections.abc import Iterator

from components.model_engine import chart_facts as cf
from components.model_engine.guards import Context, Finding, error, guard


@guard
def aws_config_map(ctx: Context) -> Iterator[Finding]:
    if ctx.infra.get("cloud_provider") != "aws":
        return
    if ctx.get("aws.configMap.mountPath") != cf.AWS_CONFIG_MOUNT_PATH:
        yield error(
            ctx,
            "aws.configMap.mountPath",
            f"must be {cf.AWS_CONFIG_MOUNT_PATH}: without it pods are rejected",
        )
    namespaces = set(ctx.get("aws.configMap.namespaces") or [])
    wanted = {ctx.settings.namespaces.release, ctx.settings.namespaces.endpoints}
    if not wanted <= namespaces:
        yield error(
            ctx,
            "aws.configMap.namespaces",
            f"must list {sorted(wanted)} so the AWS profile reaches every pod",
        )
    if ctx.get("aws.configMap.create") is not True:
        yield error(ctx, "aws.configMap.create", "must be true on AWS")


@guard
def aws_block_off_aws(ctx: Context) -> Iterator[Finding]:
    cloud = ctx.infra.get("cloud_provider")
    if cloud != "aws" and ctx.get("aws"):
        yield error(
            ctx,
            "aws",
            f"must not be set with cloud_provider {cloud!r}: the chart then adds AWS_PROFILE, "
            "an AWS config file and its volumes to every pod",
        )
