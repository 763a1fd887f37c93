"""The CI-trust stack's input: a mistake fails before any resource, naming the key."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pytest

from bootstrap.ci_trust.program import main
from bootstrap.ci_trust.settings import PROJECT
from plan.simulator import RecordedResource, run_program
from tests.ci_trust.test_trust import CONFIG


def problems(config: dict[str, Any]) -> tuple[str, list[RecordedResource]]:
    recorded: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as err:
        run_program(
            {f"{PROJECT}:{k}": v for k, v in config.items()}, program=main, recorded=recorded
        )
    return str(err.value), recorded


def with_(path: str, value: Any) -> dict[str, Any]:
    config = copy.deepcopy(CONFIG)
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return config


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "github.repository",
            "model-engine-infra",
            "github.repository: 'model-engine-infra' is not owner/name",
        ),
        ("github.repository", None, "github.repository: required but not set"),
        (
            "github.deployEnvironment",
            "prod*",
            "github.deployEnvironment: 'prod*' must be a plain name",
        ),
        (
            "github.previewEnvironment",
            "prod-approved",
            "github: previewEnvironment, driftEnvironment and deployEnvironment must differ",
        ),
        ("github.defaultBranch", "main", "github.defaultBranch: unknown key"),
        ("gcp.environments", None, "gcp.environments: required but not set"),
        ("gcp.identityProject", None, "gcp.identityProject: required but not set"),
        (
            "gcp.identityProject",
            "acme-ml",
            "gcp.identityProject: 'acme-ml' is `project`, where the deploy identity administers",
        ),
        ("gcp.environments", [], "gcp.environments: List should have at least 1 item"),
        (
            "aws.secretsKeyArn",
            "alias/pulumi",
            "aws.secretsKeyArn: 'alias/pulumi' is not a KMS key ARN",
        ),
        ("aws.stateBuckt", "x", "aws.stateBuckt: unknown key"),
        ("azure.scope", "model-engine", "azure.scope: 'model-engine' is not /subscriptions/<id>"),
        (
            "azure.scope",
            "/subscriptions/11111111-2222-3333-4444-555555555555",
            "azure.scope: '/subscriptions/11111111-2222-3333-4444-555555555555' is a whole "
            "subscription, which holds resourceGroup",
        ),
        (
            "azure.scope",
            "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/CI-Identities",
            "azure.scope: '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/"
            "CI-Identities' holds resourceGroup 'CI-Identities', where the CI identities live",
        ),
        (
            "azure.stateStorageAccountId",
            "acmestate",
            "azure.stateStorageAccountId: 'acmestate' is not a storage account id",
        ),
        (
            "gcp.stateBucket",
            "gs://acme-state",
            "gcp.stateBucket: 'gs://acme-state': give the bucket name",
        ),
    ],
)
def test_a_bad_key_is_named_before_any_resource(path: str, value: Any, expected: str) -> None:
    message, recorded = problems(with_(path, value))
    assert f"{PROJECT}:{expected}" in message
    assert not [r for r in recorded if r.custom]


def test_no_cloud_at_all_says_which_keys_to_set() -> None:
    message, _ = problems({"github": CONFIG["github"]})
    assert f"no cloud to trust: set at least one of {PROJECT}:aws" in message
    assert "Traceback" not in message


def test_the_example_stack_file_is_valid() -> None:
    import yaml

    from bootstrap.ci_trust.settings import parse
    from tests.conftest import ROOT

    raw = yaml.safe_load((ROOT / "bootstrap/ci_trust/Pulumi.example.yaml").read_text())
    prefix = f"{PROJECT}:"
    settings = parse({k.removeprefix(prefix): v for k, v in raw["config"].items()})
    assert settings.aws and settings.azure and settings.gcp
    assert settings.github.preview_environment == "preview"
