"""A container registry for the inference images, installed in the cluster.

The CNCF Distribution registry (`registry` image, versions.IMAGES) as four plain objects in
the data namespace: a ConfigMap with its config, a PVC with its data, a one-pod Deployment
and a NodePort Service. Plain objects rather than a chart: the one chart for it
(twuni/docker-registry, last release 3.0.0 of 2025-07-29) pins registry 3.0.0, which lacks
3.1.1's fix that stops tag deletion when deletes are disabled; it puts a new random
REGISTRY_HTTP_SECRET into every render (each upgrade restarts the pod); its PVC goes with
the Release; and a rolling update of a ReadWriteOnce volume stalls once the new pod lands
on another node. Four objects say all of it directly.

How the nodes reach it. The server writes `docker_repo_prefix/<repository>:<tag>` into the
pods it creates (onprem_docker_repository.py:21-30, live_docker_image_batch_job_gateway.py
:228,261), so the name must resolve for the container runtime on every node, where cluster
DNS (`<service>.<namespace>.svc`) does not. The prefix is `127.0.0.1:<nodePort>`:
- kube-proxy in iptables mode (the default of kubeadm, kind and k3s) answers a NodePort on
  127.0.0.1 of every node (it sets route_localnet for that), and forwards to the registry
  pod on whichever node it runs: multi-node works with no node configuration at all.
- containerd pulls from a loopback host over plain HTTP without any hosts.toml: with no
  host directory for the host, ConfigureHosts gives a loopback host with a port scheme
  http and skips TLS verification (containerd v2.2 core/remotes/docker/config/hosts.go
  :100-121, IsLocalhost in resolver.go:839-850; v1.7's CRI does the same,
  pkg/cri/server/image_pull.go:469,513-515). Docker also treats 127.0.0.0/8 as insecure.
- 127.0.0.1 rather than `localhost`: `localhost` may resolve to ::1 first, and no proxy
  mode answers NodePorts on IPv6 loopback.
kind's and k3s's own local-registry recipes need node configuration (a hosts.toml on every
kind node, /etc/rancher/k3s/registries.yaml on every k3s node), which a program holding only
a kubeconfig cannot write; the NodePort needs none.

Where it does NOT work, each needing the operator's own registry (`existing.registryPrefix`):
- kube-proxy in ipvs mode, or nftables mode (no localhost NodePorts unless the cluster
  enables KubeProxyNFTablesLocalhostNodePorts with nodePortAddresses `primary,localhost`),
  or kube-proxy `--iptables-localhost-nodeports=false` / a nodePortAddresses list without
  127.0.0.1; a kube-proxy replacement (Cilium, kube-router) unless it serves NodePorts on
  loopback. Symptom: ImagePullBackOff with "connection refused" on 127.0.0.1:<nodePort>.
- CRI-O, which does not treat loopback as insecure by default (it needs a registries.conf
  entry with `insecure = true` for 127.0.0.1:<nodePort>).
- a containerd whose host directory holds a `_default/hosts.toml` (e.g. k3s registries.yaml
  with a "*" mirror): that file then applies instead; add a 127.0.0.1:<nodePort> entry.

Pushing: from the operator's machine through `kubectl port-forward` to the same local port
(`push_hint`), so the pushed name equals the one the nodes pull. Pods may push to
`in_cluster_address` over plain HTTP (their client must be told the registry is insecure);
the registry keys images by repository and tag, not by host, so both names reach the same
image. The pinned server never pushes here: on `onprem` its builder is the OnPrem one,
which builds nothing (service_builder/tasks_v1.py:93-94).

No authentication, because nothing could present credentials: the server (registry type
`onprem`) never talks to the registry, and endpoint pods pull as the inference
ServiceAccount, to which the chart gives an image pull secret only on Azure
(templates/service_account_inference.yaml), so they would pull anonymously. So anything that
reaches a node's port <nodePort> (on any node address, not only loopback) can pull and push
images, and push over what endpoints run. That is acceptable on a single-user cluster whose
node ports are not reachable from untrusted networks (kind, a lab k3s); for anything shared,
use the operator's own registry with authentication (`existing.registryPrefix`). Deletes
are disabled: nothing in the platform deletes images, and with no authentication a delete
API would let any client remove images running endpoints depend on (`deleteEnabled` opts
in, e.g. to reclaim space with the registry's garbage collector).

What is protected ("nothing lost"): images live on a PVC (the cluster's default StorageClass
unless set). With `protect` (the stack default) `pulumi destroy` refuses to delete the PVC
until the operator unprotects it, and a PVC dropped from the program stays in the cluster
(retain_on_delete). It is namespaced, so deleting the namespace deletes it, and then
the data survives only where the StorageClass's reclaimPolicy is Retain (kind's and k3s's
local-path is Delete). local-path volumes live on one node: losing that node loses the
images. There are no backups: keep the images' source (the upstream registries or CI) to
push them again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import yaml
from pydantic import field_validator

from components.addons import versions
from components.incluster.common import child_opts, service_host
from components.sdk import lazy
from components.settings_base import (
    ContainerQuantities,
    Model,
    Quantity,
    dns_label,
    kubernetes_quantity,
    storage_class_name,
)

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")

IMAGE = "registry"
# The Kubernetes name of every object (ConfigMap, PVC, Deployment, Service).
NAME = "registry"
SERVICE = NAME
# The registry's HTTP port in the pod and on the Service (the image's default, http.addr).
PORT = 5000
# Kubernetes' default service-node-port-range (kube-apiserver --service-node-port-range).
NODE_PORT_RANGE = (30000, 32767)
# In the static band (30000-30085 of the default range, KEP-3668) that Kubernetes hands out
# to automatically allocated NodePorts (the Istio gateway's) only when the rest is used up,
# so the registry's fixed port does not collide with one allocated first.
DEFAULT_NODE_PORT = 30050
# The loopback address the nodes' container runtime pulls from (see the module docstring).
LOOPBACK = "127.0.0.1"
CONFIG_DIR = "/etc/distribution"
CONFIG_FILE = "config.yml"
DATA_DIR = "/var/lib/registry"
# A non-root user; fsGroup makes the volume writable for it.
RUN_AS = 1000
LABELS: Mapping[str, str] = {
    "app.kubernetes.io/name": "registry",
    "app.kubernetes.io/component": "image-registry",
    "app.kubernetes.io/part-of": "model-engine-infra",
}
# The pod template carries the config's hash, so a changed config rolls the pod.
CONFIG_HASH_ANNOTATION = "model-engine-infra/config-sha256"


class RegistryResources(Model):
    """The registry container's requests and limits."""

    # It streams blobs between client and disk: little CPU and memory at rest.
    requests: ContainerQuantities = ContainerQuantities(cpu="100m", memory="128Mi")
    # Bounds its in-memory blob-descriptor cache; None: no limit.
    limits: ContainerQuantities | None = ContainerQuantities(memory="1Gi")


