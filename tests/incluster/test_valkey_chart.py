"""The Valkey chart at its pin, rendered with exactly the values the component passes.

Needs the chart's files: INCLUSTER_CHARTS names a directory holding the chart at
`<dir>/valkey` (valkey-io/valkey-helm at tag valkey-0.11.0, folder `valkey`). Without it
(CI has no network) the tests are skipped. The values are taken from the Release the
component registered in the simulated cloud, and the NetworkPolicy from its recorded
inputs, so what is checked here is what `pulumi up` would send.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.addons import versions
from components.incluster import valkey
from plan.render import K8sObject, Rendered, render_chart
from tests.incluster.test_valkey import POLICY, RELEASE, run

CHARTS_ENV = "INCLUSTER_CHARTS"
NAMESPACE = "data"


def chart_dir() -> Path:
    root = os.environ.get(CHARTS_ENV, "").strip()
    if not root:
        pytest.skip(
            f"{CHARTS_ENV} is not set: point it at a directory holding the Valkey chart at "
            f"<dir>/{versions.CHARTS[valkey.CHART].name} (valkey-io/valkey-helm, tag "
            f"valkey-{versions.CHARTS[valkey.CHART].version})"
        )
    path = Path(root) / versions.CHARTS[valkey.CHART].name
    if not (path / "Chart.yaml").is_file():
        pytest.skip(f"{path} holds no chart (no Chart.yaml)")
    chart = yaml.safe_load((path / "Chart.yaml").read_text())
    # A checkout at another version would prove nothing about the pin.
    assert chart["version"] == versions.CHARTS[valkey.CHART].version, path
    return path


def rendered(settings: dict[str, Any] | None = None) -> tuple[Rendered, dict[str, Any]]:
    """The chart rendered as the component would install it, and the component's policy."""
    result = run(settings, namespace=NAMESPACE)
    release = result.one(RELEASE).inputs
    out = render_chart(
        chart_dir(),
        release["values"],
        release_name=release["name"],
        namespace=release["namespace"],
    )
    return out, result.one(POLICY).inputs


def workload(out: Rendered) -> K8sObject:
    (found,) = out.of_kind("Deployment") + out.of_kind("StatefulSet")
    return found


def pod_labels(obj: K8sObject) -> dict[str, str]:
    return obj.body["spec"]["template"]["metadata"]["labels"]


def valkey_container(obj: K8sObject) -> dict[str, Any]:
    (container,) = [
        c for c in obj.body["spec"]["template"]["spec"]["containers"] if c["name"] == "valkey"
    ]
    return container


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


MODES = [
    pytest.param({}, id="standalone"),
    pytest.param({"persistence": {"storageClass": "fast", "storageSize": "20Gi"}}, id="sa-class"),
    pytest.param({"mode": "replicated", "replicas": 3}, id="replicated"),
    pytest.param(
        {"mode": "replicated", "persistence": {"storageClass": "fast", "storageSize": "5Gi"}},
        id="repl-class",
    ),
]


@pytest.mark.parametrize("settings", MODES)
def test_the_service_host_names_exists_on_6379(settings: dict[str, Any]) -> None:
    out, _ = rendered(settings)
    host = valkey.host(NAMESPACE, valkey.ValkeyInstall.model_validate(settings))
    name, namespace = host.split(".")[:2]
    service = out.get("Service", name, namespace)
    (port,) = service.body["spec"]["ports"]
    assert port["port"] == valkey.PORT == 6379
    # The port the Service forwards to is the container's 6379, where Valkey listens.
    (container_port,) = valkey_container(workload(out))["ports"]
    assert port["targetPort"] == container_port["name"]
    assert container_port["containerPort"] == 6379
    assert "port 6379" in out.get("ConfigMap", "valkey-init-scripts").body["data"]["init.sh"]


@pytest.mark.parametrize("settings", MODES)
def test_network_policy_selects_the_rendered_pods(settings: dict[str, Any]) -> None:
    """A policy that selects nothing protects nothing."""
    out, policy = rendered(settings)
    labels = pod_labels(workload(out))
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert selector and selects(selector, labels)
    # The peer that lets Valkey pods replicate from each other matches them too.
    (rule,) = policy["spec"]["ingress"]
    (peer,) = [p["podSelector"]["matchLabels"] for p in rule["from"] if "podSelector" in p]
    assert selects(peer, labels)
    # The policy's port is the port the pods listen on.
    assert [p["port"] for p in rule["ports"]] == [
        p["containerPort"] for p in valkey_container(workload(out))["ports"]
    ]
    # Our policy is the only one: the chart renders none of its own.
    assert not out.of_kind("NetworkPolicy")


