"""ExistingPlatform: a cluster the operator has, with each backing service theirs or ours.

Each of PostgreSQL, Redis, object storage and the registry is either the operator's (the
`existing` block's host keys; credentials from config secrets) or installed in the cluster
by components/incluster (the block's `install` key; credentials generated). Either way the
facts are known from the stack file alone: an in-cluster service's address is its Service's
DNS name. The chart runs with cloud_provider `onprem` and Redis as the Celery broker.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components import settings_loader as stack
from components.contract import (
    Credentials,
    PlatformOutputs,
)
from components.existing.facts import (
    STORAGE_KEYS,
    _cfg,
    gpu_pools,
    preview_facts,
)
from components.incluster.services import InClusterServices, InClusterServicesArgs
from components.platform import PlatformArgs


class ExistingPlatform(pulumi.ComponentResource):
    outputs: PlatformOutputs

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:existing:Platform", name, None, opts)
        settings = args.settings
        cfg = _cfg(settings)
        provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=cfg.kubeconfig,
            context=cfg.context,
            opts=pulumi.ResourceOptions(parent=self),
        )
        services = InClusterServices(
            f"{name}-data",
            InClusterServicesArgs(settings=settings, provider=provider),
            opts=pulumi.ResourceOptions(parent=self),
        )
        password = services.database_password or stack.secret("databasePassword")
        assert password is not None, "check ran before"
        env_secrets = services.storage_keys or {
            env: value
            for key, env in STORAGE_KEYS.items()
            if (value := stack.secret(key)) is not None
        }
        self.outputs = PlatformOutputs(
            kubernetes_provider=provider,
            facts=preview_facts(settings),
            credentials=Credentials(database_password=password, env=env_secrets),
            gpu_pools=gpu_pools(settings),
            # The chart's migration hook needs the database; its pods the rest.
            chart_depends_on=services.ready,
        )
        self.register_outputs({"cluster_name": cfg.cluster_name})