class RegistryInstall(Model):
    """`existing.registry.install`: run a registry in the cluster instead of the operator's.

    Only for clusters whose nodes reach NodePorts on 127.0.0.1 (kube-proxy iptables mode,
    containerd): see components/incluster/registry.py for the limits and the exposure.
    """

    # Inference images are large (a vLLM image is about 10 GB): room for a few with tags.
    storage_size: Quantity = "100Gi"
    # None: the cluster's default StorageClass (kind: `standard`, k3s: `local-path`).
    storage_class: str | None = None
    # The port every node answers on 127.0.0.1, and the prefix's port.
    node_port: int = DEFAULT_NODE_PORT
    # Allow the registry API's DELETE (off: with no authentication anyone could delete).
    delete_enabled: bool = False
    resources: RegistryResources = RegistryResources()

    _size = field_validator("storage_size")(kubernetes_quantity)

    @field_validator("node_port")
    @classmethod
    def _node_port(cls, v: int) -> int:
        low, high = NODE_PORT_RANGE
        if not low <= v <= high:
            raise ValueError(
                f"{v!r} is not a NodePort: use a port in {low}-{high} (Kubernetes' default "
                "service-node-port-range) that no other Service of the cluster uses, e.g. "
                f"{DEFAULT_NODE_PORT}"
            )
        return v

    _class = field_validator("storage_class")(storage_class_name)


