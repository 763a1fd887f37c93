"""The seaweedfs chart at its pin, rendered with exactly the values ObjectStore passes.

Needs the chart on disk: INCLUSTER_CHARTS names a folder holding it as `seaweedfs/` (the
upstream k8s/charts/seaweedfs at the pinned tag). Without it the tests skip: CI has no
network. What it proves: the address function names the Service and port the chart
renders, the keys reach the pod only from our Secret, the PVC is the size and class the
stack asks for, the bucket hook creates the bucket, and only the S3 port is open to pods
outside the release.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pulumi_kubernetes as k8s
import pytest

from components.addons import versions
from components.incluster.object_store import (
    ObjectStore,
    ObjectStoreArgs,
    ObjectStoreInstall,
    endpoint_url,
)
from plan.render import Rendered, render_chart
from plan.simulator import run_program

PIN = versions.CHARTS["seaweedfs"]
NAMESPACE = "data"


def chart_dir() -> Path:
    root = os.environ.get("INCLUSTER_CHARTS", "").strip()
    if not root:
        pytest.skip("INCLUSTER_CHARTS is unset: no seaweedfs chart checkout to render (no network)")
    chart = Path(root) / PIN.name
    if not (chart / "Chart.yaml").is_file():
        pytest.skip(f"INCLUSTER_CHARTS has no {PIN.name}/Chart.yaml")
    return chart


def passed_values(settings: ObjectStoreInstall) -> tuple[str, dict[str, Any]]:
    """Release name and values exactly as the component registers them."""

    def program() -> None:
        provider = k8s.Provider("k8s")
        ObjectStore("store", ObjectStoreArgs(settings, NAMESPACE, provider))

    run = run_program({}, program=program)
    inputs = run.one("kubernetes:helm.sh/v3:Release", "store-release").inputs
    return inputs["name"], inputs["values"]


def render(settings: ObjectStoreInstall) -> Rendered:
    chart = chart_dir()
    name, values = passed_values(settings)
    return render_chart(chart, values, release_name=name, namespace=NAMESPACE)


@pytest.fixture(scope="module")
def default() -> Rendered:
    return render(ObjectStoreInstall())


def pod(r: Rendered) -> dict[str, Any]:
    (deployment,) = r.of_kind("Deployment")
    return deployment.body["spec"]["template"]["spec"]


def test_chart_on_disk_is_the_pinned_version() -> None:
    import yaml

    meta = yaml.safe_load((chart_dir() / "Chart.yaml").read_text())
    assert meta["version"] == PIN.version


def test_endpoint_url_is_the_rendered_s3_service(default: Rendered) -> None:
    url = urlsplit(endpoint_url(NAMESPACE))
    assert url.scheme == "http"
    service_name, ns = url.hostname.split(".")[:2]  # type: ignore[union-attr]
    service = default.get("Service", service_name, ns)
    ports = {p["name"]: p for p in service.body["spec"]["ports"]}
    assert ports["swfs-s3"]["port"] == url.port
    # ... and the Service reaches the pod's S3 listener.
    (container,) = pod(default)["containers"]
    assert f"-s3.port={url.port}" in container["command"][-1]
    selector = service.body["spec"]["selector"]
    (deployment,) = default.of_kind("Deployment")
    assert selector.items() <= deployment.body["spec"]["template"]["metadata"]["labels"].items()


def test_credentials_come_from_our_secret_only(default: Rendered) -> None:
    secret_name = "seaweedfs-s3-credentials"
    spec = pod(default)
    (container,) = spec["containers"]
    env = {e["name"]: e for e in container["env"]}
    for var, key in (
        ("SEAWEEDFS_S3_ADMIN_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),
        ("SEAWEEDFS_S3_ADMIN_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
    ):
        assert env[var]["valueFrom"]["secretKeyRef"] == {"name": secret_name, "key": key}
    # The identities file is mounted from the same Secret and enables auth.
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["config-s3-users"]["secret"]["secretName"] == secret_name
    assert "-s3.config=/etc/sw/s3/seaweedfs_s3_config" in container["command"][-1]
    # The chart generates no S3 key Secret of its own, and the pod carries no AWS_* env, from
    # which weed would add an Admin identity (auth_credentials.go:515-540).
    assert not [s.name for s in default.of_kind("Secret") if "s3" in s.name]
    assert not [name for name in env if name.startswith("AWS_")]


def test_bucket_hook_creates_the_bucket_without_anonymous_access(default: Rendered) -> None:
    (job,) = default.of_kind("Job")
    assert job.annotations["helm.sh/hook"] == "post-install,post-upgrade"
    script = job.body["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert "s3.bucket.create --name model-engine" in script
    assert "--user anonymous" not in script


def test_pvc_default_size_kept_on_uninstall(default: Rendered) -> None:
    (pvc,) = default.of_kind("PersistentVolumeClaim")
    assert pvc.body["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert "storageClassName" not in pvc.body["spec"]  # the cluster's default class
    assert pvc.annotations == {"helm.sh/resource-policy": "keep"}
    volumes = {v["name"]: v for v in pod(default)["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == pvc.name


def test_pvc_size_and_class_from_the_stack_block() -> None:
    r = render(ObjectStoreInstall(storage_size="50Gi", storage_class="local-path"))
    (pvc,) = r.of_kind("PersistentVolumeClaim")
    assert pvc.body["spec"]["resources"]["requests"]["storage"] == "50Gi"
    assert pvc.body["spec"]["storageClassName"] == "local-path"


def test_only_the_s3_port_is_open_outside_the_release(default: Rendered) -> None:
    policy = default.get("NetworkPolicy", "seaweedfs-all-in-one")
    rules = policy.body["spec"]["ingress"]
    from_anywhere = [r for r in rules if r["from"] == [{"namespaceSelector": {}}]]
    assert [p["port"] for r in from_anywhere for p in r["ports"]] == [8333]
    release_only = [r for r in rules if "podSelector" in r["from"][0]]
    assert release_only[0]["from"][0]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "seaweedfs",
        "app.kubernetes.io/instance": "seaweedfs",
    }
    # The unauthenticated filer, master and volume HTTP ports are reachable only from there.
    assert {8888, 9333, 8080} <= {p["port"] for p in release_only[0]["ports"]}


def test_one_pod_no_cluster_rights(default: Rendered) -> None:
    assert not default.of_kind("StatefulSet")  # no standalone master/volume/filer
    assert not default.of_kind("ClusterRole") and not default.of_kind("ClusterRoleBinding")
    (deployment,) = default.of_kind("Deployment")
    assert deployment.body["spec"]["replicas"] == 1
    assert deployment.body["spec"]["strategy"]["type"] == "Recreate"  # RWO volume
    (sa,) = default.of_kind("ServiceAccount")
    assert pod(default)["serviceAccountName"] == sa.name
    assert sa.body["automountServiceAccountToken"] is False
    (container,) = pod(default)["containers"]
    assert container["image"] == f"chrislusf/seaweedfs:{PIN.version.removesuffix('.0')}"
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "512Mi"},
        "limits": {"cpu": "2", "memory": "2Gi"},
    }


def test_every_kept_object_but_the_data_is_adopted(default: Rendered) -> None:
    """Helm never deletes what carries `helm.sh/resource-policy: keep`. The data PVC is kept
    on purpose; anything else kept (the SFTP Secret the chart renders whenever allInOne is
    on) is registered by the component under its name, so Pulumi deletes it."""

    def program() -> None:
        provider = k8s.Provider("k8s")
        ObjectStore("store", ObjectStoreArgs(ObjectStoreInstall(), NAMESPACE, provider))

    run = run_program({}, program=program)
    adopted = {
        (r.type.split(":")[-1], r.inputs["metadata"]["name"], r.inputs["metadata"]["namespace"])
        for r in run.resources
        if r.type.startswith("kubernetes:core/v1:")
        and (r.inputs["metadata"].get("annotations") or {}).get("pulumi.com/patchForce") == "true"
    }
    kept = {
        (o.kind, o.name, o.namespace)
        for o in default.objects
        if o.annotations.get("helm.sh/resource-policy") == "keep"
    }
    data = {k for k in kept if k[0] == "PersistentVolumeClaim"}
    assert len(data) == 1
    assert kept - data, "the chart keeps nothing else: drop the adoption"
    assert kept - data <= adopted, kept - data - adopted
