"""The `local` example: a cluster and nothing else, every backing service installed in it.

Where each chart value comes from when the program installs the service, what the chart
waits for, what is protected, and the stack files that must be refused.
"""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pytest

from components.model_engine import capabilities
from plan.simulator import ProgramRun, RecordedResource, run_program
from tests.conftest import stack_file
from tests.helpers import KEY, delete_path, set_path

DATA_NS = "model-engine-data"
SVC = f"{DATA_NS}.svc"


@pytest.fixture(scope="module")
def local() -> ProgramRun:
    return run_program(stack_file("local"), stack="local")


@pytest.fixture
def local_config() -> dict[str, Any]:
    return copy.deepcopy(stack_file("local"))


def infra(run: ProgramRun) -> dict[str, Any]:
    return run.values["config"]["values"]["infra"]


def descends_from(run: ProgramRun, r: RecordedResource, component_type: str) -> bool:
    by_urn = {x.urn: x for x in run.resources}
    owner = by_urn.get(r.parent or "")
    while owner is not None:
        if owner.type == component_type:
            return True
        owner = by_urn.get(owner.parent or "")
    return False


COMPONENTS = [
    "model-engine-infra:incluster:Postgres",
    "model-engine-infra:incluster:Valkey",
    "model-engine-infra:incluster:ObjectStore",
    "model-engine-infra:incluster:InClusterRegistry",
]


# --- where each value comes from ---------------------------------------------------------


def test_the_stack_needs_no_config_secret() -> None:
    config = stack_file("local")
    assert not [k for k, v in config.items() if isinstance(v, dict) and "secure" in v]


def test_database_url_is_the_generated_owner_on_the_primarys_service(local: ProgramRun) -> None:
    secret = local.one("kubernetes:core/v1:Secret", "model-engine-database-release")
    assert secret.secret_inputs == ["stringData"]
    url = secret.inputs["stringData"]["database_url"]
    # The owner's password is the generated one (letters and digits: no escaping needed).
    password = next(
        r
        for r in local.of_type("random:index/randomPassword:RandomPassword")
        if descends_from(local, r, "model-engine-infra:incluster:Postgres")
    )
    assert password.inputs["special"] is False
    assert url.startswith("postgresql://llm_engine:%3Cafter-deploy")
    assert password.name in url
    assert url.endswith(f"-rw.{SVC}:5432/llm_engine?sslmode=require"), url


def test_redis_and_celery_point_at_valkey_in_the_data_namespace(local: ProgramRun) -> None:
    host = infra(local)["redis_host"]
    assert host.endswith(f".{SVC}")
    assert local.values["redisHost"] == host
    assert local.values["celeryResultBackend"] == f"redis://{host}:6379/4"
    launch = local.values["config"]["values"]["launch"]
    assert launch["cache_redis_onprem_url"] == f"redis://{host}:6379/15"


def test_object_store_endpoint_and_bucket(local: ProgramRun) -> None:
    endpoint = local.values["s3EndpointUrl"]
    assert endpoint.startswith("http://") and f".{SVC}:" in endpoint
    assert infra(local)["s3_bucket"] == "model-engine"


def test_storage_keys_are_the_stores_generated_keys_in_a_secret(local: ProgramRun) -> None:
    for name in ("model-engine-platform-env-release", "model-engine-platform-env-endpoints"):
        env = local.one("kubernetes:core/v1:Secret", name)
        assert env.secret_inputs == ["stringData"]
        keys = env.inputs["stringData"]
        assert set(keys) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
        found2 = keys.values()
        assert found2
        for value in found2:
            source = next(
                r for r in local.resources if r.name in value and r.type.startswith("random:")
            )
            assert descends_from(local, source, "model-engine-infra:incluster:ObjectStore")
    # No key, password or token in the chart values.
    assert "after-deploy random" not in str(local.values)


def test_registry_is_onprem_with_no_cacher(local: ProgramRun) -> None:
    assert infra(local)["docker_registry_type"] == "onprem"
    assert local.values["replicaCount"]["cacher"] == 0


@pytest.mark.parametrize("component", COMPONENTS)
def test_chart_waits_for_each_installed_service(local: ProgramRun, component: str) -> None:
    waits_for = [local.by_urn(u) for u in local.release.dependencies]
    assert any(descends_from(local, r, component) for r in waits_for), component


