"""The capability rows isolation decides: who the gateway authenticates, and the server
features the endpoint namespace's policies leave running or cut off. Computed from the
Isolation component a run registered (its scope, `enforced`, `enabled`), and appended to the
server's table (components/model_engine/capabilities.py) in the plan and the README.
"""

from __future__ import annotations

from components.isolation import policies as pol
from components.model_engine.capabilities import Capability


def _fenced(enabled: bool, enforced: bool) -> bool:
    return enabled and enforced


def _unfenced_why(enabled: bool) -> str:
    return (
        "isolation.enabled: false: no policy fences the endpoint namespace"
        if not enabled
        else "the cluster's CNI does not enforce NetworkPolicy: nothing cuts it off"
    )


def authentication(scope: pol.Scope) -> Capability:
    feature = "Authentication of API callers"
    server = (
        "the server itself accepts any basic-auth user name as the caller's user id (its fake "
        "authentication repository, api/dependencies.py) and never reads identity_service_url"
    )
    auth = scope.gateway_auth
    if auth is not None and scope.istio:
        return Capability(
            feature,
            "partly",
            f"the gateway's sidecar admits only requests carrying a token of {auth['issuer']} "
            f"(audience {', '.join(auth['audiences'])}) in header {pol.TOKEN_HEADER} "
            "(RequestAuthentication and AuthorizationPolicy on the gateway's pods), and cron "
            f"triggers' pods ({pol.cron_trigger_principal(scope)}) for POST "
            f"{pol.CRON_TRIGGER_PATH} only; behind it {server}: a token holder acts as any user",
            "issue tokens only to callers you trust with every user's endpoints",
        )
    return Capability(
        feature,
        "no",
        f"no isolation.gatewayAuth: {server}, so whoever reaches the gateway's Service or "
        "load balancer acts as any user",
        "set isolation.gatewayAuth {issuer, jwksUri, audiences} (your OIDC issuer; needs "
        "istio.enabled) and keep the gateway internal",
    )


def cron_triggers(scope: pol.Scope, enabled: bool, enforced: bool) -> Capability:
    feature = "Cron triggers"
    if not _fenced(enabled, enforced):
        return Capability(feature, "yes", _unfenced_why(enabled))
    auth = (
        f"; with gatewayAuth their identity is admitted to POST {pol.CRON_TRIGGER_PATH}"
        if scope.gateway_auth is not None and scope.istio
        else ""
    )
    return Capability(
        feature,
        "yes",
        "their pods (launch_trigger_id) reach cluster DNS, istiod and the gateway's port "
        f"{pol.GATEWAY_PORT} only (NetworkPolicy cron-trigger-egress){auth}",
    )


def bundle_batch_jobs(enabled: bool, enforced: bool) -> Capability:
    feature = "Batch jobs from model bundles (/v1/batch-jobs)"
    if not enabled:
        return Capability(feature, "yes", _unfenced_why(enabled))
    # With isolation on, enforced or not, the chart does not create the orchestrator's account
    # in the endpoint namespace (derive.orchestrator_account_in_endpoint_namespace).
    network = (
        "; it also needs the database, Redis and the Kubernetes API but carries only the "
        "labels of user-code batch jobs (jobTemplateLabels), so the default deny cuts it off "
        "and no selector could admit it without admitting user code"
        if enforced
        else ""
    )
    return Capability(
        feature,
        "no",
        "the orchestration job (start_batch_job_orchestration) runs the server's code in the "
        "endpoint namespace as the control plane's account (cluster-admin), which with "
        f"isolation the chart does not create there{network}",
        "use docker-image batch jobs (/v1/docker-image-batch-jobs) and LLM batch completions: "
        "they run with the user-code egress",
    )


def multinode_endpoints(enabled: bool, enforced: bool) -> Capability:
    feature = "Multinode endpoints (LeaderWorkerSet)"
    if not _fenced(enabled, enforced):
        return Capability(feature, "yes", _unfenced_why(enabled))
    return Capability(
        feature,
        "no",
        "each worker joins its leader's Ray head on 6379, then Ray's and NCCL's dynamic ports "
        "(init_ray.sh, llm_model_endpoint_use_cases.py); leader and workers share only "
        "per-endpoint labels (app: <resource name>), which no static NetworkPolicy can pair, "
        "so the default deny cuts them apart like any two endpoints",
        "use single-node endpoints (as many GPUs as one node holds)",
    )


def rows(scope: pol.Scope, enabled: bool, enforced: bool) -> list[Capability]:
    return [
        authentication(scope),
        cron_triggers(scope, enabled, enforced),
        bundle_batch_jobs(enabled, enforced),
        multinode_endpoints(enabled, enforced),
    ]
