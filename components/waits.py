"""Every wait the program asks Pulumi or Helm for, with its timeout and the worst case a
healthy cluster needs: one place, so a review sees them side by side and the tests check
that each timeout exceeds its worst case (tests/test_waits.py).

A wait that times out on a healthy cluster fails `pulumi up` half-way (and an atomic Release
rolls back), so each timeout here is the worst case plus a margin, never a provider default.
None of these waits depends on GPU capacity: the warm-up Job runs on the CPU pool
(components/warm_up.py), the Releases' pods and the PostgreSQL cluster run there too, and the
balloons a Release waits for run only on nodes their pool starts with (components/fit.py,
`balloon_problems`).

Provider defaults these replace: pulumi-kubernetes awaits a Job, or a custom resource given
`pulumi.com/waitFor`, for 10 minutes (provider/pkg/await: DefaultTimeout... of 10 minutes
unless `customTimeouts` or `pulumi.com/timeoutSeconds` says otherwise); a helm.v3.Release
waits `timeout` seconds (default 300).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import pulumi


@dataclass(frozen=True)
class Wait:
    """What the program waits for, how long a healthy cluster may take, what it allows."""

    what: str
    worst_case_s: int
    timeout_s: int
    # Why the worst case is what it is.
    reasoning: str


def minutes(seconds: int) -> str:
    """A Go duration Pulumi's customTimeouts accept, rounded up to whole minutes."""
    return f"{math.ceil(seconds / 60)}m"


# --- pulling images through a cold cache ----------------------------------------------
# Upper bounds of the compressed size (GB) of one inference image per repository the
# warm-up may pull. vllm/vllm-openai is about 12 GB compressed (vllm-project/vllm issue
# 27154, 2025-10; 28.6 GB unpacked per PR 22377); the other frameworks' CUDA images are of
# the same make (CUDA, PyTorch or TensorRT, NCCL), and TensorRT-LLM's Triton images are the
# largest. Bounds, not measurements: a larger tag makes the warm-up fail clearly at its
# deadline rather than hang.
IMAGE_COMPRESSED_GB: Mapping[str, float] = MappingProxyType(
    {
        "vllm_repository": 15,
        "batch_inference_vllm_repository": 15,
        "sglang_repository": 15,
        "tgi_repository": 10,
        "lightllm_repository": 15,
        "tensorrt_llm_repository": 25,
    }
)
# Any repository not above (the model-engine image, user bases): the largest bound.
DEFAULT_IMAGE_GB = 25.0
# A cold pull-through cache (ECR pull-through cache, ACR cache rule) fetches each layer from
# the upstream while it serves the pull, so the first pull runs at the upstream's rate to
# one client. Docker Hub, ghcr.io and nvcr.io publish no per-client rate; 20 MB/s is a
# pessimistic floor (a home connection pulls faster), so the budget errs long.
COLD_CACHE_MBPS = 20.0
# containerd unpacks (gunzip + write) each layer after it lands, serially with the next
# pull in the worst case, and gunzips on one core: containerd/containerd#13559 measures Go's
# gzip inflating a 2.7 GiB layer in 30-35 s on server cores (about 80-95 MB/s of compressed
# input) and 70 s on a laptop (about 40 MB/s); klauspost/pgzip#59 reports a 150 GB image
# taking 60 minutes with it (about 42 MB/s). 50 MB/s sits at the slow end. One place: the
# cold-start estimate (plan/coldstart.py) uses it too.
UNPACK_MBPS = 50.0
# The kubelet pulls a pod's images one after another (serializeImagePulls defaults to true),
# so one Job pod's pulls add up. Scheduling the pod, on CPU nodes the platform already
# waited for, and the Job's own bookkeeping: a few minutes at most.
SCHEDULE_S = 300
# The deadline above the worst case before the Job fails (a clear error), and the Pulumi
# timeout above that (so the Job's own failure, with its reason, is what the deployer sees).
DEADLINE_MARGIN = 1.25
TIMEOUT_MARGIN_S = 600


