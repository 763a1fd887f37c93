"""The README documents every stack key an operator can write."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from components.platforms import PLATFORMS
from components.settings import stack_settings_schema
from tests.conftest import ROOT


def _keys(model: type[BaseModel], prefix: str, depth: int) -> list[str]:
    out: list[str] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        out.append(prefix + key)
        if depth < 2:
            annotation: Any = field.annotation
            for candidate in (annotation, *getattr(annotation, "__args__", ())):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    out += _keys(candidate, f"{prefix}{key}.", depth + 1)
    return out


def _stack_keys() -> list[str]:
    """Every key a stack file can set, on any cloud (a cloud's schema holds its block only)."""
    keys: dict[str, None] = {}
    for cloud in PLATFORMS:
        keys.update(dict.fromkeys(_keys(stack_settings_schema(PLATFORMS.values(), cloud), "", 0)))
    return list(keys)


def test_every_stack_key_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [k for k in _stack_keys() if k.rsplit(".", 1)[-1] not in readme]
    assert not missing, missing


def test_deploy_guide_checks_out_the_pinned_chart() -> None:
    from components.model_engine.chart_facts import PINNED_COMMIT

    readme = (ROOT / "README.md").read_text()
    assert f"git -C ../llm-engine checkout {PINNED_COMMIT}" in readme


def _step(readme: str, number: int) -> str:
    start = readme.index(f"\n{number}. **")
    return readme[start : readme.index(f"\n{number + 1}. **", start)]


def test_deploy_from_ci_has_the_gcp_owner_first_up_as_a_step() -> None:
    # The deploy identity cannot create the custom role (bootstrap/ci_trust/gcp.py holds only
    # roles/iam.roleViewer), so the first `up` by an owner is a step of its own.
    from bootstrap.ci_trust.gcp import DEPLOY_PROJECT_ROLES

    assert "roles/iam.roleAdmin" not in DEPLOY_PROJECT_ROLES
    step = _step((ROOT / "README.md").read_text(), 7)
    assert "project owner" in step and "first `up`" in step


def test_deploy_from_ci_names_the_api_allowlist_of_every_cloud() -> None:
    # GitHub-hosted runners have no fixed addresses: on every cloud the cluster API admits
    # only listed networks (empty: private), so CI needs a runner inside or a fixed egress.
    keys = set(_stack_keys())
    step = _step((ROOT / "README.md").read_text(), 8)
    assert "self-hosted runner" in step and "fixed egress" in step
    for key in (
        "aws.cluster.publicAccessCidrs",
        "azure.cluster.authorizedIpRanges",
        "gcp.cluster.masterAuthorizedNetworks",
    ):
        assert key in keys, key  # a real stack key
        assert f"`{key}`" in step, key


def test_deploy_from_ci_signs_kubelogin_in_with_the_refreshed_token_file_on_azure() -> None:
    # `az`'s session from azure/login expires minutes into an `up` (Azure/azure-cli#28708):
    # CI's Azure stacks use workload identity, which reads the file cloud-login keeps fresh.
    from typing import get_args

    from components.azure.settings import Cluster

    login = Cluster.model_fields["deployer_login"]
    assert login.alias == "deployerLogin"
    assert "workloadidentity" in get_args(login.annotation)
    readme = (ROOT / "README.md").read_text()
    assert "| azure | `azure.cluster.deployerLogin` | `workloadidentity` |" in _step(readme, 6)
    step = _step(readme, 8)
    script = (ROOT / ".github/actions/cloud-login/federated-token.sh").read_text()
    interval = re.search(r"REFRESH_SECONDS:-(\d+)", script)
    assert interval
    assert f"every {int(interval[1]) // 60} minutes" in step and "`federated-token.sh`" in step