def prefix(settings: RegistryInstall) -> str:
    """The chart's infra.docker_repo_prefix: what every node's container runtime pulls from.

    With this prefix the platform sets registry type `onprem` (the server's inference would
    say `generic`, whose anonymous HTTPS checks fail on a plain-HTTP registry)."""
    return f"{LOOPBACK}:{settings.node_port}"


def in_cluster_address(namespace: str) -> str:
    """host:port for pods that push (plain HTTP): the Service's cluster DNS name."""
    return f"{service_host(SERVICE, dns_label(namespace))}:{PORT}"


def push_hint(settings: RegistryInstall, namespace: str) -> str:
    """How an operator pushes from a workstation: forward the same local port the nodes use,
    so the image name pushed is the one the pods pull."""
    return (
        f"kubectl -n {dns_label(namespace)} port-forward svc/{SERVICE} "
        f"{settings.node_port}:{PORT} & docker push {prefix(settings)}/<repository>:<tag>"
    )


def registry_config(settings: RegistryInstall) -> dict[str, Any]:
    """Distribution's config.yml (configuration reference of distribution v3)."""
    return {
        "version": 0.1,
        "log": {"level": "info", "fields": {"service": "registry"}},
        "storage": {
            "filesystem": {"rootdirectory": DATA_DIR},
            "delete": {"enabled": settings.delete_enabled},
            "cache": {"blobdescriptor": "inmemory"},
        },
        "http": {
            "addr": f":{PORT}",
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        },
        # While the storage driver fails its check, every request (probes too) gets 503.
        "health": {"storagedriver": {"enabled": True, "interval": "10s", "threshold": 3}},
    }


def config_text(settings: RegistryInstall) -> str:
    return yaml.safe_dump(registry_config(settings), sort_keys=False)


def _resources(settings: RegistryInstall) -> k8s.core.v1.ResourceRequirementsArgs:
    res = settings.resources
    return k8s.core.v1.ResourceRequirementsArgs(
        requests=res.requests.model_dump(exclude_none=True),
        limits=res.limits.model_dump(exclude_none=True) if res.limits else None,
    )


def _metadata(namespace: str, **extra: Any) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=namespace, labels=dict(LABELS), **extra)


def pvc_spec(settings: RegistryInstall) -> k8s.core.v1.PersistentVolumeClaimSpecArgs:
    return k8s.core.v1.PersistentVolumeClaimSpecArgs(
        access_modes=["ReadWriteOnce"],
        storage_class_name=settings.storage_class,
        resources=k8s.core.v1.VolumeResourceRequirementsArgs(
            requests={"storage": settings.storage_size}
        ),
    )


def service_spec(settings: RegistryInstall) -> k8s.core.v1.ServiceSpecArgs:
    return k8s.core.v1.ServiceSpecArgs(
        type="NodePort",
        selector=dict(LABELS),
        ports=[
            k8s.core.v1.ServicePortArgs(
                name="http",
                protocol="TCP",
                port=PORT,
                target_port=PORT,
                node_port=settings.node_port,
            )
        ],
    )


def _probe() -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path="/", port=PORT),
        period_seconds=10,
        failure_threshold=3,
    )


def _container(settings: RegistryInstall) -> k8s.core.v1.ContainerArgs:
    return k8s.core.v1.ContainerArgs(
        name="registry",
        image=versions.IMAGES[IMAGE],
        command=["/bin/registry", "serve", f"{CONFIG_DIR}/{CONFIG_FILE}"],
        ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=PORT, protocol="TCP")],
        readiness_probe=_probe(),
        liveness_probe=_probe(),
        resources=_resources(settings),
        security_context=k8s.core.v1.SecurityContextArgs(
            allow_privilege_escalation=False,
            read_only_root_filesystem=True,
            run_as_non_root=True,
            capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        ),
        volume_mounts=[
            k8s.core.v1.VolumeMountArgs(name="config", mount_path=CONFIG_DIR, read_only=True),
            k8s.core.v1.VolumeMountArgs(name="data", mount_path=DATA_DIR),
        ],
    )


