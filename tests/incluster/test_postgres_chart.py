"""The CloudNativePG operator chart at its pin, rendered with exactly the values the component
passes, and the Cluster/ScheduledBackup the component declares checked against the CRDs that
chart installs.

Needs the chart on disk: INCLUSTER_CHARTS names a folder holding it as `cloudnative-pg/`
(cloudnative-pg/charts at the tag in versions.CHARTS, folder charts/cloudnative-pg). CI has no
network, so without it these tests are skipped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.addons import versions
from components.incluster import postgres
from components.incluster.postgres import BackupStore, PostgresInstall
from plan.render import Rendered, render_chart

CHARTS_ENV = "INCLUSTER_CHARTS"
PIN = versions.CHARTS[postgres.OPERATOR_CHART]
OPERATOR_NAMESPACE = PostgresInstall().operator_namespace


def chart_dir() -> Path:
    root = os.environ.get(CHARTS_ENV, "").strip()
    if not root:
        pytest.skip(
            f"{CHARTS_ENV} is unset: point it at a folder holding the {PIN.name} chart at "
            f"{PIN.source} as {PIN.name}/ to render it"
        )
    path = Path(root) / PIN.name
    if not (path / "Chart.yaml").is_file():
        pytest.skip(f"{CHARTS_ENV}={root} has no {PIN.name}/Chart.yaml")
    return path


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    return render_chart(
        chart_dir(),
        postgres.operator_values(PostgresInstall()),
        release_name=postgres.OPERATOR_RELEASE,
        namespace=OPERATOR_NAMESPACE,
    )


@pytest.fixture(scope="module")
def crds(rendered: Rendered) -> dict[str, dict[str, Any]]:
    """kind -> the v1 openAPIV3Schema of each postgresql.cnpg.io CRD."""
    found: dict[str, dict[str, Any]] = {}
    for crd in rendered.of_kind("CustomResourceDefinition"):
        spec = crd.body["spec"]
        if spec["group"] != "postgresql.cnpg.io":
            continue
        (v1,) = [v for v in spec["versions"] if v["name"] == "v1"]
        found[spec["names"]["kind"]] = v1["schema"]["openAPIV3Schema"]
    return found


# --- the chart at its pin -------------------------------------------------------------


def test_the_checkout_is_the_pinned_chart() -> None:
    meta = yaml.safe_load((chart_dir() / "Chart.yaml").read_text())
    assert meta["name"] == PIN.name
    assert meta["version"] == PIN.version
    # The operator version the pin's source names (and the in-tree backup guard reads).
    assert f"operator {meta['appVersion']}" in PIN.source


def test_operator_runs_the_chart_app_version_watching_every_namespace(rendered: Rendered) -> None:
    meta = yaml.safe_load((chart_dir() / "Chart.yaml").read_text())
    deployment = rendered.get("Deployment", "cnpg-cloudnative-pg")
    (container,) = deployment.body["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"ghcr.io/cloudnative-pg/cloudnative-pg:{meta['appVersion']}"
    env = {e["name"] for e in container.get("env", [])}
    # clusterWide: no WATCH_NAMESPACE, and cluster-wide RBAC, so a Cluster in the data
    # namespace is reconciled.
    assert "WATCH_NAMESPACE" not in env
    assert rendered.of_kind("ClusterRoleBinding")


def test_the_crds_the_cluster_needs_come_with_the_release(
    crds: dict[str, dict[str, Any]],
) -> None:
    assert {"Cluster", "ScheduledBackup", "Backup"} <= set(crds)


def test_admission_webhooks_point_at_the_operator_service(rendered: Rendered) -> None:
    service = rendered.get("Service", "cnpg-webhook-service")
    assert service.namespace == OPERATOR_NAMESPACE
    port = service.body["spec"]["ports"][0]["port"]
    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        (config,) = rendered.of_kind(kind)
        cluster_hooks = [w for w in config.body["webhooks"] if "cluster" in w["name"]]
        assert cluster_hooks, kind
        for hook in config.body["webhooks"]:
            ref = hook["clientConfig"]["service"]
            assert (ref["name"], ref["namespace"], ref["port"]) == (
                "cnpg-webhook-service",
                OPERATOR_NAMESPACE,
                port,
            )
            # A Cluster applied while the webhook is down fails: hence the Cluster's
            # dependency on the (atomic, waited-for) Release.
            assert hook["failurePolicy"] == "Fail"


def test_no_grafana_subchart_is_rendered(rendered: Rendered) -> None:
    assert not [o for o in rendered.of_kind("ConfigMap") if "grafana" in o.name]


# --- the component's manifests against the CRD schemas --------------------------------


def schema_problems(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Field names, types, enums, patterns, bounds and required keys of a structural
    schema (CEL rules are the webhook's and the API server's, not checked here)."""
    where = path or "."
    if schema.get("x-kubernetes-int-or-string"):
        return [] if isinstance(value, (int, str)) else [f"{where}: expected int or string"]
    if schema.get("x-kubernetes-preserve-unknown-fields") and "properties" not in schema:
        return []
    expected = schema.get("type")
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
    }
    if expected and not checks[expected](value):
        return [f"{where}: expected {expected}, got {type(value).__name__} {value!r}"]
    problems: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if "minimum" in schema and value < schema["minimum"]:
        problems.append(f"{where}: {value} < {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        problems.append(f"{where}: {value} > {schema['maximum']}")
    if expected == "object":
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{where}: missing required {key!r}")
        for key, item in value.items():
            sub = f"{path}.{key}"
            if props is not None and key in props:
                problems += schema_problems(item, props[key], sub)
            elif isinstance(extra, dict):
                problems += schema_problems(item, extra, sub)
            elif props is not None and not schema.get("x-kubernetes-preserve-unknown-fields"):
                problems.append(f"{sub}: unknown field (the API server would drop it)")
    if expected == "array" and "items" in schema:
        for i, item in enumerate(value):
            problems += schema_problems(item, schema["items"], f"{path}[{i}]")
    return problems


STORE = BackupStore(
    bucket="ml-backups",
    region="us-east-1",
    access_key_id="a",
    secret_access_key="b",
    endpoint_url="http://minio.data.svc.cluster.local:9000",
)
EVERYTHING = PostgresInstall.model_validate(
    {
        "instances": 3,
        "storageSize": "50Gi",
        "storageClass": "fast-ssd",
        "walStorageSize": "5Gi",
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "2Gi"}},
        "parameters": {"max_connections": "300"},
        "podAntiAffinity": "required",
        "nodeSelector": {"pool": "data"},
        "backups": {"schedule": "0 0 3 * * *", "retention": "30d"},
    }
)


