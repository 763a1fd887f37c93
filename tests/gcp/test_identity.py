"""Workload Identity binds exactly the ServiceAccounts that use each Google service account,
and IAM is scoped to the bucket, the repository or (Pub/Sub delete only) a custom role."""

from __future__ import annotations

from components.model_engine import chart_facts as cf
from tests.gcp.helpers import BUCKET, PROJECT_ID, REPOSITORY, GcpRun

WI = "gcp:serviceaccount/iAMMember:IAMMember"
PROJECT_IAM = "gcp:projects/iAMMember:IAMMember"
BUCKET_IAM = "gcp:storage/bucketIAMMember:BucketIAMMember"
REPO_IAM = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"
ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"


def _sa(run: GcpRun, name: str) -> str:
    return f"serviceAccount:{run.email(name)}"


def test_workload_identity_binds_exactly_the_chart_service_accounts(prod: GcpRun) -> None:
    control = prod.one("gcp:serviceaccount/account:Account", "platform-identity-control-plane")
    inference = prod.one("gcp:serviceaccount/account:Account", "platform-identity-inference")
    bindings = {
        (r.inputs["serviceAccountId"], r.inputs["member"], r.inputs["role"])
        for r in prod.of_type(WI)
    }
    pool = f"{PROJECT_ID}.svc.id.goog"
    # The chart's accounts: the control plane's in the release namespace, and the inference
    # pods' own (serviceTemplate.serviceAccountName) in the endpoint namespace. With
    # isolation on (gcp-prod), the control plane's account is not created in the endpoint
    # namespace (serviceAccount.namespaces), so no Google identity trusts one there.
    values = prod.values
    inference_ksa = values["serviceTemplate"]["serviceAccountName"]
    assert inference_ksa != cf.CONTROL_PLANE_SERVICE_ACCOUNT
    assert values["serviceAccount"]["namespaces"] == []
    user = "roles/iam.workloadIdentityUser"
    assert bindings == {
        (
            control.state["name"],
            f"serviceAccount:{pool}[model-engine/{cf.CONTROL_PLANE_SERVICE_ACCOUNT}]",
            user,
        ),
        (inference.state["name"], f"serviceAccount:{pool}[llm-engine/{inference_ksa}]", user),
    }
    # The identity pool exists once the cluster does: the bindings wait for it.
    cluster = prod.one("gcp:container/cluster:Cluster")
    assert cluster.inputs["workloadIdentityConfig"]["workloadPool"] == pool
    found = prod.of_type(WI)
    assert found
    for binding in found:
        assert cluster.urn in binding.dependencies


def test_bindings_follow_the_namespaces(config: dict) -> None:
    from tests.gcp.helpers import run_gcp
    from tests.helpers import set_path

    set_path(config, "namespaces", {"release": "me-control", "endpoints": "me-endpoints"})
    members = {r.inputs["member"] for r in run_gcp(config).of_type(WI)}
    assert members == {
        f"serviceAccount:{PROJECT_ID}.svc.id.goog[me-control/model-engine]",
        f"serviceAccount:{PROJECT_ID}.svc.id.goog[me-endpoints/model-engine-inference]",
    }
    # Without isolation the chart also creates the control plane's account in the endpoint
    # namespace (batch-job orchestration), and only then does Google trust it there.
    set_path(config, "isolation", {"enabled": False, "disabledBecause": "a test"})
    members = {r.inputs["member"] for r in run_gcp(config).of_type(WI)}
    assert f"serviceAccount:{PROJECT_ID}.svc.id.goog[me-endpoints/model-engine]" in members


def test_bucket_access_is_scoped_to_the_bucket(prod: GcpRun) -> None:
    bucket = prod.state(BUCKET, "platform-storage-bucket", "name")
    grants = {
        (r.inputs["bucket"], r.inputs["role"], r.inputs["member"]) for r in prod.of_type(BUCKET_IAM)
    }
    assert grants == {
        (bucket, "roles/storage.objectAdmin", _sa(prod, "platform-identity-control-plane")),
        (bucket, "roles/storage.objectViewer", _sa(prod, "platform-identity-inference")),
    }


