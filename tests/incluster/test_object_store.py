"""The in-cluster object store (SeaweedFS), run against the simulated cloud.

What the lead relies on: the release is the pinned chart on the given provider, the key
pair is generated, secret, and reaches the chart only as a Secret's name, the bucket is
created by the chart's hook, the address function names the store's S3 Service, and a bad
stack block fails with a message that says what to change.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pydantic import ValidationError

from components.addons import versions
from components.incluster.object_store import (
    ObjectStore,
    ObjectStoreArgs,
    ObjectStoreInstall,
    endpoint_url,
    identities_config,
)
from plan.simulator import ProgramRun, RecordedResource, run_program

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
PASSWORD = "random:index/randomPassword:RandomPassword"
COMPONENT = "model-engine-infra:incluster:ObjectStore"
NAMESPACE = "data"


def run(settings: ObjectStoreInstall | None = None, **args: Any) -> tuple[ProgramRun, dict]:
    """The component as the platform builds it: a provider, the data namespace it waits for."""
    seen: dict[str, Any] = {}

    def program() -> None:
        provider = k8s.Provider("k8s")
        ns = k8s.core.v1.Namespace(
            "data-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAMESPACE),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        store = ObjectStore(
            "store",
            ObjectStoreArgs(
                settings=settings or ObjectStoreInstall(),
                namespace=NAMESPACE,
                provider=provider,
                depends_on=[ns],
                **args,
            ),
        )
        seen["store"] = store
        seen["ready"] = list(store.ready)
        # A probe that consumes the exposed Outputs: its inputs arrive marked secret or not.
        k8s.core.v1.ConfigMap(
            "probe",
            data={"id": store.access_key_id, "key": store.secret_access_key},
            opts=pulumi.ResourceOptions(provider=provider),
        )

    return run_program({}, program=program), seen


@pytest.fixture(scope="module")
def default() -> tuple[ProgramRun, dict]:
    return run()


def release(r: ProgramRun) -> RecordedResource:
    return r.one(RELEASE, "store-release")


def values(r: ProgramRun) -> dict[str, Any]:
    return release(r).inputs["values"]


def test_release_is_the_pinned_chart_on_the_given_provider(
    default: tuple[ProgramRun, dict],
) -> None:
    r, _ = default
    rel = release(r)
    pin = versions.CHARTS["seaweedfs"]
    assert rel.inputs["chart"] == "seaweedfs"
    assert rel.inputs["version"] == pin.version
    assert rel.inputs["repositoryOpts"]["repo"] == "https://seaweedfs.github.io/seaweedfs/helm"
    assert rel.inputs["namespace"] == NAMESPACE
    assert rel.inputs["atomic"] is True
    provider = r.one("pulumi:providers:kubernetes", "k8s")
    assert rel.provider is not None and rel.provider.startswith(provider.urn)
    assert rel.parent == r.one(COMPONENT, "store").urn
    # The release waits for the namespace and for the Secret it names.
    deps = {r.by_urn(u).name for u in rel.dependencies}
    assert {"data-ns", "store-credentials"} <= deps


def test_keys_are_generated_letters_and_digits_and_secret(default: tuple[ProgramRun, dict]) -> None:
    r, _ = default
    lengths = {}
    for name in ("store-access-key-id", "store-secret-access-key"):
        pw = r.one(PASSWORD, name)
        assert pw.inputs["special"] is False  # letters and digits only
        assert pw.inputs.get("upper", True) and pw.inputs.get("numeric", True)
        lengths[name] = pw.inputs["length"]
    assert lengths == {"store-access-key-id": 20, "store-secret-access-key": 40}
    assert r.one("kubernetes:core/v1:ConfigMap", "probe").secret_inputs == ["data.id", "data.key"]


def test_keys_live_only_in_the_secret_the_chart_names(default: tuple[ProgramRun, dict]) -> None:
    r, _ = default
    secret = r.one(SECRET, "store-credentials")
    assert secret.inputs["metadata"] == {"name": "seaweedfs-s3-credentials", "namespace": NAMESPACE}
    assert secret.secret_inputs == ["stringData"]
    data = secret.inputs["stringData"]
    # boto3 and s5cmd read these names from the environment.
    key_id, secret_key = data["AWS_ACCESS_KEY_ID"], data["AWS_SECRET_ACCESS_KEY"]
    assert "store-access-key-id.result" in key_id
    assert "store-secret-access-key.result" in secret_key
    # The identities file the gateway reads holds references, not keys.
    config = json.loads(data["seaweedfs_s3_config"])
    (identity,) = config["identities"]
    assert identity["credentials"] == [
        {
            "accessKey": "${SEAWEEDFS_S3_ADMIN_ACCESS_KEY_ID}",
            "secretKey": "${SEAWEEDFS_S3_ADMIN_SECRET_ACCESS_KEY}",
        }
    ]
    v = values(r)
    assert v["allInOne"]["s3"]["existingConfigSecret"] == "seaweedfs-s3-credentials"
    assert v["s3"]["credentials"]["admin"] == {
        "existingSecret": "seaweedfs-s3-credentials",
        "accessKeyKey": "AWS_ACCESS_KEY_ID",
        "secretKeyKey": "AWS_SECRET_ACCESS_KEY",
    }
    text = json.dumps(release(r).inputs)
    assert "randomPassword" not in text and "RandomPassword" not in text


def test_identity_may_touch_objects_of_its_buckets_only() -> None:
    config = json.loads(identities_config(["model-engine", "weights"]))
    (identity,) = config["identities"]
    assert sorted(identity["actions"]) == sorted(
        f"{a}:{b}"
        for a in ("Read", "Write", "List", "Tagging")
        for b in ("model-engine", "weights")
    )
    assert not any(a.startswith("Admin") for a in identity["actions"])
    # No anonymous identity: unsigned requests are refused.
    assert [i["name"] for i in config["identities"]] == ["model-engine"]


def test_bucket_is_created_by_the_chart_hook(default: tuple[ProgramRun, dict]) -> None:
    r, seen = default
    s3 = values(r)["allInOne"]["s3"]
    assert s3["enabled"] is True and s3["enableAuth"] is True
    assert s3["createBuckets"] == [{"name": "model-engine", "anonymousRead": False}]
    assert seen["store"].bucket == "model-engine"
    # The model-engine chart waits for the release, which completes after the hook.
    assert [x for x in seen["ready"]] == [seen["store"].release]


def test_extra_buckets_are_created_and_granted() -> None:
    r, _ = run(ObjectStoreInstall(bucket="llm", extra_buckets=["weights"]))
    assert [b["name"] for b in values(r)["allInOne"]["s3"]["createBuckets"]] == ["llm", "weights"]
    config = json.loads(
        r.one(SECRET, "store-credentials").inputs["stringData"]["seaweedfs_s3_config"]
    )
    assert "Write:weights" in config["identities"][0]["actions"]


def test_storage_defaults_fit_kind_and_are_kept(default: tuple[ProgramRun, dict]) -> None:
    r, _ = default
    data = values(r)["allInOne"]["data"]
    assert data == {
        "type": "persistentVolumeClaim",
        "size": "20Gi",
        "annotations": {"helm.sh/resource-policy": "keep"},
    }  # no storageClass: the cluster's default
    assert release(r).protect is True
    assert values(r)["allInOne"]["replicas"] == 1


def test_storage_class_size_and_resources_come_from_the_stack_block() -> None:
    settings = ObjectStoreInstall.model_validate(
        {
            "storageSize": "100Gi",
            "storageClass": "fast-ssd",
            "resources": {"requests": {"cpu": 0.5, "memory": "1Gi"}, "limits": {"memory": "4Gi"}},
        }
    )
    r, _ = run(settings, protect=False)
    aio = values(r)["allInOne"]
    assert aio["data"] == {
        "type": "persistentVolumeClaim",
        "size": "100Gi",
        "storageClass": "fast-ssd",
    }
    assert aio["resources"] == {
        "requests": {"cpu": "0.5", "memory": "1Gi"},
        "limits": {"memory": "4Gi"},
    }
    assert release(r).protect is False


def test_standalone_components_are_off_and_network_policy_on(
    default: tuple[ProgramRun, dict],
) -> None:
    v = values(default[0])
    assert {k: v[k]["enabled"] for k in ("master", "volume", "filer", "s3")} == dict.fromkeys(
        ("master", "volume", "filer", "s3"), False
    )
    assert v["networkPolicy"]["enabled"] is True
    assert v["networkPolicy"]["extraIngress"] == [
        {"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": 8333}]}
    ]
    off = values(run(ObjectStoreInstall(network_policy=False))[0])
    assert off["networkPolicy"] == {"enabled": False}


def test_endpoint_url_names_the_all_in_one_service() -> None:
    assert endpoint_url("data") == "http://seaweedfs-all-in-one.data.svc:8333"
    assert endpoint_url("store") == "http://seaweedfs-all-in-one.store.svc:8333"


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"bucket": "Model_Engine"}, "not a valid bucket name"),
        ({"extraBuckets": ["ok-bucket", "x"]}, "not a valid bucket name"),
        ({"extraBuckets": ["model-engine"]}, "extraBuckets repeats a bucket"),
        ({"storageSize": "lots"}, "is not a Kubernetes quantity"),
        ({"storageSize": "2Gi"}, "use at least 8Gi"),
        ({"storageClass": "Fast SSD"}, "kubectl get storageclass"),
        ({"resources": {"limits": {"memory": "2 GB"}}}, "is not a Kubernetes quantity"),
        ({"replicas": 3}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_say_what_to_fix(block: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ObjectStoreInstall.model_validate(block)


def test_bad_settings_are_value_errors() -> None:
    # pydantic's ValidationError is a ValueError: what the settings loader reports.
    with pytest.raises(ValueError, match="at least 8Gi"):
        ObjectStoreInstall(storage_size="1Gi")


def test_the_charts_kept_sftp_secret_is_adopted_so_destroy_deletes_it(
    default: tuple[ProgramRun, dict],
) -> None:
    """Issue 18 item 10: the chart always renders an SFTP Secret as a kept hook (no value
    turns it off); a Secret registered under its name takes it over (server-side apply
    upserts, patchForce wins over Helm's fields), so Pulumi deletes it with the store."""
    r, _ = default
    secret = r.one(SECRET, "store-sftp-secret")
    meta = secret.inputs["metadata"]
    assert (meta["name"], meta["namespace"]) == ("seaweedfs-sftp-secret", NAMESPACE)
    assert meta["annotations"] == {"pulumi.com/patchForce": "true"}
    # It writes no credentials of its own, and it goes before the Release on destroy.
    assert not secret.inputs.get("data") and not secret.inputs.get("stringData")
    assert release(r).urn in secret.dependencies
    assert secret.parent == r.one(COMPONENT, "store").urn
