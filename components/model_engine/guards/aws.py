"""Guards on the `aws` block (cloud_provider aws): the AWS config file every pod mounts."""

from __future__ import annotations

from collections.abc import Iterator

from components.model_engine import aws_config
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
    # The chart's file names only the control-plane role; the program writes the endpoint
    # namespace's file (components/model_engine/aws_config.py) under the same name.
    namespaces = ctx.get("aws.configMap.namespaces") or []
    release, endpoints = ctx.settings.namespaces.release, ctx.settings.namespaces.endpoints
    if release not in namespaces or endpoints in namespaces:
        yield error(
            ctx,
            "aws.configMap.namespaces",
            f"must list {release!r} and not {endpoints!r}: the program writes the endpoint "
            "namespace's AWS config file (with the inference role's profile) itself",
        )
    if ctx.get("aws.configMap.create") is not True:
        yield error(ctx, "aws.configMap.create", "must be true on AWS")
    if ctx.get("aws.configMap.name") != aws_config.CONFIG_MAP_NAME:
        yield error(
            ctx,
            "aws.configMap.name",
            f"must be {aws_config.CONFIG_MAP_NAME!r}: the endpoint namespace's file has that name",
        )
    if ctx.get("aws.profileName") != aws_config.CONTROL_PLANE_PROFILE:
        yield error(
            ctx,
            "aws.profileName",
            f"must be {aws_config.CONTROL_PLANE_PROFILE!r}: the profile both namespaces' files "
            "give the control-plane role",
        )
    if ctx.infra.get("profile_ml_inference_worker") != aws_config.INFERENCE_PROFILE:
        yield error(
            ctx,
            "config.values.infra.profile_ml_inference_worker",
            f"must be {aws_config.INFERENCE_PROFILE!r}: async forwarders open that profile "
            "explicitly, and any other names a role the inference ServiceAccount cannot assume",
        )


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
