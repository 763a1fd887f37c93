"""Guards on the chart's own structure: values it dereferences, keys it must not get, and
values it writes unquoted into labels and env."""

from __future__ import annotations

import re
from collections.abc import Iterator

from components.contract import is_deferred
from components.model_engine import chart_facts as cf
from components.model_engine.guards import Context, Finding, error, guard
from components.settings_base import PROJECT, reads_as_non_string


@guard
def render_prerequisites(ctx: Context) -> Iterator[Finding]:
    for key in cf.REQUIRED_TOP_LEVEL:
        if ctx.get(key) is None:
            yield error(ctx, key, "required: without it the chart fails to render (nil pointer)")


@guard
def forbidden_top_level(ctx: Context) -> Iterator[Finding]:
    for key, why in cf.FORBIDDEN_TOP_LEVEL.items():
        if ctx.has(key):
            yield error(ctx, key, f"must not be set: {why}")


@guard
def string_ids(ctx: Context) -> Iterator[Finding]:
    for path in ("tag", "config.values.infra.ml_account_id", "triton.image.tag"):
        value = ctx.get(path)
        if value is not None and not isinstance(value, str):
            yield error(
                ctx,
                path,
                f"must be a string, got {type(value).__name__} {value!r}: a number renders "
                "as a float (1.1e+11) or loses digits; quote it",
            )
    account = ctx.infra.get("ml_account_id")
    if (
        ctx.infra.get("cloud_provider") == "aws"
        and isinstance(account, str)
        and not is_deferred(account)
        and not re.fullmatch(r"\d{12}", account)
    ):
        yield error(
            ctx,
            "config.values.infra.ml_account_id",
            f"{account!r} is not a 12-digit AWS account id (the ECR registryId)",
        )


@guard
def context_value(ctx: Context) -> Iterator[Finding]:
    if ctx.get("context") == "circleci":
        yield error(ctx, "context", "`circleci` turns on the server's fake clients")


_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


@guard
def label_values(ctx: Context) -> Iterator[Finding]:
    """The chart writes these unquoted into labels and env values."""
    for path in ("tag", "context", "datadog.env"):
        value = ctx.get(path)
        if not isinstance(value, str) or not value:
            continue
        if reads_as_non_string(value):
            yield error(
                ctx,
                path,
                f"{value!r} is rendered unquoted and YAML reads it as a number or boolean, "
                "which Kubernetes rejects as a label or env value; use a value with a letter",
            )
        elif not _LABEL_VALUE.match(value):
            yield error(
                ctx,
                path,
                f"{value!r} is not a valid label value (63 characters of [A-Za-z0-9-_.])",
            )


@guard
def datadog_toggles(ctx: Context) -> Iterator[Finding]:
    top, launch = ctx.get("dd_trace_enabled"), ctx.launch.get("dd_trace_enabled")
    if top != launch:
        yield error(
            ctx,
            "dd_trace_enabled",
            f"is {top!r} but config.values.launch.dd_trace_enabled is {launch!r}: the two must "
            f"be equal; set {PROJECT}:datadog.trace instead of either",
        )
