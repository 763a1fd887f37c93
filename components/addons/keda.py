"""KEDA: scale-from-zero for sync endpoints (ScaledObjects the server creates) and the
TriggerAuthentication the chart renders when Redis needs a password.

That TriggerAuthentication reads the password from AWS Secrets Manager with KEDA's `aws`
pod identity, i.e. as the keda-operator ServiceAccount; the platform's workload identity
for it arrives as `addon_identities["keda-operator"]`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi

from components.addons import identities
from components.addons.base import AddonContext, helm_release
from components.contract import PlatformFacts
from components.sdk import lazy

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
else:
    k8s = lazy("pulumi_kubernetes")


def renders_trigger_authentication(facts: PlatformFacts) -> bool:
    """trigger_authentication.yaml: Azure always, elsewhere when Redis auth is on."""
    return facts.cloud_provider == "azure" or facts.cache.auth


# Workload-identity annotation on Azure: the KEDA chart writes it itself from
# podIdentity.azureWorkload.clientId, together with the pod label the webhook needs.
AZURE_CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"


# kedacore/charts v2.20.2 keda/values.yaml prometheus.operator.port.
OPERATOR_METRICS_PORT = 8080


def keda_values(ctx: AddonContext) -> dict[str, Any]:
    operator_sa = identities.service_accounts(ctx.settings.addons)[identities.KEDA_OPERATOR]
    annotations = dict(ctx.platform.addon_identities.get(identities.KEDA_OPERATOR, {}))
    azure_client_id = annotations.pop(AZURE_CLIENT_ID_ANNOTATION, None)
    values: dict[str, Any] = {
        "clusterName": ctx.platform.facts.cluster_name,
        "serviceAccount": {
            "operator": {"name": operator_sa.name, "annotations": annotations},
        },
        # The operator's metrics (keda_scaler_detail_errors_total, read by the alert rules in
        # components/addons/alert_rules.py), scraped by the prometheus chart's kubernetes-pods
        # job through the annotations.
        "prometheus": {"operator": {"enabled": True, "port": OPERATOR_METRICS_PORT}},
        "podAnnotations": {
            "keda": {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": str(OPERATOR_METRICS_PORT),
            }
        },
    }
    # Azure: the chart's TriggerAuthentication uses provider azure-workload with the
    # control-plane client id; the operator pod needs the workload-identity label so the
    # webhook injects the federated token it exchanges for that identity.
    if azure_client_id is not None:
        values["podIdentity"] = {"azureWorkload": {"enabled": True, "clientId": azure_client_id}}
    return values


class Keda(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, ctx: AddonContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:addons:Keda", name, None, opts)
        cfg = ctx.settings.addons.keda
        self.release = helm_release(
            f"{name}-release",
            "keda",
            ctx=ctx,
            parent=self,
            release_name="keda",
            namespace=cfg.namespace,
            values=keda_values(ctx),
            overrides=cfg.values,
            version=cfg.version,
        )
        self.register_outputs({"release": self.release.name})