def deployment_spec(settings: RegistryInstall) -> k8s.apps.v1.DeploymentSpecArgs:
    config_hash = hashlib.sha256(config_text(settings).encode()).hexdigest()
    return k8s.apps.v1.DeploymentSpecArgs(
        replicas=1,
        # One writer on a ReadWriteOnce volume: the old pod goes before the new one starts
        # (a rolling update's new pod on another node could never mount it).
        strategy=k8s.apps.v1.DeploymentStrategyArgs(type="Recreate"),
        selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(LABELS)),
        template=k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(
                labels=dict(LABELS), annotations={CONFIG_HASH_ANNOTATION: config_hash}
            ),
            spec=k8s.core.v1.PodSpecArgs(
                automount_service_account_token=False,
                security_context=k8s.core.v1.PodSecurityContextArgs(
                    run_as_user=RUN_AS,
                    run_as_group=RUN_AS,
                    fs_group=RUN_AS,
                    # Only the volume's root is checked, not every blob of a large store.
                    fs_group_change_policy="OnRootMismatch",
                    seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                ),
                containers=[_container(settings)],
                volumes=[
                    k8s.core.v1.VolumeArgs(
                        name="config",
                        config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=NAME),
                    ),
                    k8s.core.v1.VolumeArgs(
                        name="data",
                        persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(
                            claim_name=NAME
                        ),
                    ),
                ],
            ),
        ),
    )


@dataclass(frozen=True)
class RegistryArgs:
    settings: RegistryInstall
    # The data namespace the platform created; every object lives there.
    namespace: str
    provider: k8s.Provider
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    # Keep the PVC (the images) through `pulumi destroy`; the stack's `protect`.
    protect: bool = True


class InClusterRegistry(pulumi.ComponentResource):
    """The registry, its data volume and the NodePort every node pulls from (module
    docstring: where that works, and the exposure of a registry without authentication)."""

    config_map: k8s.core.v1.ConfigMap
    pvc: k8s.core.v1.PersistentVolumeClaim
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service
    prefix: str
    in_cluster_address: str
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:incluster:InClusterRegistry", name, None, opts)
        settings, namespace = args.settings, dns_label(args.namespace)
        self.prefix = prefix(settings)
        self.in_cluster_address = in_cluster_address(namespace)
        base = child_opts(self, args.provider, args.depends_on)
        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=_metadata(namespace),
            data={CONFIG_FILE: config_text(settings)},
            opts=base,
        )
        self.pvc = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-data",
            # No await on the claim: under WaitForFirstConsumer (kind's and k3s's local-path)
            # it binds only once the pod exists; the Deployment's await covers the volume.
            metadata=_metadata(namespace, annotations={"pulumi.com/skipAwait": "true"}),
            spec=pvc_spec(settings),
            opts=pulumi.ResourceOptions.merge(
                base, pulumi.ResourceOptions(protect=args.protect, retain_on_delete=args.protect)
            ),
        )
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=_metadata(namespace),
            spec=deployment_spec(settings),
            opts=child_opts(self, args.provider, [*args.depends_on, self.config_map, self.pvc]),
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=_metadata(namespace),
            spec=service_spec(settings),
            opts=base,
        )
        # Pulumi awaits the Deployment's ready pod (probes on the storage driver's health):
        # the registry serves once these are created. The chart's install itself pulls
        # nothing from here; waiting surfaces a broken registry before endpoints need it.
        self.ready = [self.deployment, self.service]
        self.register_outputs(
            {
                "prefix": self.prefix,
                "in_cluster_address": self.in_cluster_address,
                "service": self.service.metadata.apply(lambda m: m.name),
                "pvc": self.pvc.metadata.apply(lambda m: m.name),
            }
        )
