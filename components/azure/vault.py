"""Key Vault: RBAC authorization (no access policies), soft delete, purge protection. Holds
the generated credentials (the PostgreSQL password); the chart names the vault
(azure.keyvault_name) and the control-plane identity may read its secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.azure import settings as az
from components.azure.common import ServiceArgs, child, stateful
from components.sdk import lazy

if TYPE_CHECKING:
    from pulumi_azure_native import keyvault
else:
    keyvault = lazy("pulumi_azure_native.keyvault")

DATABASE_PASSWORD_SECRET = "database-password"


@dataclass
class VaultArgs(ServiceArgs):
    settings: az.KeyVault
    vault_name: pulumi.Input[str]
    tenant_id: pulumi.Input[str]


class Vault(pulumi.ComponentResource):
    vault: keyvault.Vault
    name: pulumi.Output[str]

    def __init__(self, name: str, args: VaultArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:azure:Vault", name, None, opts)
        self._rg = args.resource_group_name
        self.vault = keyvault.Vault(
            f"{name}-kv",
            vault_name=args.vault_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=keyvault.SkuArgs(family="A", name=keyvault.SkuName.STANDARD),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=args.settings.soft_delete_retention_days,
                enable_purge_protection=True,
                public_network_access="Disabled" if args.private else "Enabled",
                network_acls=keyvault.NetworkRuleSetArgs(
                    bypass="AzureServices", default_action="Deny" if args.private else "Allow"
                ),
            ),
            tags=dict(args.tags),
            opts=stateful(self, args.protect),
        )
        self.name = self.vault.name
        self.register_outputs({"name": self.name})

    def store(self, name: str, secret_name: str, value: pulumi.Output[str]) -> keyvault.Secret:
        return keyvault.Secret(
            name,
            secret_name=secret_name,
            vault_name=self.vault.name,
            resource_group_name=self._rg,
            properties=keyvault.SecretPropertiesArgs(value=pulumi.Output.secret(value)),
            opts=child(self),
        )
