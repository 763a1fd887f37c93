"""ACR: the registry the server checks and endpoints pull inference images from.

Admin user and anonymous pull off; nodes pull through the kubelet identity (AcrPull), the
server reads tags through the control-plane identity (AcrPull). The server builds no images
on ACR (build_image raises NotImplementedError), so no build-cache repository is written.
Repository values are bare names under the login server (the chart's default paths).

With `azure.registry.upstream`, ACR artifact-cache rules fill the framework and batch
repositories from the operator's registry on first pull, and a Job pulls the tags listed in
`warm` through the cache before the chart installs: the server's image checks
(get_manifest_properties) see a cached image only after that first pull. A private upstream
gets an ACR credential set: its user name and token live in a Key Vault ACR can reach (`vault`,
chosen in platform.py), and the credential set's own identity may read those two secrets and
nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.azure import settings as az
from components.azure.common import ServiceArgs, child, grant, stateful, trim_name
from components.azure.kubeconfig import after_rbac_applies
from components.azure.vault import Vault
from components.model_engine.chart_facts import INFERENCE_REPOSITORIES, TAGGED_REPOSITORIES
from components.sdk import lazy
from components.warm_up import pull_container, warm_up_job

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
    from pulumi_azure_native import containerregistry
else:
    k8s = lazy("pulumi_kubernetes")
    containerregistry = lazy("pulumi_azure_native.containerregistry")


def registry_prefix(registry_name: str) -> str:
    """The registry's login server, the chart's docker_repo_prefix, as ACR forms it; once the
    registry exists the component reads it from the resource."""
    return f"{registry_name}.azurecr.io"


def repository_names() -> dict[str, str]:
    """Chart launch key -> repository name under the login server (the chart's paths)."""
    return dict(INFERENCE_REPOSITORIES)


def cache_sources(cfg: az.Registry) -> dict[str, str]:
    """Chart key -> upstream repository a cache rule reads (none without upstream)."""
    upstream = cfg.upstream
    if upstream is None:
        return {}
    names = repository_names()
    return {key: f"{upstream.url}/{names[key]}" for key in TAGGED_REPOSITORIES}


def cache_rule_name(key: str) -> str:
    """Cache rule names: 5-50 letters, digits and hyphens."""
    return trim_name("me-" + key.removesuffix("_repository").replace("_", "-"), 50)


@dataclass
class RegistryArgs(ServiceArgs):
    settings: az.Registry
    registry_name: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    # Where a private upstream's credentials are kept, and its token (config secret).
    vault: Vault
    upstream_token: pulumi.Output[str] | None = None


# Key Vault secrets of the upstream's credential set.
UPSTREAM_USERNAME_SECRET = "registry-upstream-username"
UPSTREAM_TOKEN_SECRET = "registry-upstream-token"
CREDENTIAL_SET = "upstream"


class Registry(pulumi.ComponentResource):
    registry: containerregistry.Registry
    login_server: pulumi.Output[str]
    names: dict[str, str]
    cache_rules: list[containerregistry.CacheRule]
    credential_set: containerregistry.CredentialSet | None
    # The credential set identity's reads of the upstream secrets (empty: no credential set).
    credential_grants: list[pulumi.Resource]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:azure:Registry", name, None, opts)
        cfg = args.settings
        premium = cfg.sku == "Premium"
        self.registry = containerregistry.Registry(
            f"{name}-acr",
            registry_name=args.registry_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=containerregistry.SkuArgs(name=cfg.sku),
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            public_network_access="Disabled" if args.private else "Enabled",
            network_rule_bypass_options="AzureServices",
            zone_redundancy="Enabled" if premium else "Disabled",
            tags=dict(args.tags),
            opts=stateful(self, args.protect),
        )
        self.login_server = self.registry.login_server
        self.names = repository_names()
        self.credential_set, self.credential_grants = self._credentials(name, args)
        self.cache_rules = [
            containerregistry.CacheRule(
                f"{name}-cache-{cache_rule_name(key)}",
                cache_rule_name=cache_rule_name(key),
                registry_name=self.registry.name,
                resource_group_name=args.resource_group_name,
                source_repository=source,
                target_repository=self.names[key],
                credential_set_resource_id=self.credential_set.id if self.credential_set else None,
                opts=child(self, depends_on=self.credential_grants),
            )
            for key, source in sorted(cache_sources(cfg).items())
        ]
        self.register_outputs({"login_server": self.login_server, "repositories": dict(self.names)})

    def _credentials(
        self, name: str, args: RegistryArgs
    ) -> tuple[containerregistry.CredentialSet | None, list[pulumi.Resource]]:
        """A credential set for a private upstream, and the grants it needs to be usable."""
        upstream = args.settings.upstream
        if upstream is None or upstream.username is None:
            return None, []
        assert args.upstream_token is not None, "check() requires the token for a username"
        username = args.vault.store(
            f"{name}-upstream-username",
            UPSTREAM_USERNAME_SECRET,
            pulumi.Output.from_input(upstream.username),
        )
        token = args.vault.store(
            f"{name}-upstream-token", UPSTREAM_TOKEN_SECRET, args.upstream_token
        )
        credential_set = containerregistry.CredentialSet(
            f"{name}-credential-set",
            credential_set_name=CREDENTIAL_SET,
            registry_name=self.registry.name,
            resource_group_name=args.resource_group_name,
            login_server=upstream.host,
            identity=containerregistry.IdentityPropertiesArgs(
                type=containerregistry.ResourceIdentityType.SYSTEM_ASSIGNED
            ),
            auth_credentials=[
                containerregistry.AuthCredentialArgs(
                    name=containerregistry.CredentialName.CREDENTIAL1,
                    username_secret_identifier=username.properties.secret_uri,
                    password_secret_identifier=token.properties.secret_uri,
                )
            ],
            opts=child(self),
        )
        principal = credential_set.identity.apply(lambda i: (i.principal_id if i else None) or "")
        grants: list[pulumi.Resource] = [
            grant(
                self,
                f"{name}-credential-set-reads-{label}",
                role="Key Vault Secrets User",
                scope=secret.id,
                principal_id=principal,
                subscription_id=args.subscription_id,
            )
            for label, secret in (("username", username), ("token", token))
        ]
        return credential_set, grants

    def warm_up(
        self,
        name: str,
        cfg: az.Registry,
        provider: k8s.Provider,
        pull_grants: Sequence[pulumi.Resource],
        depends_on: Sequence[pulumi.Resource],
    ) -> k8s.batch.v1.Job | None:
        """Pull the `warm` tags through the cache rules once, before the chart installs.

        The Job's pulls are the first use of the nodes' AcrPull (`pull_grants`) and of the
        credential set's Key Vault reads: created is not applied (Azure RBAC propagates in
        up to minutes), and a pull before then fails. Its image names wait for them the way
        the kubeconfig waits for the cluster roles. Nothing else pulls through ACR before
        the chart installs (the chart's own images are public; endpoints come later)."""
        if cfg.upstream is None or not cfg.upstream.warm:
            return None
        grants = [*pull_grants, *self.credential_grants]
        login_server = after_rbac_applies(
            self.login_server, grants, before="the registry warm-up pulls through ACR"
        )
        containers = [
            pull_container(
                key.replace("_", "-")[:63],
                pulumi.Output.concat(login_server, "/", self.names[key], ":", tag),
            )
            for key, tag in sorted(cfg.upstream.warm.items())
        ]
        return warm_up_job(
            f"{name}-warm-up",
            containers,
            parent=self,
            provider=provider,
            depends_on=[*self.cache_rules, *grants, *depends_on],
            repositories=sorted(cfg.upstream.warm),
        )
