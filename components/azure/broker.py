"""Service Bus: the Celery broker on Azure. Local (SAS) auth off: every client signs in with
Entra. The server creates its queues at run time (the builder queue on declare, one per
async endpoint, one autoscaling queue per sync endpoint), so none are declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import servicebus

from components.azure import settings as az
from components.azure.alerts import AlertTarget, broker_rules, metric_alerts
from components.azure.common import ServiceArgs, stateful


@dataclass
class BrokerArgs(ServiceArgs):
    settings: az.ServiceBus
    namespace_name: pulumi.Input[str]
    # Where alerts go (None: none).
    alerts: AlertTarget | None = None


class Broker(pulumi.ComponentResource):
    namespace: servicebus.Namespace
    name: pulumi.Output[str]

    def __init__(self, name: str, args: BrokerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:azure:Broker", name, None, opts)
        cfg = args.settings
        premium = cfg.sku == "Premium"
        self.namespace = servicebus.Namespace(
            f"{name}-servicebus",
            namespace_name=args.namespace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=servicebus.SBSkuArgs(
                name=servicebus.SkuName(cfg.sku),
                tier=servicebus.SkuTier(cfg.sku),
                capacity=cfg.capacity if premium else None,
            ),
            disable_local_auth=True,
            minimum_tls_version="1.2",
            public_network_access="Disabled" if args.private and premium else "Enabled",
            premium_messaging_partitions=1 if premium else None,
            zone_redundant=True if premium else None,
            tags=dict(args.tags),
            opts=stateful(self, args.protect),
        )
        self.name = self.namespace.name
        if args.alerts is not None:
            metric_alerts(self, name, self.namespace.id, broker_rules(), args.alerts)
        self.register_outputs({"namespace": self.name})
