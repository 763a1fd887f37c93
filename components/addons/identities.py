"""The ServiceAccounts of add-ons that call the cloud, for the platform's workload identity.

A platform fills ``PlatformOutputs.addon_identities[<key>]`` with the annotations for these
ServiceAccounts; its trust policy (IRSA, Workload Identity, ...) must name exactly the
namespace and name returned here, which follow the stack's `addons` block.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.addons.settings import AddonsSettings

CLUSTER_AUTOSCALER = "cluster-autoscaler"
KEDA_OPERATOR = "keda-operator"
# Alertmanager (the prometheus chart's subchart) publishing to the stack's SNS topic on AWS.
ALERTMANAGER = "alertmanager"
ALERTMANAGER_SERVICE_ACCOUNT = "prometheus-alertmanager"


@dataclass(frozen=True)
class ServiceAccountRef:
    namespace: str
    name: str

    @property
    def subject(self) -> str:
        """The token subject a trust policy matches: system:serviceaccount:<ns>:<name>."""
        return f"system:serviceaccount:{self.namespace}:{self.name}"


def service_accounts(addons: AddonsSettings) -> dict[str, ServiceAccountRef]:
    """Key of `addon_identities` -> the ServiceAccount the add-on's chart creates."""
    return {
        CLUSTER_AUTOSCALER: ServiceAccountRef(
            addons.cluster_autoscaler.namespace, "cluster-autoscaler"
        ),
        KEDA_OPERATOR: ServiceAccountRef(addons.keda.namespace, "keda-operator"),
        ALERTMANAGER: ServiceAccountRef(addons.prometheus.namespace, ALERTMANAGER_SERVICE_ACCOUNT),
    }