def test_addons_do_not_wait_for_the_data_services(local: ProgramRun) -> None:
    """Istio, KEDA and Prometheus install while the database comes up."""
    found = local.of_type("kubernetes:helm.sh/v3:Release")
    assert found
    for release in found:
        if release.name.startswith("addons-"):
            deps = [local.by_urn(u) for u in release.dependencies]
            assert not any(descends_from(local, d, c) for d in deps for c in COMPONENTS), (
                release.name
            )


def test_data_namespace_is_created_and_protected_when_the_stack_protects(
    local_config: dict[str, Any],
) -> None:
    set_path(local_config, "protect", True)
    run = run_program(local_config, stack="local")
    ns = [
        r
        for r in run.of_type("kubernetes:core/v1:Namespace")
        if r.inputs["metadata"]["name"] == DATA_NS
    ]
    assert len(ns) == 1 and ns[0].protect


def test_no_gpu_pool_means_no_nvidia_addon_and_the_plan_says_cpu_only(
    local: ProgramRun,
) -> None:
    assert not [r.name for r in local.resources if "nvidia" in r.name]
    rows = {r.feature: r.works for r in capabilities.capabilities(local.values)}
    assert rows["Sync and streaming LLM endpoints"] == "no"
    assert rows["CPU endpoints (your own image)"] == "yes"
    assert capabilities.must_hold_images(local.values) == []
    # The installed store's host is cluster-internal (<service>.<namespace>.svc): clients
    # outside the cluster cannot follow the URLs the server signs.
    assert rows["Download URLs (Files API, model download)"] == "no"


