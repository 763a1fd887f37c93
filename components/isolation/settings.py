"""The stack's `isolation` block."""

from __future__ import annotations

import ipaddress

from pydantic import field_validator

from components.settings_base import Model, validate_http_url


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
