"""Every chart the add-ons install, pinned: the one table of versions.

`pulumi up` fetches each chart from the repository named here at exactly this version; a
stack file may override a version (``addons.<addon>.version``) but never the repository.
Each pin was read from the upstream repository's release tag and the chart's Chart.yaml at
that tag (the ``source`` column), taking the newest release that is not a pre-release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from components import waits


@dataclass(frozen=True)
class Chart:
    # The chart's name in `repository`, or a full oci:// reference when repository is None.
    name: str
    version: str
    repository: str | None
    # Where the pin was checked: upstream repository and tag.
    source: str


# Seconds Helm may take per install or upgrade of any pinned chart (images on fresh nodes,
# load balancers): its worst case is stated in components/waits.py.
RELEASE_TIMEOUT = waits.ADDON_RELEASE_TIMEOUT_S

ISTIO_REPOSITORY = "https://istio-release.storage.googleapis.com/charts"
PROMETHEUS_COMMUNITY = "https://prometheus-community.github.io/helm-charts"
KUBERNETES_AUTOSCALER = "https://kubernetes.github.io/autoscaler"

# Istio's three charts are released together and must share one version.
ISTIO_VERSION = "1.30.3"  # istio/istio tag 1.30.3 (1.31 is still a release candidate)

CHARTS: Mapping[str, Chart] = MappingProxyType(
    {
        "istio-base": Chart(
            "base", ISTIO_VERSION, ISTIO_REPOSITORY, "istio/istio 1.30.3 manifests/charts/base"
        ),
        "istiod": Chart(
            "istiod",
            ISTIO_VERSION,
            ISTIO_REPOSITORY,
            "istio/istio 1.30.3 manifests/charts/istio-control/istio-discovery",
        ),
        "istio-gateway": Chart(
            "gateway",
            ISTIO_VERSION,
            ISTIO_REPOSITORY,
            "istio/istio 1.30.3 manifests/charts/gateway",
        ),
        "keda": Chart(
            "keda",
            "2.20.2",
            "https://kedacore.github.io/charts",
            "kedacore/charts tag v2.20.2 keda/Chart.yaml (app 2.20.2)",
        ),
        "prometheus": Chart(
            "prometheus",
            "29.27.0",
            PROMETHEUS_COMMUNITY,
            "prometheus-community/helm-charts tag prometheus-29.27.0 (Prometheus v3.14.0)",
        ),
        "prometheus-adapter": Chart(
            "prometheus-adapter",
            "5.3.0",
            PROMETHEUS_COMMUNITY,
            "prometheus-community/helm-charts tag prometheus-adapter-5.3.0 (adapter v0.12.0)",
        ),
        "nvidia-device-plugin": Chart(
            "nvidia-device-plugin",
            "0.20.0",
            "https://nvidia.github.io/k8s-device-plugin",
            "NVIDIA/k8s-device-plugin tag v0.20.0 deployments/helm/nvidia-device-plugin",
        ),
        "gpu-operator": Chart(
            "gpu-operator",
            "v26.7.0",
            "https://helm.ngc.nvidia.com/nvidia",
            "NVIDIA/gpu-operator tag v26.7.0 (device plugin v0.20.0, mig-manager v0.15.0)",
        ),
        # The chart's image is matched to the cluster (AUTOSCALER_IMAGES) where known.
        "cluster-autoscaler": Chart(
            "cluster-autoscaler",
            "9.59.0",
            KUBERNETES_AUTOSCALER,
            "kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0 (app v1.35.0)",
        ),
        "vertical-pod-autoscaler": Chart(
            "vertical-pod-autoscaler",
            "0.11.0",
            KUBERNETES_AUTOSCALER,
            "kubernetes/autoscaler tag vertical-pod-autoscaler-chart-0.11.0 (app 1.7.1)",
        ),
        "lws": Chart(
            "oci://registry.k8s.io/lws/charts/lws",
            "0.10.0",
            None,
            "kubernetes-sigs/lws tag v0.10.0 site/content/en/docs/installation (Helm, OCI)",
        ),
        # In-cluster PostgreSQL (components/incluster/postgres.py): the operator and its CRDs.
        "cloudnative-pg": Chart(
            "cloudnative-pg",
            "0.29.0",
            "https://cloudnative-pg.github.io/charts",
            "cloudnative-pg/charts tag cloudnative-pg-v0.29.0 (operator 1.30.0)",
        ),
        "metrics-server": Chart(
            "metrics-server",
            "3.13.1",
            "https://kubernetes-sigs.github.io/metrics-server/",
            "kubernetes-sigs/metrics-server tag metrics-server-helm-chart-3.13.1 (app 0.8.1)",
        ),
        # In-cluster object store (components/incluster/object_store.py). The chart pins its
        # image to appVersion: chrislusf/seaweedfs:4.44 (container_release_unified.yml).
        "seaweedfs": Chart(
            "seaweedfs",
            "4.44.0",
            "https://seaweedfs.github.io/seaweedfs/helm",
            "seaweedfs/seaweedfs tag 4.44 k8s/charts/seaweedfs/Chart.yaml (app 4.44); "
            "gh-pages helm/index.yaml lists 4.44.0",
        ),
        # In-cluster Redis (components/incluster/valkey.py): the Valkey project's own chart;
        # its image (docker.io/valkey/valkey) is pinned by the chart's appVersion 9.1.1.
        "valkey": Chart(
            "valkey",
            "0.11.0",
            "https://valkey.io/valkey-helm/",
            "valkey-io/valkey-helm tag valkey-0.11.0 valkey/Chart.yaml (app 9.1.1)",
        ),
    }
)


# Images the in-cluster services run that their charts do not pin themselves (e.g. the
# PostgreSQL image of a CloudNativePG Cluster): name -> full reference with tag.
IMAGES: Mapping[str, str] = MappingProxyType(
    {
        # cloudnative-pg/postgres-containers docker-bake.hcl (newest PostgreSQL 18.6; tags
        # `<version>-<target>-<distro>`). The `system` target still carries barman-cloud,
        # which the operator's in-tree backups run; trixie is the operator 1.30.0 default
        # distribution (pkg/versions/versions.go: postgresql:18.4-system-trixie).
        "postgresql": "ghcr.io/cloudnative-pg/postgresql:18.6-system-trixie",
        # CNCF Distribution, the Docker official image: docker-library/official-images
        # library/registry lists `Tags: 3.1.1, 3.1, 3, latest` (built by
        # distribution/distribution-library-image); distribution's release tags stop at
        # v3.1.1, and there is no 3.1.2. 3.1.1 fixed tag deletion while
        # storage.delete.enabled is false; the twuni chart still pins 3.0.0.
        "registry": "docker.io/library/registry:3.1.1",
    }
)


# The cluster autoscaler's image; the tag comes from AUTOSCALER_IMAGES or the stack.
AUTOSCALER_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler"
# LeaderWorkerSet's manager image; its tag follows the chart version (components/addons/lws.py).
LWS_REPOSITORY = "registry.k8s.io/lws/lws"


# The cluster autoscaler must run the release line of the cluster's Kubernetes minor version.
# Newest patch of each line as published by kubernetes/autoscaler (releases of 2026-07-23:
# cluster-autoscaler-1.33.6, -1.34.5, -1.35.2, -1.36.1).
AUTOSCALER_IMAGES: Mapping[str, str] = MappingProxyType(
    {"1.33": "v1.33.6", "1.34": "v1.34.5", "1.35": "v1.35.2", "1.36": "v1.36.1"}
)


# Images the pinned charts run at their own pin (the program sets no tag for them): chart
# key in CHARTS -> the image its version brings.
CHART_IMAGES: Mapping[str, str] = MappingProxyType(
    {
        "seaweedfs": "docker.io/chrislusf/seaweedfs:4.44",
        "valkey": "docker.io/valkey/valkey:9.1.1",
    }
)


def pinned_images() -> list[str]:
    """Every image reference the program pins, directly or through a chart version."""
    lws = CHARTS["lws"].version.removeprefix("v")
    return [
        *IMAGES.values(),
        *(f"{AUTOSCALER_REPOSITORY}:{tag}" for tag in AUTOSCALER_IMAGES.values()),
        f"{LWS_REPOSITORY}:v{lws}",
        *CHART_IMAGES.values(),
    ]


# For each pinned image, the upstream file that lists its tag: a pin is only as good as the
# place it was read from. tests/addons/test_versions.py refuses a pin without one.
IMAGE_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "ghcr.io/cloudnative-pg/postgresql:18.6-system-trixie": (
            # Lists 18.6-<build date>-system-trixie; 18.6-system-trixie is its rolling tag.
            "https://github.com/cloudnative-pg/artifacts/blob/main/image-catalogs/"
            "catalog-system-trixie.yaml"
        ),
        "docker.io/library/registry:3.1.1": (
            "https://github.com/docker-library/official-images/blob/master/library/registry"
        ),
        **{
            f"{AUTOSCALER_REPOSITORY}:{tag}": (
                "https://github.com/kubernetes/autoscaler/blob/cluster-autoscaler-"
                f"{tag.removeprefix('v')}/cluster-autoscaler/version/version.go"
            )
            for tag in ("v1.33.6", "v1.34.5", "v1.35.2", "v1.36.1")
        },
        "registry.k8s.io/lws/lws:v0.10.0": (
            "https://github.com/kubernetes-sigs/lws/blob/v0.10.0/site/content/en/docs/installation/"
            "_index.md"
        ),
        "docker.io/chrislusf/seaweedfs:4.44": (
            "https://github.com/seaweedfs/seaweedfs/blob/4.44/k8s/charts/seaweedfs/Chart.yaml"
        ),
        "docker.io/valkey/valkey:9.1.1": (
            "https://github.com/valkey-io/valkey-helm/blob/valkey-0.11.0/valkey/Chart.yaml"
        ),
    }
)


# Kubernetes minor versions (1.N -> N) each pinned add-on supports, from its own
# compatibility table; a platform that chooses the cluster's version keeps it inside the
# range of the add-ons it installs. An add-on missing here states no range.
KUBERNETES_MINORS: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        # keda.sh/docs/2.20/operate/cluster: "Kubernetes Compatibility", KEDA v2.20: 1.33-1.35.
        "keda": (33, 35),
    }
)


def kubernetes_minors(addons: Sequence[str]) -> tuple[int, int] | None:
    """The minor versions every add-on in `addons` supports: (lowest, highest), or None when
    none of them states a range."""
    ranges = [KUBERNETES_MINORS[a] for a in addons if a in KUBERNETES_MINORS]
    if not ranges:
        return None
    return max(r[0] for r in ranges), min(r[1] for r in ranges)
