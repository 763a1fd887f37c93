"""The connectivity matrix against the allow-list, written here from what endpoint pods need
(not from policies.py): per platform, the destinations an endpoint pod may reach."""

from __future__ import annotations

import dataclasses

import pytest

from components.isolation import matrix
from components.isolation import policies as pol

ALWAYS = {"internet (model weights, cloud APIs)", "cluster DNS", "istiod", "object store"}
ALLOW_LIST = {
    # The VPC CNI's policy agent always allows the pod's node IP (aws-network-policy-agent#65).
    "aws": ALWAYS | {"broker (sqs)", "node (kubelet, host-network pods)"},
    "azure": ALWAYS | {"broker (servicebus)"},
    # Memorystore is the Celery broker; Workload Identity needs the metadata server.
    "gcp": ALWAYS | {"broker (Redis)", "cache (Redis)", "cloud metadata (169.254.169.254)"},
    "onprem": ALWAYS | {"broker (Redis)", "cache (Redis)"},
}
BROKER = {"aws": "sqs", "azure": "servicebus", "gcp": "redis", "onprem": "redis"}


def scope(cloud: str, **changes: object) -> pol.Scope:
    base = pol.Scope(
        cloud_provider=cloud,
        release_namespace="model-engine",
        endpoint_namespace="llm-engine",
        istio=True,
        prometheus_namespace="monitoring",
        broker=BROKER[cloud],
        cache_port=6379,
        istiod_namespace="istio-system",
        trust_domain="cluster.local",
        data_namespace="model-engine-data" if cloud == "onprem" else None,
        object_store_port=8333 if cloud == "onprem" else None,
        redis_in_cluster=cloud == "onprem",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("cloud", sorted(ALLOW_LIST))
def test_matrix_is_the_allow_list_with_a_reason_for_every_yes(cloud: str) -> None:
    cells = matrix.matrix(scope(cloud), enforced=True)
    assert {c.destination for c in cells if c.reachable} == ALLOW_LIST[cloud]
    for cell in cells:
        assert (cell.why not in ("", matrix.UNEXPLAINED)) is cell.reachable, cell


@pytest.mark.parametrize("cloud", sorted(ALLOW_LIST))
def test_never_the_database_other_endpoints_or_the_control_plane(cloud: str) -> None:
    reachable = {c.destination: c.reachable for c in matrix.matrix(scope(cloud), enforced=True)}
    for denied in ("database", "another endpoint", "control plane (gateway pod)", "Prometheus"):
        assert reachable[denied] is False, denied
    assert reachable["Kubernetes API (in-cluster Service)"] is False


def test_external_redis_on_an_existing_cluster_is_reached_on_its_port_only() -> None:
    s = scope("onprem", redis_in_cluster=False, data_namespace=None, object_store_port=None)
    cells = {c.destination: c for c in matrix.matrix(s, enforced=True)}
    assert cells["broker (Redis)"].reachable
    assert not cells["database"].reachable  # a private address too, on 5432
    # Your own object store on a private address: only where the stack names it.
    assert not cells["object store"].reachable
    named = dataclasses.replace(s, private_egress=(("10.20.0.0/24", (443,)),))
    cells = {c.destination: c for c in matrix.matrix(named, enforced=True)}
    assert cells["privateEgress 10.20.0.0/24"].reachable
    assert "isolation.privateEgress" in cells["privateEgress 10.20.0.0/24"].why
    assert not cells["database"].reachable


def test_without_istio_no_istiod_and_no_mesh_objects() -> None:
    s = scope("aws", istio=False)
    cells = {c.destination: c.reachable for c in matrix.matrix(s, enforced=True)}
    assert cells["istiod"] is False
    assert pol.mesh_policies(s) == []


def test_not_enforced_says_everything_is_reachable_and_why() -> None:
    cells = matrix.matrix(scope("onprem"), enforced=False)
    assert all(c.reachable for c in cells)
    db = next(c for c in cells if c.destination == "database")
    assert db.by_policy is False and "does not enforce" in db.why


def test_gateway_and_scrapers_reach_endpoints_other_endpoints_do_not() -> None:
    from components.isolation.netpol import Pod, allowed

    s = scope("aws")
    policies = pol.network_policies(s)
    endpoint = matrix.endpoint_pod(s, "end_x")
    gateway = Pod("model-engine", {"app": "model-engine"})
    # The Istio ingress gateway's route to an endpoint would go around the gateway's auth.
    ingress = Pod("default", {"app": "internal-gateway"})
    prometheus = Pod("monitoring", {"app": "prometheus"})
    # The gateway's own egress is not fenced; the endpoint's ingress admits it on 5000 only.
    assert allowed(gateway, endpoint, pol.FORWARDER_PORT, policies)
    assert not allowed(gateway, endpoint, 8080, policies)
    assert not allowed(ingress, endpoint, pol.FORWARDER_PORT, policies)
    assert allowed(prometheus, endpoint, 15020, policies)
    assert not allowed(prometheus, endpoint, pol.FORWARDER_PORT, policies)
    assert not allowed(matrix.endpoint_pod(s, "end_y"), endpoint, pol.FORWARDER_PORT, policies)
    # A batch job (user code, launch_job_id and no endpoint_id) is not an endpoint.
    job = Pod("llm-engine", {pol.USER_CODE_LABEL: "true", "launch_job_id": "j"})
    assert not allowed(gateway, job, pol.FORWARDER_PORT, policies)


def test_mesh_admits_the_gateway_only() -> None:
    peer, authz = pol.mesh_policies(scope("gcp"))
    assert peer["spec"] == {"mtls": {"mode": "STRICT"}}
    [rule] = authz["spec"]["rules"]
    assert rule["from"][0]["source"]["principals"] == [
        "cluster.local/ns/model-engine/sa/model-engine"
    ]


def test_gateway_auth_only_with_an_issuer() -> None:
    assert pol.gateway_auth_policies(scope("aws")) == []
    auth = {
        "issuer": "https://id.example.com",
        "jwks_uri": "https://id.example.com/jwks",
        "audiences": ["me"],
    }
    req, authz = pol.gateway_auth_policies(scope("aws", gateway_auth=auth))
    [rule] = req["spec"]["jwtRules"]
    assert rule["issuer"] == "https://id.example.com" and rule["audiences"] == ["me"]
    token, cron = authz["spec"]["rules"]
    assert token == {"from": [{"source": {"requestPrincipals": ["*"]}}]}
    # Cron triggers' pods (the endpoint namespace's default account) for their one call.
    assert cron["from"] == [{"source": {"principals": ["cluster.local/ns/llm-engine/sa/default"]}}]
    assert cron["to"] == [
        {"operation": {"methods": ["POST"], "paths": ["/v1/docker-image-batch-jobs"]}}
    ]
    assert (
        req["spec"]["selector"]
        == authz["spec"]["selector"]
        == {"matchLabels": {"app": "model-engine"}}
    )


@pytest.mark.parametrize("cloud", sorted(ALLOW_LIST))
def test_only_gke_pods_reach_the_metadata_server(cloud: str) -> None:
    from components.isolation.netpol import External, allowed

    s = scope(cloud)
    policies = pol.network_policies(s)
    pod = matrix.endpoint_pod(s)
    gke = cloud == "gcp"
    assert allowed(pod, External("169.254.169.254"), 80, policies) is gke
    assert allowed(pod, External("169.254.169.252"), 988, policies) is gke
    # Not the rest of the link-local range, nor other ports of the metadata address.
    assert not allowed(pod, External("169.254.169.254"), 8080, policies)
    assert not allowed(pod, External("169.254.170.2"), 80, policies)  # ECS-style credentials


def test_cron_triggers_reach_the_gateway_and_nothing_else() -> None:
    from components.isolation.netpol import External, Pod, allowed

    s = scope("aws")
    policies = pol.network_policies(s)
    trigger = Pod("llm-engine", {"launch_trigger_id": "trig_x", "owner": "u"})
    gateway = Pod("model-engine", {"app": "model-engine"})
    assert allowed(trigger, gateway, 5000, policies)
    assert allowed(
        trigger, Pod("kube-system", {"k8s-app": "kube-dns"}), 53, policies, protocol="UDP"
    )
    assert allowed(trigger, Pod("istio-system", {"app": "istiod"}), 15012, policies)
    assert not allowed(trigger, Pod("model-engine", {"app": "model-engine-cacher"}), 5000, policies)
    assert not allowed(trigger, matrix.endpoint_pod(s), pol.FORWARDER_PORT, policies)
    assert not allowed(trigger, External("52.216.8.10"), 443, policies)
    assert not allowed(trigger, External("10.20.0.5"), 5432, policies)
    # User code carrying the trigger's label too still does not reach the gateway.
    disguised = Pod("llm-engine", {**trigger.labels, pol.USER_CODE_LABEL: "true"})
    assert not allowed(disguised, gateway, 5000, policies)


@pytest.mark.parametrize("cloud", sorted(ALLOW_LIST))
def test_azure_pods_do_not_reach_the_wireserver(cloud: str) -> None:
    """168.63.129.16 is a public address (the internet rule would admit it) that serves the
    Azure VM agent's settings and certificates (80 and 32526)."""
    from components.isolation.netpol import External, allowed

    s = scope(cloud)
    policies = pol.network_policies(s)
    pod = matrix.endpoint_pod(s)
    for port in (80, 443, 32526):
        assert allowed(pod, External("168.63.129.16"), port, policies) is (cloud != "azure")
    # Not a wider hole: its neighbours are internet addresses like any other.
    assert allowed(pod, External("168.63.129.17"), 443, policies)
    rows = {c.destination: c.reachable for c in matrix.matrix(s, enforced=True)}
    if cloud == "azure":
        assert rows["Azure WireServer (168.63.129.16)"] is False
    else:
        assert "Azure WireServer (168.63.129.16)" not in rows


def test_azure_without_private_access_the_matrix_shows_redis_on_the_internet() -> None:
    """Managed Redis's public endpoint is an internet address: the internet rule admits it,
    and the matrix must not say "no" by standing a private address in for it."""
    cells = {c.destination: c for c in matrix.matrix(scope("azure"), enforced=True)}
    assert cells["cache (Redis)"].reachable is False
    cells = {c.destination: c for c in matrix.matrix(scope("azure", cache_public=True), True)}
    assert cells["cache (Redis)"].reachable is True
    assert "privateAccess: false" in cells["cache (Redis)"].why


def test_azure_premium_service_bus_is_reached_on_its_private_endpoint() -> None:
    subnet = "10.60.253.0/24"
    s = scope("azure", broker_private=True, private_egress=((subnet, (443, 5671)),))
    cells = {c.destination: c for c in matrix.matrix(s, enforced=True)}
    assert cells["broker (servicebus)"].reachable is True
    assert "private endpoint" in cells["broker (servicebus)"].why
    # Computed from the policies: without AMQP's port admitted there, the row says so.
    s = scope("azure", broker_private=True, private_egress=((subnet, (443,)),))
    cells = {c.destination: c for c in matrix.matrix(s, enforced=True)}
    assert cells["broker (servicebus)"].reachable is False


def test_only_async_endpoint_pods_reach_the_redis_broker() -> None:
    from components.isolation.netpol import External, Pod, allowed

    s = scope("gcp")
    policies = pol.network_policies(s)
    redis = External("10.20.0.5")
    assert allowed(matrix.async_endpoint_pod(s), redis, 6379, policies)
    assert not allowed(matrix.endpoint_pod(s), redis, 6379, policies)  # sync, streaming
    job = Pod("llm-engine", {pol.USER_CODE_LABEL: "true", "launch_job_id": "job_x"})
    assert not allowed(job, redis, 6379, policies)
    job = Pod("llm-engine", {**job.labels, "sidecar.istio.io/inject": "false"})
    assert not allowed(job, redis, 6379, policies)
    leader = Pod("llm-engine", {**matrix.async_endpoint_pod(s).labels, "role": "leader"})
    assert not allowed(leader, redis, 6379, policies)


@pytest.mark.parametrize("cloud", sorted(ALLOW_LIST))
def test_the_node_is_denied_by_the_policies_and_reachable_only_through_the_eks_agent(
    cloud: str,
) -> None:
    [node] = [
        c for c in matrix.matrix(scope(cloud), enforced=True) if c.destination.startswith("node")
    ]
    assert node.by_policy is False
    assert node.reachable is (cloud == "aws")
    assert ("always allows the pod's node IP" in node.why) is (cloud == "aws")
