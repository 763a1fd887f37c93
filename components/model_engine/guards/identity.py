"""Guards on identities: the ServiceAccounts the chart renders and the API's authentication."""

from __future__ import annotations

from collections.abc import Iterator

from components.model_engine import chart_facts as cf
from components.model_engine.guards import Context, Finding, error, guard, warning
from components.settings_base import PROJECT


@guard
def inference_service_account(ctx: Context) -> Iterator[Finding]:
    if not ctx.get("serviceTemplate.serviceAccountAnnotations"):
        yield error(
            ctx,
            "serviceTemplate.serviceAccountAnnotations",
            "empty: the chart renders the inference ServiceAccount only when this map has "
            "entries, so endpoint pods are refused (serviceaccount not found)",
        )


@guard
def service_account_hooks(ctx: Context) -> Iterator[Finding]:
    for path in ("serviceAccount.annotations", "serviceTemplate.serviceAccountAnnotations"):
        annotations = ctx.get(path) or {}
        for key, value in cf.SERVICE_ACCOUNT_HOOK.items():
            if annotations.get(key) != value:
                yield error(
                    ctx,
                    path,
                    f"needs {key}: {value!r}: the ServiceAccount must exist before the "
                    "migration hook runs (and a non-empty map renders the inference SA)",
                )
    if ctx.infra.get("cloud_provider") == "aws":
        for path in ("serviceAccount.annotations", "serviceTemplate.serviceAccountAnnotations"):
            if cf.IRSA_ROLE_ANNOTATION not in (ctx.get(path) or {}):
                yield error(ctx, path, "needs eks.amazonaws.com/role-arn (IRSA) on AWS")


@guard
def identity_service(ctx: Context) -> Iterator[Finding]:
    if not ctx.infra.get("identity_service_url"):
        yield warning(
            ctx,
            "config.values.infra.identity_service_url",
            "unset: the API accepts any basic-auth user name (no authentication); the pinned "
            "server would not use it either (SKIP_AUTH is computed from it and read nowhere; "
            "every request goes through the fake authentication repository, "
            f"api/dependencies.py): set {PROJECT}:isolation.gatewayAuth and keep the gateway "
            "private",
        )
