"""What a first `pulumi up` on a fresh project hits: the Google APIs are off, and a private
cluster's control plane reaches only 443 and 10250 on the nodes."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from typing import Any

from pulumi.runtime.proto import resource_pb2

from components.gcp.apis import SERVICES
from components.waits import GCP_IAM_PROPAGATION, GCP_IAM_PROPAGATION_WORST
from plan import simulator
from tests.gcp.helpers import CLUSTER, GcpRun, run_gcp
from tests.helpers import set_path

SERVICE = "gcp:projects/service:Service"
FIREWALL = "gcp:compute/firewall:Firewall"
WEBHOOKS = "platform-network-webhooks"


def test_the_apis_the_stack_and_the_server_call_are_enabled_and_kept(prod: GcpRun) -> None:
    enabled = {r.inputs["service"] for r in prod.of_type(SERVICE)}
    # The server's endpoint deletes call Pub/Sub; the rest are the resources' own APIs.
    assert {
        "pubsub.googleapis.com",
        "container.googleapis.com",
        "compute.googleapis.com",
        "sqladmin.googleapis.com",
        "redis.googleapis.com",
        "servicenetworking.googleapis.com",
        "artifactregistry.googleapis.com",
        "storage.googleapis.com",
        "iam.googleapis.com",
        "cloudkms.googleapis.com",
    } <= enabled
    assert len(enabled) == len(SERVICES)
    found = prod.of_type(SERVICE)
    assert found
    for service in found:
        assert service.inputs["disableOnDestroy"] is False, service.name
        assert service.inputs["project"] == "customer-llm-prod"


def test_every_other_cloud_resource_waits_for_the_apis(prod: GcpRun) -> None:
    apis = {r.urn for r in prod.of_type(SERVICE)}
    waiting = [
        r
        for r in prod.run.resources
        if r.custom and r.type.startswith("gcp:") and r.type != SERVICE
    ]
    # Kubernetes objects reach the cluster through its provider, which waits for it.
    waiting.append(prod.one("pulumi:providers:kubernetes", "platform-cluster-k8s"))
    assert len(waiting) > 30
    for resource in waiting:
        assert apis <= prod.upstream(resource), resource.name


def test_control_plane_reaches_the_addon_webhooks_on_the_nodes(prod: GcpRun) -> None:
    rule = prod.one(FIREWALL, WEBHOOKS).inputs
    assert rule["direction"] == "INGRESS"
    # The control plane's /28 (masterIpv4CidrBlock), to the nodes' service account.
    cluster = prod.one(CLUSTER).inputs
    assert rule["sourceRanges"] == [cluster["privateClusterConfig"]["masterIpv4CidrBlock"]]
    assert rule["sourceRanges"] == ["172.16.0.0/28"]
    assert rule["targetServiceAccounts"] == [prod.email("platform-node-identity-account")]
    (allow,) = rule["allows"]
    assert allow["protocol"] == "tcp"
    # istiod's injector, KEDA's and the adapter's metrics APIs, KEDA's and LWS's webhooks.
    assert {"15017", "6443", "9443"} <= set(allow["ports"])
    assert set(allow["ports"]) <= {"15017", "6443", "9443", "10250"}


def test_webhook_ports_follow_the_stack(config: dict) -> None:
    set_path(config, "gcp.cluster.masterCidr", "172.31.255.0/28")
    set_path(config, "addons.lws", {"enabled": False})
    set_path(config, "addons.keda", {"enabled": False})
    set_path(config, "gcp.cluster.version", "1.36")
    run = run_gcp(config)
    rule = run.one(FIREWALL, WEBHOOKS).inputs
    assert rule["sourceRanges"] == ["172.31.255.0/28"]
    (allow,) = rule["allows"]
    assert "9443" not in allow["ports"]
    assert {"15017", "6443"} <= set(allow["ports"])


def test_the_plan_shows_each_guardrail(prod: GcpRun) -> None:
    from plan import platform_notes

    lines = platform_notes.notes(prod.run)
    text = "\n".join(lines)
    assert "APIs enabled first, kept on destroy: " in text and "pubsub" in text
    assert "firewall model-engine-gcp-prod-webhooks: tcp " in text
    assert "15017" in text and "from 172.16.0.0/28 to the nodes" in text
    assert "version 1.35, held by NO_MINOR_UPGRADES" in text
    assert "datapath ADVANCED_DATAPATH; Secrets ENCRYPTED" in text
    assert ":6379 only from keda, kube-system, llm-engine, model-engine" in text
    assert "private services connection: ABANDON on destroy" in text


@contextlib.contextmanager
def _recording_invokes(into: list[tuple[str, list[str]]]) -> Iterator[None]:
    """Every invoke's token and the URNs it was told to wait for. The mock monitor leaves out
    the engine's invoke-dependency feature (the SDK then waits on its own and sends none);
    the engine has it, so the SDK sends the URNs, which are recorded here."""
    original, info = simulator.RecordingMonitor.Invoke, simulator.RecordingMonitor.GetDeploymentInfo

    def invoke(self: Any, request: Any) -> Any:
        into.append((request.tok, list(request.dependsOn)))
        return original(self, request)

    def deployment_info(self: Any, request: Any) -> Any:
        answer = info(self, request)
        answer.supportedFeatures.append(resource_pb2.RESOURCE_MONITOR_FEATURE_INVOKE_DEPENDS_ON)
        return answer

    simulator.RecordingMonitor.Invoke = invoke  # type: ignore[method-assign]
    simulator.RecordingMonitor.GetDeploymentInfo = deployment_info  # type: ignore[method-assign]
    try:
        yield
    finally:
        simulator.RecordingMonitor.Invoke = original  # type: ignore[method-assign]
        simulator.RecordingMonitor.GetDeploymentInfo = info  # type: ignore[method-assign]


def test_every_lookup_waits_for_the_apis(config: dict) -> None:
    """Issue 21: invokes are not resources, so the transformation that makes every resource
    wait for the APIs never reached the project lookups; on a fresh project they ran first."""
    set_path(
        config,
        "gcp.storage.kmsKeyName",
        "projects/customer-llm-prod/locations/us-central1/keyRings/ring/cryptoKeys/bucket",
    )
    invokes: list[tuple[str, list[str]]] = []
    with _recording_invokes(invokes):
        run = run_gcp(config)
    apis = {r.urn for r in run.of_type(SERVICE)}
    lookups = [(tok, deps) for tok, deps in invokes if tok.startswith("gcp:")]
    tokens = {tok for tok, _ in lookups}
    assert {
        "gcp:organizations/getProject:getProject",
        "gcp:storage/getProjectServiceAccount:getProjectServiceAccount",
    } <= tokens
    for tok, deps in lookups:
        assert apis <= set(deps), tok


def test_the_cluster_is_created_after_the_key_grant_has_propagated(config: dict) -> None:
    """Issue 21: GKE checks at creation that its service agent may use the Secrets key, and
    IAM grants take minutes to propagate. The cluster waits for the grant, and its
    before_create hook sleeps until the grant made in the same run is 8 minutes old: IAM's
    documented 7 and a minute of margin (the grant's after_create hook starts that clock;
    components/propagation.py)."""
    hooks: dict[str, dict[str, list[str]]] = {}
    original = simulator.RecordingMonitor.RegisterResource

    def register(self: Any, request: Any) -> Any:
        bound = request.hooks
        hooks[request.name] = {
            "before_create": list(bound.before_create),
            "after_create": list(bound.after_create),
        }
        return original(self, request)

    simulator.RecordingMonitor.RegisterResource = register  # type: ignore[method-assign]
    try:
        run = run_gcp(config)
    finally:
        simulator.RecordingMonitor.RegisterResource = original  # type: ignore[method-assign]
    grant = run.one(
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "platform-cluster-secrets-key-gke"
    )
    cluster = run.one(CLUSTER)
    assert grant.urn in cluster.dependencies
    assert grant.inputs["member"].endswith("@container-engine-robot.iam.gserviceaccount.com")
    (started,) = hooks[grant.name]["after_create"]
    (waits,) = hooks[cluster.name]["before_create"]
    assert started.removesuffix("-granted") == waits.removesuffix("-propagated")
    assert GCP_IAM_PROPAGATION > GCP_IAM_PROPAGATION_WORST >= datetime.timedelta(minutes=7)