def test_redis_clients_are_the_namespaces_that_connect(local: ProgramRun) -> None:
    """The control plane, the endpoint pods' forwarders and KEDA's scaler; no one else."""
    policies = local.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    allowed: set[str] = set()
    for p in policies:
        for rule in p.inputs["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                labels = (peer.get("namespaceSelector") or {}).get("matchExpressions") or []
                for expr in labels:
                    allowed.update(expr.get("values", []))
                match = (peer.get("namespaceSelector") or {}).get("matchLabels") or {}
                if "kubernetes.io/metadata.name" in match:
                    allowed.add(match["kubernetes.io/metadata.name"])
    assert {"model-engine", "llm-engine", "keda"} <= allowed, allowed


# --- an installed service next to an operator's own ----------------------------------------


def test_an_external_database_with_everything_else_installed(
    local_config: dict[str, Any],
) -> None:
    set_path(
        local_config,
        "existing.database",
        {"host": "pg.acme.internal", "user": "model_engine"},
    )
    set_path(local_config, "databasePassword", {"secure": "v1:x"})
    run = run_program(local_config, stack="local")
    assert not [r for r in run.resources if r.type.endswith(":incluster:Postgres")]
    assert run.values["config"]["values"]["infra"]["redis_host"].endswith(SVC)


# --- stack files that must be refused -------------------------------------------------------

Edit = Any


def _set(path: str, value: Any) -> Edit:
    return lambda c: set_path(c, path, value)


def _both(*edits: Edit) -> Edit:
    def apply(c: dict[str, Any]) -> None:
        for e in edits:
            e(c)

    return apply


BAD: list[tuple[str, Edit, str, str]] = [
    (
        "database-install-and-host",
        _set("existing.database.host", "pg.acme.internal"),
        "existing.database",
        "must not be set",
    ),
    (
        "database-neither",
        _set("existing.database", {"name": "llm"}),
        "existing.database",
        "install: {}",
    ),
    (
        "redis-install-and-host",
        _set("existing.redis.host", "redis.acme.internal"),
        "existing.redis",
        "must not be set",
    ),
    (
        "storage-install-and-endpoint",
        _set("existing.objectStorage.endpointUrl", "https://s3.acme.internal"),
        "existing.objectStorage",
        "must not be set",
    ),
    (
        "registry-both",
        _set("existing.registryPrefix", "harbor.acme.internal/ml"),
        "existing",
        "exactly one of registryPrefix",
    ),
    (
        "registry-neither",
        lambda c: delete_path(c, "existing.registry"),
        "existing",
        "exactly one of registryPrefix",
    ),
    (
        "data-namespace",
        _set("existing.dataNamespace", "Data NS"),
        "existing.dataNamespace",
        "Kubernetes name",
    ),
    (
        "password-for-generated-database",
        _set("databasePassword", {"secure": "v1:x"}),
        "databasePassword",
        "generates",
    ),
    (
        "backups-to-your-store-without-keys",
        _both(
            _set("existing.objectStorage", {"bucket": "ml-data", "endpointUrl": "https://s3.acme"}),
            _set("existing.database.install", {"backups": {}}),
        ),
        "objectStorageAccessKeyId",
        "backs up to your object storage",
    ),
    (
        "keys-for-generated-store",
        _both(
            _set("objectStorageAccessKeyId", {"secure": "v1:x"}),
            _set("objectStorageSecretAccessKey", {"secure": "v1:x"}),
        ),
        "objectStorageAccessKeyId",
        "generates",
    ),
]


@pytest.mark.parametrize(("edit", "key", "words"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_local_stack_is_rejected_before_any_resource(
    local_config: dict[str, Any], edit: Edit, key: str, words: str
) -> None:
    edit(local_config)
    registered: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as failure:
        run_program(local_config, stack="local", recorded=registered)
    message = str(failure.value)
    assert KEY + key in message, message
    assert words in message, message
    assert registered == []


@pytest.mark.parametrize("protect", [True, False])
def test_the_stacks_protect_reaches_every_stateful_in_cluster_resource(
    local_config: dict[str, Any], protect: bool
) -> None:
    """`protect: false` must let `pulumi destroy` finish: no installed service may keep its
    own protection; `protect: true` keeps every one of them."""
    set_path(local_config, "protect", protect)
    run = run_program(local_config, stack="local")
    stateful = [
        run.one("kubernetes:postgresql.cnpg.io/v1:Cluster"),
        *(
            r
            for r in run.of_type("kubernetes:helm.sh/v3:Release")
            if descends_from(run, r, "model-engine-infra:incluster:Valkey")
            or descends_from(run, r, "model-engine-infra:incluster:ObjectStore")
        ),
        *run.of_type("kubernetes:core/v1:PersistentVolumeClaim"),
    ]
    assert len(stateful) >= 4
    assert {r.name: r.protect for r in stateful} == {r.name: protect for r in stateful}


def test_a_restore_onto_its_own_archive_is_refused_naming_the_key(
    local_config: dict[str, Any],
) -> None:
    set_path(local_config, "existing.database.install.backups", {})
    set_path(local_config, "existing.database.install.restore", {})
    registered: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as failure:
        run_program(local_config, stack="local", recorded=registered)
    message = str(failure.value)
    assert f"{KEY}existing.database.install: " in message, message
    assert "set backups.path to a new folder" in message
    assert registered == []


def test_a_restore_reaches_the_cluster_the_local_stack_installs(
    local_config: dict[str, Any],
) -> None:
    set_path(local_config, "existing.database.install.backups", {"path": "pg-restored"})
    set_path(local_config, "existing.database.install.restore", {"path": "pg"})
    run = run_program(local_config, stack="local")
    spec = run.one("kubernetes:postgresql.cnpg.io/v1:Cluster").inputs["spec"]
    assert spec["bootstrap"]["recovery"]["source"] == spec["externalClusters"][0]["name"]


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def test_addresses_leave_out_the_cluster_domain(local: ProgramRun) -> None:
    """Issue 18 item 10: `cluster.local` is only the default cluster domain; a Service is
    `<service>.<namespace>.svc` on any cluster (the pods' DNS search list completes it)."""
    given = [
        s
        for r in local.resources
        if r.type.startswith("kubernetes:")
        for s in _strings(r.inputs)
        if f".{SVC}" in s
    ]
    # The server's config, the chart's env and the backups all name the data namespace.
    assert len(given) > 3, given
    assert not [s for s in given if "cluster.local" in s]
    values = _strings(local.values)
    assert not [s for s in values if ".svc.cluster.local" in s]
    assert any(f".{SVC}:" in s or s.endswith(f".{SVC}") for s in values)
