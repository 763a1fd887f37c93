"""In-cluster registry, run as `pulumi up` would run it against the simulated cloud.

What the operator relies on: every node pulls the inference images from 127.0.0.1:<nodePort>,
which the Service really exposes and which reaches the registry pod; the images sit on a
PVC that survives `pulumi destroy`; the registry runs the pinned image with deletes off;
and a bad stack-file value fails with the fix before anything is built.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml
from pydantic import ValidationError

from components.existing.settings import ExistingSettings
from components.incluster import registry
from components.model_engine import chart_facts
from plan.simulator import ProgramRun, RecordedResource, run_program

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
COMPONENT = "model-engine-infra:incluster:InClusterRegistry"


def run(
    settings: dict[str, Any] | None = None,
    *,
    namespace: str = "data",
    protect: bool = True,
    built: list[registry.InClusterRegistry] | None = None,
) -> ProgramRun:
    """The component alone, on its own provider, after a resource it must wait for."""

    def program() -> None:
        provider = k8s.Provider("cluster")
        before = k8s.core.v1.Namespace(
            "data-ns", metadata={"name": namespace}, opts=pulumi.ResourceOptions(provider=provider)
        )
        component = registry.InClusterRegistry(
            "registry",
            registry.RegistryArgs(
                settings=registry.RegistryInstall.model_validate(settings or {}),
                namespace=namespace,
                provider=provider,
                depends_on=[before],
                protect=protect,
            ),
        )
        if built is not None:
            built.append(component)

    return run_program({}, program=program)


def pod_spec(result: ProgramRun) -> dict[str, Any]:
    return result.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]


def container(result: ProgramRun) -> dict[str, Any]:
    (only,) = pod_spec(result)["containers"]
    return only


def on_cluster(result: ProgramRun, resource: RecordedResource) -> bool:
    provider = result.one("pulumi:providers:kubernetes", "cluster")
    return (resource.provider or "").startswith(f"{provider.urn}::")


# -- the image -------------------------------------------------------------------------------


def test_runs_the_pinned_distribution_image() -> None:
    # Stated independently of versions.py: the Docker official image's newest tag listed in
    # docker-library/official-images library/registry.
    assert container(run())["image"] == "docker.io/library/registry:3.1.1"


def test_serves_the_config_it_is_given() -> None:
    c = container(run())
    assert c["command"] == ["/bin/registry", "serve", "/etc/distribution/config.yml"]
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    assert mounts["config"]["mountPath"] == "/etc/distribution"
    assert mounts["config"]["readOnly"] is True


# -- the address the nodes pull from ----------------------------------------------------------


def test_prefix_is_the_loopback_nodeport_the_service_exposes() -> None:
    settings = {"nodePort": 31234}
    service = run(settings).one(SERVICE)
    (port,) = service.inputs["spec"]["ports"]
    assert service.inputs["spec"]["type"] == "NodePort"
    assert port["nodePort"] == 31234
    prefix = registry.prefix(registry.RegistryInstall.model_validate(settings))
    assert prefix == f"127.0.0.1:{int(port['nodePort'])}" == "127.0.0.1:31234"


def test_default_prefix_and_service_agree() -> None:
    result = run()
    (port,) = result.one(SERVICE).inputs["spec"]["ports"]
    assert port["nodePort"] == 30050
    assert registry.prefix(registry.RegistryInstall()) == "127.0.0.1:30050"


def test_the_service_reaches_the_registry_container() -> None:
    result = run()
    service = result.one(SERVICE).inputs["spec"]
    (port,) = service["ports"]
    (container_port,) = container(result)["ports"]
    assert port["targetPort"] == container_port["containerPort"] == 5000
    pod_labels = result.one(DEPLOYMENT).inputs["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= pod_labels.items()
    # The registry listens where the Service sends traffic.
    config = yaml.safe_load(result.one(CONFIG_MAP).inputs["data"]["config.yml"])
    assert config["http"]["addr"] == ":5000"


def test_in_cluster_address_names_the_rendered_service() -> None:
    result = run(namespace="images")
    service = result.one(SERVICE)
    meta = service.inputs["metadata"]
    (port,) = service.inputs["spec"]["ports"]
    expected = f"{meta['name']}.{meta['namespace']}.svc:{int(port['port'])}"
    assert registry.in_cluster_address("images") == expected
    assert expected == "registry.images.svc:5000"


def test_prefix_is_a_registry_prefix_the_platform_accepts() -> None:
    prefix = registry.prefix(registry.RegistryInstall(node_port=30999))
    cfg = ExistingSettings.model_validate(
        {
            "clusterName": "kind",
            "registryPrefix": prefix,
            "database": {"host": "pg", "user": "u"},
            "redis": {"host": "redis"},
            "objectStorage": {"bucket": "models"},
        }
    )
    assert cfg.registry_prefix == "127.0.0.1:30999"
    # The server alone would pick its generic client (anonymous HTTPS checks, which fail on a
    # plain-HTTP registry): the platform must set docker_registry_type onprem explicitly.
    assert chart_facts.infer_registry_type(prefix) == "generic"


def test_push_hint_forwards_the_port_the_nodes_use() -> None:
    hint = registry.push_hint(registry.RegistryInstall(node_port=30777), "data")
    assert "kubectl -n data port-forward svc/registry 30777:5000" in hint
    assert "docker push 127.0.0.1:30777/" in hint


# -- the data -------------------------------------------------------------------------------


def test_images_live_on_a_protected_pvc_of_the_requested_size() -> None:
    result = run({"storageSize": "200Gi", "storageClass": "fast-ssd"})
    pvc = result.one(PVC)
    assert pvc.protect is True
    assert pvc.inputs["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc.inputs["spec"]["resources"]["requests"] == {"storage": "200Gi"}
    assert pvc.inputs["spec"]["storageClassName"] == "fast-ssd"
    # WaitForFirstConsumer classes bind only once the pod exists: no await on the claim.
    assert pvc.inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}


def test_default_storage_uses_the_clusters_default_class() -> None:
    pvc = run().one(PVC)
    assert "storageClassName" not in pvc.inputs["spec"]
    assert pvc.inputs["spec"]["resources"]["requests"] == {"storage": "100Gi"}


def test_protect_false_lets_destroy_take_the_pvc() -> None:
    assert run(protect=False).one(PVC).protect is False


def test_the_pod_mounts_that_pvc_where_the_config_stores_blobs() -> None:
    result = run()
    volumes = {v["name"]: v for v in pod_spec(result)["volumes"]}
    assert (
        volumes["data"]["persistentVolumeClaim"]["claimName"]
        == (result.one(PVC).inputs["metadata"]["name"])
    )
    assert (
        volumes["config"]["configMap"]["name"] == result.one(CONFIG_MAP).inputs["metadata"]["name"]
    )
    mounts = {m["name"]: m["mountPath"] for m in container(result)["volumeMounts"]}
    config = yaml.safe_load(result.one(CONFIG_MAP).inputs["data"]["config.yml"])
    assert config["storage"]["filesystem"]["rootdirectory"] == mounts["data"]


def test_one_writer_replaced_not_rolled() -> None:
    spec = run().one(DEPLOYMENT).inputs["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}


# -- behaviour --------------------------------------------------------------------------------


def test_deletes_are_off_by_default_and_can_be_enabled() -> None:
    off = yaml.safe_load(run().one(CONFIG_MAP).inputs["data"]["config.yml"])
    on = yaml.safe_load(run({"deleteEnabled": True}).one(CONFIG_MAP).inputs["data"]["config.yml"])
    assert off["storage"]["delete"] == {"enabled": False}
    assert on["storage"]["delete"] == {"enabled": True}


def test_a_config_change_rolls_the_pod() -> None:
    def annotation(result: ProgramRun) -> str:
        meta = result.one(DEPLOYMENT).inputs["spec"]["template"]["metadata"]
        return meta["annotations"][registry.CONFIG_HASH_ANNOTATION]

    assert annotation(run()) != annotation(run({"deleteEnabled": True}))
    assert annotation(run()) == annotation(run({"storageSize": "300Gi"}))


def test_runs_unprivileged() -> None:
    result = run()
    pod = pod_spec(result)
    assert pod["securityContext"]["runAsUser"] == 1000
    assert pod["securityContext"]["fsGroup"] == 1000
    assert pod["automountServiceAccountToken"] is False
    sc = container(result)["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}


def test_probes_ask_the_registry_itself() -> None:
    c = container(run())
    for probe in (c["readinessProbe"], c["livenessProbe"]):
        assert probe["httpGet"] == {"path": "/", "port": 5000}


def test_resources_default_and_override() -> None:
    assert container(run())["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"memory": "1Gi"},
    }
    custom = run({"resources": {"requests": {"cpu": 1, "memory": "512Mi"}, "limits": None}})
    assert container(custom)["resources"] == {"requests": {"cpu": "1", "memory": "512Mi"}}


def test_no_credentials_anywhere() -> None:
    result = run()
    assert all(not r.secret_inputs for r in result.resources)
    assert not result.of_type("kubernetes:core/v1:Secret")


# -- the component --------------------------------------------------------------------------


def test_children_are_parented_on_the_given_provider_after_upstream() -> None:
    built: list[registry.InClusterRegistry] = []
    result = run(built=built)
    component = result.one(COMPONENT)
    namespace = result.one("kubernetes:core/v1:Namespace")
    for typ in (DEPLOYMENT, SERVICE, PVC, CONFIG_MAP):
        child = result.one(typ)
        assert child.parent == component.urn, typ
        assert on_cluster(result, child), typ
        assert namespace.urn in child.dependencies, typ
        assert child.inputs["metadata"]["namespace"] == "data", typ
    deployment = result.one(DEPLOYMENT)
    assert result.one(PVC).urn in deployment.dependencies
    assert result.one(CONFIG_MAP).urn in deployment.dependencies
    (component_obj,) = built
    assert component_obj.ready == [component_obj.deployment, component_obj.service]
    assert component_obj.prefix == "127.0.0.1:30050"


# -- bad settings -------------------------------------------------------------------------------


@pytest.mark.parametrize("port", [8080, 29999, 32768])
def test_node_port_outside_the_range_is_rejected_with_the_fix(port: int) -> None:
    with pytest.raises(ValidationError, match=r"30000-32767 .* e\.g\. 30050"):
        registry.RegistryInstall.model_validate({"nodePort": port})


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"storageSize": "10GB"}, "not a Kubernetes quantity"),
        ({"storageClass": "Fast_SSD"}, "not a StorageClass name"),
        ({"resources": {"requests": {"memory": "lots"}}}, "not a Kubernetes quantity"),
        ({"size": "10Gi"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_are_rejected(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        registry.RegistryInstall.model_validate(settings)


def test_bad_namespace_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a valid Kubernetes name"):
        registry.in_cluster_address("Data_NS")
