"""The isolation objects against the chart as each example stack renders it: the policies
select the pods the server's templates really label, the mesh admits the principals the
rendered Deployments run as, the namespaces' Pod Security level admits the rendered pods,
and the plan's matrix is computed from the policies the run registered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from components.isolation import matrix, netpol, psa
from components.isolation import policies as pol
from plan.cli import ISOLATION, NETWORK_POLICY
from tests.chart.support import StackRender
from tests.conftest import ROOT

POD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")


def _scope(stack: StackRender) -> pol.Scope:
    components = stack.run.of_type(ISOLATION)
    if not components or components[0].inputs.get("enabled") is False:
        pytest.skip(f"{stack.stack}: isolation off")
    return pol.scope_from(components[0].inputs["scope"])


def _policies(stack: StackRender) -> list[dict[str, Any]]:
    return [r.inputs for r in stack.run.of_type(NETWORK_POLICY)]


def _pod_template(body: dict[str, Any]) -> dict[str, Any]:
    spec = body["spec"]
    if body["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]


def _template_pods(stack: StackRender) -> Iterator[tuple[str, dict[str, Any]]]:
    """(ConfigMap key, pod template) of every workload the server creates from the chart's
    service templates."""
    for key, body in stack.service_templates.items():
        if isinstance(body, dict) and body.get("kind") in (*POD_KINDS, "CronJob"):
            yield key, _pod_template(body)
        elif isinstance(body, dict) and body.get("kind") == "LeaderWorkerSet":
            spec = body["spec"]["leaderWorkerTemplate"]
            yield f"{key} leader", spec["leaderTemplate"]
            yield f"{key} worker", spec["workerTemplate"]


def _is_endpoint(key: str) -> bool:
    return key.startswith(("deployment-", "leader-worker-set-"))


def test_endpoint_policies_select_every_endpoint_pod_the_templates_make(
    stack: StackRender,
) -> None:
    scope = _scope(stack)
    ingress = pol.endpoint_ingress(scope)["spec"]["podSelector"]
    egress = pol.user_code_egress(scope)["spec"]["podSelector"]
    endpoints = [(k, t) for k, t in _template_pods(stack) if _is_endpoint(k)]
    assert len(endpoints) >= 10  # cpu/gpu x sync/async/streaming x flavours, LWS
    for key, template in endpoints:
        labels = template["metadata"]["labels"]
        assert netpol.selects(ingress, labels), key
        assert netpol.selects(egress, labels), key


def test_the_broker_rule_selects_the_async_endpoint_pods_and_no_other(stack: StackRender) -> None:
    """Redis (the async forwarders' broker; Memorystore has no AUTH) is for async endpoint
    pods only: not sync or streaming ones, multinode pods or batch jobs."""
    scope = _scope(stack)
    selector = pol.ASYNC_ENDPOINT_SELECTOR
    pods = list(_template_pods(stack))
    is_async = [k for k, _ in pods if k.startswith("deployment-") and "-async-" in k]
    assert len(is_async) >= 2  # cpu and gpu, runnable-image and triton
    for key, template in pods:
        labels = template["metadata"]["labels"]
        assert netpol.selects(selector, labels) is (key in is_async), key
    policy = pol.async_broker_egress(scope)
    assert (policy is not None) is (scope.broker == "redis")
    if policy is not None:
        assert policy["spec"]["podSelector"] == selector
        assert policy in _policies(stack)


def test_job_pods_get_the_user_code_egress_and_no_endpoint_ingress(stack: StackRender) -> None:
    scope = _scope(stack)
    ingress = pol.endpoint_ingress(scope)["spec"]["podSelector"]
    egress = pol.user_code_egress(scope)["spec"]["podSelector"]
    jobs = [(k, t) for k, t in _template_pods(stack) if "job" in k and "cron" not in k]
    assert jobs
    for key, template in jobs:
        labels = template["metadata"]["labels"]
        assert netpol.selects(egress, labels), key
        assert not netpol.selects(ingress, labels), key


def _gateway(stack: StackRender) -> dict[str, Any]:
    [gateway] = [
        o.body
        for o in stack.rendered.of_kind("Deployment")
        if o.template.endswith("gateway_deployment.yaml")
    ]
    return gateway


def test_the_gateway_pods_are_the_admitted_caller(stack: StackRender) -> None:
    scope = _scope(stack)
    gateway = _gateway(stack)
    pod = netpol.Pod(stack.release_namespace, gateway["spec"]["template"]["metadata"]["labels"])
    endpoint = matrix.endpoint_pod(scope)
    assert netpol.allowed(pod, endpoint, pol.FORWARDER_PORT, _policies(stack))
    account = gateway["spec"]["template"]["spec"]["serviceAccountName"]
    assert pol.principal(scope.trust_domain, stack.release_namespace, account) in (
        pol.admitted_principals(scope)
    )


def test_gateway_auth_selects_the_gateway_pods(stack: StackRender) -> None:
    scope = _scope(stack)
    auth = {"issuer": "https://id.example", "jwks_uri": "https://id.example/k", "audiences": ["a"]}
    objects = pol.gateway_auth_policies(pol.Scope(**{**scope.__dict__, "gateway_auth": auth}))
    if not scope.istio:
        assert objects == []
        return
    labels = _gateway(stack)["spec"]["template"]["metadata"]["labels"]
    for obj in objects:
        assert obj["metadata"]["namespace"] == stack.release_namespace
        assert netpol.selects(obj["spec"]["selector"], labels)


def test_endpoint_pods_run_as_an_account_no_binding_names(stack: StackRender) -> None:
    """The inference account has no Kubernetes API rights: the chart's only binding
    (cluster-admin) names the control plane's account."""
    accounts = {
        t["spec"].get("serviceAccount") or t["spec"].get("serviceAccountName")
        for k, t in _template_pods(stack)
        if _is_endpoint(k)
    }
    assert len(accounts) == 1
    bound = {
        (s.get("namespace"), s["name"])
        for kind in ("ClusterRoleBinding", "RoleBinding")
        for o in stack.rendered.of_kind(kind)
        for s in o.body.get("subjects") or []
    }
    [account] = accounts
    assert (stack.endpoint_namespace, account) not in bound


# Kubernetes' built-in user-facing ClusterRoles with write rights (`view` has none); the chart's
# binding names `cluster-admin`.
BUILTIN_WRITE_ROLES = {"cluster-admin", "admin", "edit"}
WRITE_VERBS = {"*", "create", "update", "patch", "delete", "deletecollection", "bind", "escalate"}


def _writes(stack: StackRender, kind: str, name: str) -> bool:
    if kind == "ClusterRole" and name in BUILTIN_WRITE_ROLES:
        return True
    roles = [o for o in stack.rendered.of_kind(kind) if o.name == name]
    # A role the chart does not render and Kubernetes does not ship: assume the worst.
    return not roles or any(
        WRITE_VERBS & set(rule.get("verbs") or []) or "impersonate" in (rule.get("verbs") or [])
        for role in roles
        for rule in role.body.get("rules") or []
    )


def test_no_account_in_the_endpoint_namespace_is_bound_to_write_rights(
    stack: StackRender,
) -> None:
    """With isolation no subject in the namespace user code runs in holds write rights: the
    chart binds cluster-admin to the control plane's account in every namespace it creates it
    in, and the endpoint namespace is not among them (the batch-job orchestrator that ran as it
    there is cut off by the isolation anyway)."""
    _scope(stack)
    ns = stack.endpoint_namespace
    for kind in ("ClusterRoleBinding", "RoleBinding"):
        for o in stack.rendered.of_kind(kind):
            ref = o.body["roleRef"]
            for s in o.body.get("subjects") or []:
                in_ns = (
                    s["kind"] == "ServiceAccount" and s.get("namespace", o.namespace) == ns
                ) or (
                    s["kind"] == "Group"
                    and s["name"] in (f"system:serviceaccounts:{ns}", "system:serviceaccounts")
                )
                assert not (in_ns and _writes(stack, ref["kind"], ref["name"])), (o.name, s)
    # The chart still binds its control plane's account (the check above is not vacuous).
    [binding] = stack.rendered.of_kind("ClusterRoleBinding")
    assert binding.body["roleRef"]["name"] in BUILTIN_WRITE_ROLES
    assert {s["namespace"] for s in binding.body["subjects"]} == {stack.release_namespace}


def test_rendered_pods_pass_baseline(stack: StackRender) -> None:
    """Everything but istio-init (which the injector adds) passes `baseline`: so the
    namespaces enforce it where there is no injection, and warn at it where there is."""
    problems = []
    for kind in POD_KINDS:
        for o in stack.rendered.of_kind(kind):
            problems += [
                f"{o.name}: {v}" for v in psa.baseline_violations(_pod_template(o.body)["spec"])
            ]
    for key, template in _template_pods(stack):
        problems += [f"{key}: {v}" for v in psa.baseline_violations(template["spec"])]
    assert problems == []


def test_namespaces_enforce_the_level_their_pods_pass(stack: StackRender) -> None:
    namespaces = {
        r.inputs["metadata"]["name"]: r.inputs["metadata"].get("labels") or {}
        for r in stack.run.of_type("kubernetes:core/v1:Namespace")
    }
    assert namespaces
    for name, labels in namespaces.items():
        assert labels.get(f"{psa.PREFIX}/enforce") in ("baseline", "privileged"), name
    engine = (stack.release_namespace, stack.endpoint_namespace)
    injected = {namespaces[ns].get("istio-injection") == "enabled" for ns in engine}
    # istio-init adds capabilities `baseline` forbids.
    assert not set(psa.ISTIO_INIT_CAPABILITIES) <= psa.BASELINE_CAPABILITIES
    level = "privileged" if injected == {True} else "baseline"
    for ns in engine:
        assert namespaces[ns][f"{psa.PREFIX}/enforce"] == level


def test_the_matrix_from_the_run_has_no_unexplained_yes(stack: StackRender) -> None:
    scope = _scope(stack)
    enforced = bool(stack.run.of_type(ISOLATION)[0].inputs["enforced"])
    cells = matrix.matrix(scope, enforced, _policies(stack))
    assert all(c.why and matrix.UNEXPLAINED not in c.why for c in cells if c.reachable)
    readme = (ROOT / "README.md").read_text()
    assert matrix.markdown(cells) in readme, "README: refresh the matrices from `python -m plan`"
    # The run's policies and policies.py's agree (the run also holds Valkey's).
    assert [c.by_policy for c in cells] == [
        c.by_policy for c in matrix.matrix(scope, enforced=True)
    ]


def _templates(stack: StackRender, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    return [(k, t) for k, t in _template_pods(stack) if k.startswith(prefix)]


def test_cron_trigger_pods_reach_the_rendered_gateway_as_the_admitted_identity(
    stack: StackRender,
) -> None:
    scope = _scope(stack)
    [(_, template)] = _templates(stack, "cron-trigger")
    labels = template["metadata"]["labels"]
    # Not user code: the user-code egress does not select it, its own policy does.
    assert netpol.selects(pol.cron_trigger_egress(scope)["spec"]["podSelector"], labels)
    assert not netpol.selects(pol.USER_CODE_SELECTOR, labels)
    trigger = netpol.Pod(stack.endpoint_namespace, labels)
    gateway = _gateway(stack)
    pod = netpol.Pod(stack.release_namespace, gateway["spec"]["template"]["metadata"]["labels"])
    [port] = [
        p["containerPort"]
        for c in gateway["spec"]["template"]["spec"]["containers"]
        for p in c.get("ports") or []
        if p.get("name") == "http"
    ]
    assert netpol.allowed(trigger, pod, port, _policies(stack))
    # It names no account: the namespace's default, whose principal gatewayAuth admits.
    spec = template["spec"]
    assert not (spec.get("serviceAccountName") or spec.get("serviceAccount"))
    auth = {"issuer": "https://id.example", "jwks_uri": "https://id.example/k", "audiences": ["a"]}
    objects = pol.gateway_auth_policies(pol.Scope(**{**scope.__dict__, "gateway_auth": auth}))
    if scope.istio:
        rules = objects[1]["spec"]["rules"]
        principal = pol.principal(scope.trust_domain, stack.endpoint_namespace, "default")
        assert any(principal in r["from"][0]["source"].get("principals", []) for r in rules)


def test_the_batch_orchestrator_has_no_label_user_batch_jobs_lack(stack: StackRender) -> None:
    """Why /v1/batch-jobs stops under isolation: the orchestrator (server code that needs the
    database) carries the labels of user-code batch jobs and none of its own, so no selector
    can admit it without admitting user code."""
    [(_, orchestrator)] = _templates(stack, "batch-job-orchestration-job")
    user_jobs = _templates(stack, "docker-image-batch-job-")
    assert user_jobs
    own = set(orchestrator["metadata"]["labels"].items())
    for _, job in user_jobs:
        assert own <= set(job["metadata"]["labels"].items())
    _scope(stack)
    pod = netpol.Pod(stack.endpoint_namespace, orchestrator["metadata"]["labels"])
    # The database (a private address, or the in-cluster one) on its port: denied.
    assert not netpol.allowed(pod, netpol.External("10.20.0.5"), 5432, _policies(stack))


def test_multinode_leaders_and_workers_cannot_reach_each_other(stack: StackRender) -> None:
    """Why multinode endpoints stop under isolation: the worker joins the leader's Ray head
    (6379, then Ray's and NCCL's dynamic ports); both carry only per-endpoint labels
    (app: <resource name>), which no static policy can pair up."""
    pods = _templates(stack, "leader-worker-set-")
    leader = next(t for k, t in pods if k.endswith("leader"))
    worker = next(t for k, t in pods if k.endswith("worker"))
    assert leader["metadata"]["labels"]["role"] == "leader"
    assert worker["metadata"]["labels"]["role"] == "worker"
    ns = stack.endpoint_namespace
    src = netpol.Pod(ns, worker["metadata"]["labels"])
    dst = netpol.Pod(ns, leader["metadata"]["labels"])
    assert not netpol.allowed(src, dst, 6379, _policies(stack))
