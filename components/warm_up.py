"""The registry warm-up Job every cloud with a pull-through cache runs once before the chart
installs: it pulls the images the server checks for, so the cache holds them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pulumi

from components import accelerators, waits
from components.sdk import lazy

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")

# Where the warm-up Job runs: it only pulls images, never starts their entrypoints.
WARMUP_NAMESPACE = "default"


def pull_container(name: str, image: pulumi.Input[str]) -> k8s.core.v1.ContainerArgs:
    return k8s.core.v1.ContainerArgs(
        name=name,
        image=image,
        # Pulling is the point; the image's own entrypoint never runs.
        command=["/bin/sh", "-c", "exit 0"],
        resources=k8s.core.v1.ResourceRequirementsArgs(requests={"cpu": "10m", "memory": "16Mi"}),
    )


def warm_up_job(
    resource_name: str,
    containers: Sequence[k8s.core.v1.ContainerArgs],
    *,
    parent: pulumi.Resource,
    provider: k8s.Provider,
    depends_on: Sequence[pulumi.Resource],
    repositories: Sequence[str],
) -> k8s.batch.v1.Job:
    """One Job whose containers each pull one image (of `repositories`, one per container),
    on a node of the CPU pool (label `cpu-only: "true"`, which every cloud's CPU pool carries
    and no system or GPU node does): the images take tens of GB of disk, which the CPU pool's
    disk is checked to hold (waits.warm_up_disk_problems), a system node's is not.
    pulumi-kubernetes would fail the Job after its default 10 minutes; its deadline and
    timeout come from the images' worst case (components/waits.py).
    The pod tolerates no taint, so it never lands on (or scales up) a tainted GPU node."""
    if len(repositories) != len(containers):
        raise ValueError(
            f"warm-up {resource_name}: {len(containers)} containers but {len(repositories)} "
            "repositories; name one repository per pulled image so its timeout counts it"
        )
    budget = waits.warm_up(repositories)
    return k8s.batch.v1.Job(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            namespace=WARMUP_NAMESPACE,
            labels={"app.kubernetes.io/part-of": "model-engine"},
        ),
        spec=k8s.batch.v1.JobSpecArgs(
            backoff_limit=3,
            # A missing tag stays in ImagePullBackOff: the deadline turns it into a failure.
            active_deadline_seconds=budget.active_deadline_s,
            template=k8s.core.v1.PodTemplateSpecArgs(
                spec=k8s.core.v1.PodSpecArgs(
                    restart_policy="Never",
                    node_selector={accelerators.CPU_ONLY_LABEL: "true"},
                    containers=list(containers),
                )
            ),
        ),
        opts=pulumi.ResourceOptions(
            parent=parent,
            provider=provider,
            depends_on=list(depends_on),
            custom_timeouts=budget.custom_timeouts,
        ),
    )