def test_standalone_pvc_size_class_and_keep() -> None:
    out, _ = rendered({"persistence": {"storageClass": "fast", "storageSize": "20Gi"}})
    pvc = out.get("PersistentVolumeClaim", "valkey")
    assert pvc.body["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert pvc.body["spec"]["storageClassName"] == "fast"
    assert pvc.annotations["helm.sh/resource-policy"] == "keep"
    deployment = out.get("Deployment", "valkey")
    assert deployment.body["spec"]["replicas"] == 1
    assert deployment.body["spec"]["strategy"]["type"] == "Recreate"
    volumes = {v["name"]: v for v in deployment.body["spec"]["template"]["spec"]["volumes"]}
    assert volumes["valkey-data"]["persistentVolumeClaim"]["claimName"] == "valkey"


def test_standalone_default_class_is_the_clusters() -> None:
    out, _ = rendered()
    pvc = out.get("PersistentVolumeClaim", "valkey")
    assert pvc.body["spec"]["resources"]["requests"]["storage"] == "8Gi"
    assert "storageClassName" not in pvc.body["spec"]


def test_replicated_primary_service_reaches_pod_0_only() -> None:
    out, _ = rendered({"mode": "replicated", "replicas": 3})
    statefulset = out.get("StatefulSet", "valkey")
    assert statefulset.body["spec"]["replicas"] == 4  # the primary and 3 replicas
    selector = out.get("Service", "valkey").body["spec"]["selector"]
    assert selector["statefulset.kubernetes.io/pod-name"] == "valkey-0"
    # ... and pod 0 is the one the init script makes the primary; the others follow it.
    script = out.get("ConfigMap", "valkey-init-scripts").body["data"]["init.sh"]
    assert re.search(r'if \[ "\$POD_INDEX" = "0" \]; then\s+IS_MASTER=true', script)
    assert "replicaof $MASTER_HOST $MASTER_PORT" in script
    assert "valkey-0.valkey-headless.data.svc.cluster.local" in script
    # No load-balanced read Service the server could be pointed at by mistake.
    assert {s.name for s in out.of_kind("Service")} == {"valkey", "valkey-headless"}


def test_replicated_pvcs_size_class_and_retention() -> None:
    out, _ = rendered(
        {"mode": "replicated", "persistence": {"storageClass": "fast", "storageSize": "5Gi"}}
    )
    spec = out.get("StatefulSet", "valkey").body["spec"]
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert claim["spec"]["storageClassName"] == "fast"
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }


@pytest.mark.parametrize("settings", MODES)
def test_nothing_asks_for_a_password(settings: dict[str, Any]) -> None:
    out, _ = rendered(settings)
    assert not out.of_kind("Secret")
    script = out.get("ConfigMap", "valkey-init-scripts").body["data"]["init.sh"]
    config = out.get("ConfigMap", "valkey-config").body["data"]["valkey.conf"]
    for directive in ("requirepass", "aclfile", "masterauth", "tls-port"):
        assert directive not in script and directive not in config
    env = {e["name"] for e in valkey_container(workload(out)).get("env", [])}
    assert not env & {"REDIS_PASSWORD", "VALKEY_PASSWORD"}


@pytest.mark.parametrize("settings", MODES)
def test_config_keeps_16_databases_and_the_append_only_file(settings: dict[str, Any]) -> None:
    out, _ = rendered(settings)
    config = out.get("ConfigMap", "valkey-config").body["data"]["valkey.conf"].splitlines()
    assert {"databases 16", "appendonly yes", "appendfsync everysec"} <= set(config)
    # The chart appends this file to the valkey.conf its init script writes (last one wins).
    script = out.get("ConfigMap", "valkey-init-scripts").body["data"]["init.sh"]
    assert 'cat /usr/local/etc/valkey/valkey.conf >>"$VALKEY_CONFIG"' in script
    assert "databases" not in script
    # ... and writes it where the data lives: the PVC-backed /data.
    assert "dir /data" in script
    mounts = {m["mountPath"]: m["name"] for m in valkey_container(workload(out))["volumeMounts"]}
    assert mounts["/data"] == "valkey-data"


@pytest.mark.parametrize("settings", MODES)
def test_pods_are_ready_only_when_valkey_answers(settings: dict[str, Any]) -> None:
    out, _ = rendered(settings)
    container = valkey_container(workload(out))
    assert container["readinessProbe"]["exec"]["command"] == ["valkey-cli", "ping"]
    assert container["image"] == "docker.io/valkey/valkey:9.1.1"
    assert container["resources"]["requests"] == {"cpu": "100m", "memory": "256Mi"}