def manifest(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": postgres.API_VERSION,
        "kind": kind,
        "metadata": {"name": postgres.CLUSTER_NAME, "namespace": "data"},
        "spec": spec,
    }


@pytest.mark.parametrize(
    ("settings", "store"),
    [(PostgresInstall(), None), (EVERYTHING, STORE)],
    ids=["defaults", "every-option-and-backups"],
)
def test_cluster_matches_the_crd(
    crds: dict[str, dict[str, Any]], settings: PostgresInstall, store: BackupStore | None
) -> None:
    cluster = manifest("Cluster", postgres.cluster_spec(settings, store))
    assert schema_problems(cluster, crds["Cluster"]) == []


def test_scheduled_backup_matches_the_crd(crds: dict[str, dict[str, Any]]) -> None:
    assert EVERYTHING.backups is not None
    scheduled = manifest("ScheduledBackup", postgres.scheduled_backup_spec(EVERYTHING.backups))
    assert schema_problems(scheduled, crds["ScheduledBackup"]) == []


def test_the_schema_check_catches_mistakes(crds: dict[str, dict[str, Any]]) -> None:
    spec = postgres.cluster_spec(EVERYTHING, STORE)
    spec["storage"]["sizee"] = "1Gi"
    spec["instances"] = "3"
    spec["backup"]["retentionPolicy"] = "30 days"
    spec["primaryUpdateStrategy"] = "sometimes"
    problems = schema_problems(manifest("Cluster", spec), crds["Cluster"])
    assert len(problems) == 4, problems