def test_registry_read_is_scoped_to_the_repository_and_the_mirror(prod: GcpRun) -> None:
    repo = prod.one(REPOSITORY, "platform-registry-docker")
    mirror = prod.one(REPOSITORY, "platform-registry-dockerhub")
    grants = {
        (r.inputs["repository"], r.inputs["location"], r.inputs["role"], r.inputs["member"])
        for r in prod.of_type(REPO_IAM)
    }
    assert grants == {
        # The kubelet pulls Istio's images through the Docker Hub mirror.
        (
            mirror.state["name"],
            "us-central1",
            "roles/artifactregistry.reader",
            _sa(prod, "platform-node-identity-account"),
        ),
        (
            repo.state["name"],
            "us-central1",
            "roles/artifactregistry.reader",
            _sa(prod, "platform-identity-control-plane"),
        ),
        (
            repo.state["name"],
            "us-central1",
            "roles/artifactregistry.reader",
            _sa(prod, "platform-node-identity-account"),
        ),
    }


def test_project_roles_are_only_node_telemetry_and_queue_cleanup(prod: GcpRun) -> None:
    role = prod.one(ROLE)
    assert sorted(role.inputs["permissions"]) == [
        "pubsub.subscriptions.delete",
        "pubsub.topics.delete",
    ]
    grants = {(r.inputs["role"], r.inputs["member"]) for r in prod.of_type(PROJECT_IAM)}
    node = _sa(prod, "platform-node-identity-account")
    assert grants == {
        # GKE's minimal node role, not the legacy logWriter/metricWriter/viewer trio.
        ("roles/container.defaultNodeServiceAccount", node),
        (role.state["name"], _sa(prod, "platform-identity-control-plane")),
    }
    # No broad role anywhere: no editor/owner, no project-wide storage, registry or Pub/Sub.
    assert not any(
        r.startswith(("roles/editor", "roles/owner", "roles/storage", "roles/artifactregistry"))
        or r.startswith("roles/pubsub")
        for r, _ in grants
    )


def test_inference_identity_gets_nothing_but_bucket_read(prod: GcpRun) -> None:
    inference = _sa(prod, "platform-identity-inference")
    granted = [
        r.inputs["role"]
        for t in (PROJECT_IAM, BUCKET_IAM, REPO_IAM)
        for r in prod.of_type(t)
        if r.inputs["member"] == inference
    ]
    assert granted == ["roles/storage.objectViewer"]


def test_nodes_run_as_their_own_service_account(prod: GcpRun) -> None:
    node = prod.email("platform-node-identity-account")
    pools = prod.of_type("gcp:container/nodePool:NodePool")
    assert len(pools) == 4
    for pool in pools:
        assert pool.inputs["nodeConfig"]["serviceAccount"] == node
        assert pool.inputs["nodeConfig"]["workloadMetadataConfig"]["mode"] == "GKE_METADATA"
    cluster = prod.one("gcp:container/cluster:Cluster")
    assert cluster.inputs["nodeConfig"]["serviceAccount"] == node


def test_queue_cleanup_is_unconditional_because_pubsub_ignores_resource_names(
    prod: GcpRun,
) -> None:
    """IAM Conditions on resource.name are not evaluated for pubsub.googleapis.com (only
    pubsublite is listed among the services with resource attributes): a name-prefix
    condition would never match and every endpoint delete would fail. The grant is narrowed
    by its permissions instead: the two deletes the server calls."""
    (grant,) = [
        r for r in prod.of_type(PROJECT_IAM) if r.inputs["role"] == prod.one(ROLE).state["name"]
    ]
    assert "condition" not in grant.inputs
    assert sorted(prod.one(ROLE).inputs["permissions"]) == [
        "pubsub.subscriptions.delete",
        "pubsub.topics.delete",
    ]