# What one image takes on the node's disk per GB compressed: containerd keeps the compressed
# layers in its content store and the unpacked snapshot beside them. vLLM's 12 GB compressed
# unpack to 28.6 GB (the sources above), 2.4 times.
UNPACKED_RATIO = 28.6 / 12
# The CPU node's disk before any image: the OS, kubelet and the add-ons' images.
CPU_NODE_BASE_GB = 30.0
# The kubelet evicts pods below 10% free nodefs/imagefs (its hard eviction default).
EVICTION_FREE = 0.10


def warm_up_disk_gb(repositories: Sequence[str]) -> float:
    """The disk the warm-up's images take on the node that pulls them, worst case."""
    return sum(image_gb(r) * (1 + UNPACKED_RATIO) for r in repositories)


def warm_up_disk_problems(repositories: Sequence[str], disk_gb: float, key: str) -> list[str]:
    """The CPU pool's disk (where the warm-up Job runs) must hold the warmed images above the
    kubelet's eviction threshold, or the Job's pod is evicted and the warm-up fails."""
    need = CPU_NODE_BASE_GB + warm_up_disk_gb(repositories)
    room = disk_gb * (1 - EVICTION_FREE)
    if not repositories or need <= room:
        return []
    return [
        f"{key}: the registry warm-up pulls {len(repositories)} image(s) onto a CPU-pool node, "
        f"about {need:.0f} GB with the OS, but a {disk_gb:g} GB disk leaves {room:.0f} GB "
        f"before the kubelet evicts; raise it to {math.ceil(need / (1 - EVICTION_FREE))} GB "
        "or more, or warm fewer tags"
    ]


def pull_seconds(gb: float) -> float:
    """One image's cold pull and unpack, worst case."""
    return gb * 1000 / COLD_CACHE_MBPS + gb * 1000 / UNPACK_MBPS


def image_gb(repository: str) -> float:
    return IMAGE_COMPRESSED_GB.get(repository, DEFAULT_IMAGE_GB)


@dataclass(frozen=True)
class WarmUp:
    wait: Wait
    # The Job's activeDeadlineSeconds: past it the Job fails (a wrong tag stays in
    # ImagePullBackOff and would otherwise never fail).
    active_deadline_s: int

    @property
    def custom_timeouts(self) -> pulumi.CustomTimeouts:
        t = minutes(self.wait.timeout_s)
        return pulumi.CustomTimeouts(create=t, update=t)


def warm_up(repositories: Sequence[str]) -> WarmUp:
    """The warm-up Job's budget for pulling one image of each of `repositories`."""
    worst = SCHEDULE_S + sum(pull_seconds(image_gb(r)) for r in repositories)
    deadline = math.ceil(worst * DEADLINE_MARGIN)
    return WarmUp(
        Wait(
            "registry warm-up Job",
            math.ceil(worst),
            deadline + TIMEOUT_MARGIN_S,
            f"{len(repositories)} image(s), {sum(image_gb(r) for r in repositories):g} GB "
            f"compressed at most, pulled one after another through a cold cache at "
            f"{COLD_CACHE_MBPS:g} MB/s and unpacked at {UNPACK_MBPS:g} MB/s, plus "
            f"{SCHEDULE_S} s to schedule",
        ),
        deadline,
    )


# --- Helm Releases ----------------------------------------------------------------------
# The model-engine chart: its pre-install/pre-upgrade database migration hook may use its
# whole 600 s activeDeadlineSeconds (the chart's database_migration_job.yaml), then the
# gateway, builder and cacher Deployments pull the model-engine image (about 2 GB
# compressed; 5 GB bounds it) through the cache on CPU nodes, and the balloons start on GPU
# nodes their pool already has (the balloon rule); plus readiness probes and rollout.
MIGRATION_HOOK_S = 600
MODEL_ENGINE_IMAGE_GB = 5.0
ROLLOUT_S = 300
MODEL_ENGINE_RELEASE_WORST_S = (
    MIGRATION_HOOK_S + math.ceil(pull_seconds(MODEL_ENGINE_IMAGE_GB)) + ROLLOUT_S
)
# The stack's chart.timeoutSeconds default, and the least it may be set to.
MODEL_ENGINE_RELEASE_TIMEOUT_S = 1800
MODEL_ENGINE_RELEASE_MIN_TIMEOUT_S = MODEL_ENGINE_RELEASE_WORST_S + 60

