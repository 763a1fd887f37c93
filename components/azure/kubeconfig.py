"""The kubeconfig the Kubernetes provider uses on AKS, and when it may first use it.

`listClusterUserCredential` with `format=exec` returns a kubelogin configuration in device
code mode (`get-token --environment AzurePublicCloud --server-id <AKS server app>
--client-id <AKS client app> --tenant-id <tenant> --login devicecode`): kubelogin would print
a code and wait for a person to enter it in a browser, under `pulumi up` where nobody sees
it, and Conditional Access blocks device code outright ("Use kubelogin to authenticate users
in AKS"). `with_login` rewrites the arguments the way `kubelogin convert-kubeconfig -l MODE`
does, for the modes that need no person at the keyboard.

Azure RBAC for Kubernetes applies a new role assignment only after it propagates (up to
about five minutes, "Use Azure RBAC for Kubernetes authorization"); until then the API server
answers 403 and the first namespace create fails. `after_rbac_applies` holds the kubeconfig
back until the newest assignment is that old (components/propagation.py, `after_created`,
says why Azure holds a value where GCP uses resource hooks). Every first use of a new role
assignment waits the same way: the registry warm-up's first pull through ACR
(components/azure/registry.py) waits for the kubelet's AcrPull and the credential set's Key
Vault reads.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import pulumi
import yaml

from components import propagation, waits

# kubelogin's AKS server application (the token audience), the same in every tenant.
AKS_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"

__all__ = [
    "AKS_SERVER_APP",
    "after_rbac_applies",
    "decode_kubeconfig",
    "with_login",
]


def decode_kubeconfig(value: str) -> str:
    return base64.b64decode(value).decode()


def _flag(args: Sequence[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return None


def login_args(args: Sequence[str], login: str, client_id: str | None) -> list[str]:
    """kubelogin get-token arguments for `login`, from the device-code ones AKS returns."""
    server_id = _flag(args, "--server-id") or AKS_SERVER_APP
    if login in ("azurecli", "workloadidentity"):
        # The tenant and client come from `az login` or from the federated token's env.
        return ["get-token", "--login", login, "--server-id", server_id]
    if login == "spn":
        tenant = _flag(args, "--tenant-id")
        if not tenant or not client_id:
            raise ValueError("kubelogin spn needs the tenant and the service principal's id")
        # The secret comes from AAD_SERVICE_PRINCIPAL_CLIENT_SECRET (or AZURE_CLIENT_SECRET).
        return [
            "get-token",
            "--login",
            "spn",
            "--environment",
            _flag(args, "--environment") or "AzurePublicCloud",
            "--server-id",
            server_id,
            "--client-id",
            client_id,
            "--tenant-id",
            tenant,
        ]
    raise ValueError(f"unknown kubelogin login mode {login!r}")


def with_login(kubeconfig: str, login: str, client_id: str | None = None) -> str:
    """The kubeconfig with every kubelogin user switched to `login`."""
    config: dict[str, Any] = yaml.safe_load(kubeconfig)
    converted = 0
    for user in config.get("users") or []:
        exec_ = (user.get("user") or {}).get("exec")
        if not exec_ or exec_.get("command") != "kubelogin":
            continue
        exec_["args"] = login_args(exec_.get("args") or [], login, client_id)
        # Never prompt: a prompt under `pulumi up` waits forever.
        exec_["interactiveMode"] = "Never"
        converted += 1
    if not converted:
        raise ValueError(
            "the AKS user kubeconfig has no kubelogin exec user; AKS changed its format "
            "(expected format=exec with command kubelogin)"
        )
    return yaml.safe_dump(config, sort_keys=False)


def after_rbac_applies(
    value: pulumi.Output[str],
    assignments: Sequence[Any],
    before: str = "the first Kubernetes call",
) -> pulumi.Output[str]:
    """`value`, released once these role assignments have propagated to Azure RBAC
    (real updates only); `before` says what waits."""
    return propagation.after_created(
        value,
        [a.created_on for a in assignments],
        waits.RBAC_PROPAGATION,
        f"new Azure role assignments (before {before})",
    )
