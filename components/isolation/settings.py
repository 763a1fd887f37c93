"""The stack's `isolation` block."""

from __future__ import annotations

import ipaddress
import re

from pydantic import field_validator

from components.settings_base import Model, dns_label, validate_http_url

# A SPIFFE trust domain as Istio writes it in principals: lower-case letters, digits, '.',
# '-' and '_', no '/' (it is the first segment of `<trustDomain>/ns/<ns>/sa/<sa>`).
_TRUST_DOMAIN = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


class GatewayAuth(Model):
    """The operator's OIDC issuer: the gateway admits only requests with a valid token from it
    (Istio RequestAuthentication + AuthorizationPolicy on the gateway's pods)."""

    issuer: str
    jwks_uri: str
    # The token's `aud` must name one of these.
    audiences: list[str]

    _urls = field_validator("issuer", "jwks_uri")(validate_http_url)

    @field_validator("audiences")
    @classmethod
    def _audiences(cls, v: list[str]) -> list[str]:
        if not v or not all(a.strip() for a in v):
            raise ValueError("name at least one audience, e.g. [model-engine]")
        return v


class PrivateEgress(Model):
    """A private destination endpoint pods need that the program cannot see (an existing
    cluster's own object store or Redis on a private address)."""

    cidr: str
    ports: list[int]

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            ipaddress.ip_network(v)
        except ValueError as e:
            raise ValueError(f"{v!r} is not a CIDR (e.g. 10.20.0.0/24): {e}") from None
        return v

    @field_validator("ports")
    @classmethod
    def _ports(cls, v: list[int]) -> list[int]:
        if not v or not all(1 <= p <= 65535 for p in v):
            raise ValueError("name the ports, 1-65535, e.g. [443]")
        return v


class Isolation(Model):
    # Default deny and the allow-list in the endpoint namespace, STRICT mTLS and the mesh
    # authorization there. Off only for a cluster where something else fences user code.
    enabled: bool = True
    # Unset: the server's own authentication, which accepts any basic-auth user (a finding).
    gateway_auth: GatewayAuth | None = None
    # cloud `existing` only: whether the cluster's CNI enforces NetworkPolicy (Calico, Cilium,
    # ...). Unset or false: the plan says what is not isolated. The managed clouds' clusters
    # enforce it as the program creates them.
    cni_enforces_network_policy: bool | None = None
    # Private destinations endpoint pods may reach besides what the program knows of (the
    # private ranges are otherwise denied to them): your object store on a private address.
    private_egress: list[PrivateEgress] = []
    # The cluster's own Istio (addons.istio.enabled: false): the namespace its istiod runs in
    # (endpoint pods' sidecars reach it on 15012) and its trust domain (the principals the
    # AuthorizationPolicies name). Unset: what the program installs (istio-system, and
    # addons.istio.values.meshConfig.trustDomain or cluster.local).
    istiod_namespace: str | None = None
    trust_domain: str | None = None
    # Required with `enabled: false`: what fences the endpoint namespace instead (the plan
    # reports it; the policy pack's default-deny rule then only advises).
    disabled_because: str | None = None

    @field_validator("istiod_namespace")
    @classmethod
    def _istiod_namespace(cls, v: str | None) -> str | None:
        return v if v is None else dns_label(v)

    @field_validator("trust_domain")
    @classmethod
    def _trust_domain(cls, v: str | None) -> str | None:
        if v is not None and not _TRUST_DOMAIN.match(v):
            raise ValueError(
                f"{v!r} is not a trust domain: lower-case letters, digits, '.', '-' and '_', "
                "e.g. cluster.local or my-project.svc.id.goog"
            )
        return v