# Add-on charts (Istio, KEDA, Prometheus, the NVIDIA plugin or operator, the autoscaler,
# LeaderWorkerSet, the in-cluster stores' operators): Helm waits for their Deployments,
# StatefulSets and DaemonSets on CPU nodes, and for a LoadBalancer Service's address (the
# Istio gateway). Their images are hundreds of MB from public registries (a minute or two);
# a cloud load balancer's address comes in 1-3 minutes, and on AKS only once the cluster
# identity's Network Contributor grant has propagated (up to about 5 minutes, see
# RBAC_PROPAGATION); PVC-backed StatefulSets wait for a disk attach (about a minute).
ADDON_RELEASE_WORST_S = 120 + 300 + 60 + SCHEDULE_S
ADDON_RELEASE_TIMEOUT_S = 1200

# CloudNativePG's Cluster (components/incluster/postgres.py): Ready once the primary and
# every replica run. Each instance pulls the PostgreSQL image (about 150 MB), binds a PVC
# (a disk attach, about a minute) and, for replicas, clones the primary with pg_basebackup,
# one replica after another: a fresh database is small, so a few minutes per instance.
POSTGRES_INSTANCE_S = 300
POSTGRES_MAX_INSTANCES = 3
POSTGRES_READY_WORST_S = SCHEDULE_S + POSTGRES_INSTANCE_S * POSTGRES_MAX_INSTANCES
POSTGRES_READY_TIMEOUT_S = 1800

# Azure RBAC for Kubernetes applies a new role assignment after it propagates: "up to about
# five minutes" (Microsoft Learn, "Use Azure RBAC for Kubernetes authorization"); the
# kubeconfig is held back for this long after the newest assignment (components/azure/
# kubeconfig.py), with a minute of margin. How each cloud holds what needs a grant:
# components/propagation.py.
RBAC_PROPAGATION_WORST = datetime.timedelta(minutes=5)
RBAC_PROPAGATION = RBAC_PROPAGATION_WORST + datetime.timedelta(minutes=1)

# Google Cloud IAM: policy changes "typically propagate in 2 minutes, but could potentially
# take 7 minutes or longer" (cloud.google.com/iam/docs/access-change-propagation). GKE checks
# at creation that its service agent may use the Secrets key, so the cluster's creation waits
# this long after that grant is made in the same run (components/gcp/cluster.py), with the
# same minute of margin as Azure's hold above. Seven minutes is Google's stated figure, not a
# bound: a grant slower still fails GKE's create, and a rerun (the grant made, no hold)
# goes through.
GCP_IAM_PROPAGATION_WORST = datetime.timedelta(minutes=7)
GCP_IAM_PROPAGATION = GCP_IAM_PROPAGATION_WORST + datetime.timedelta(minutes=1)


def fixed() -> list[Wait]:
    """The waits whose budget does not depend on the stack (the warm-up's does)."""
    return [
        Wait(
            "model-engine Release",
            MODEL_ENGINE_RELEASE_WORST_S,
            MODEL_ENGINE_RELEASE_TIMEOUT_S,
            "migration hook deadline, the model-engine image through a cold cache, rollout",
        ),
        Wait(
            "add-on Releases",
            ADDON_RELEASE_WORST_S,
            ADDON_RELEASE_TIMEOUT_S,
            "public images, a load balancer's address, a disk attach, scheduling",
        ),
        Wait(
            "CloudNativePG Cluster Ready",
            POSTGRES_READY_WORST_S,
            POSTGRES_READY_TIMEOUT_S,
            f"{POSTGRES_MAX_INSTANCES} instances one after another, image, PVC and clone",
        ),
        Wait(
            "Azure RBAC propagation before the first Kubernetes call",
            int(RBAC_PROPAGATION_WORST.total_seconds()),
            int(RBAC_PROPAGATION.total_seconds()),
            "Microsoft documents up to about five minutes",
        ),
        Wait(
            "GCP IAM propagation of the GKE service agent's key grant before the cluster",
            int(GCP_IAM_PROPAGATION_WORST.total_seconds()),
            int(GCP_IAM_PROPAGATION.total_seconds()),
            "Google documents typically 2 minutes, potentially 7 or longer",
        ),
    ]
