"""`azure.database.restore`: the Flexible Server is created as a point-in-time restore of
another, and a bad restore block is refused before any resource exists."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings_loader import OFFLINE_SECRET
from tests.azure.helpers import AzureRun, azure_config, run_azure
from tests.helpers import refusal, set_path

SERVER = "azure-native:dbforpostgresql:Server"
KEY = "model-engine-infra:azure.database.restore"
DATABASE = "azure-native:dbforpostgresql:Database"
SOURCE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/llm-prod/providers/"
    "Microsoft.DBforPostgreSQL/flexibleServers/model-engine-prod"
)


PASSWORD_KEY = "azureRestoreAdminPassword"


def _restoring() -> dict[str, Any]:
    config = azure_config()
    set_path(
        config,
        "azure.database.restore",
        {"sourceServerResourceId": SOURCE, "pointInTimeUtc": "2026-11-30T09:15:00+01:00"},
    )
    set_path(config, PASSWORD_KEY, {"secure": "v1:source-admin-password"})
    return config


def test_a_point_in_time_restore_names_the_source_and_the_instant_in_utc() -> None:
    config = _restoring()
    inputs = run_azure(config).one(SERVER).inputs
    assert inputs["createMode"] == "PointInTimeRestore"
    assert inputs["sourceServerResourceId"] == SOURCE
    assert inputs["pointInTimeUTC"] == "2026-11-30T08:15:00Z"
    # The restored server keeps the source's administrator: ARM takes none.
    assert "administratorLogin" not in inputs and "administratorLoginPassword" not in inputs


def test_a_restore_creates_no_database_the_restored_server_already_has(prod: AzureRun) -> None:
    # azure-native refuses to create a resource that exists; the restore brings the database.
    assert len(prod.of_type(DATABASE)) == 1
    assert run_azure(_restoring()).of_type(DATABASE) == []


def test_without_restore_the_server_is_created_with_our_administrator(prod: AzureRun) -> None:
    inputs = prod.one(SERVER).inputs
    assert inputs["createMode"] == "Create"
    assert inputs["administratorLogin"] == "llm_engine"
    assert "sourceServerResourceId" not in inputs


@pytest.mark.parametrize(
    ("restore", "words"),
    [
        ({"pointInTimeUtc": "2026-11-30T08:15:00Z"}, "sourceServerResourceId: required"),
        ({"sourceServerResourceId": SOURCE}, "pointInTimeUtc: required"),
        (
            {
                "sourceServerResourceId": "model-engine-prod",
                "pointInTimeUtc": "2026-11-30T08:15:00Z",
            },
            "is not a Flexible Server id",
        ),
        (
            {"sourceServerResourceId": SOURCE, "pointInTimeUtc": "2026-11-30T08:15:00"},
            "RFC 3339 with the offset",
        ),
    ],
)
def test_a_bad_restore_is_refused_before_any_resource(restore: dict[str, Any], words: str) -> None:
    config = azure_config()
    set_path(config, "azure.database.restore", restore)
    refusal(config, KEY.removeprefix("model-engine-infra:"), words, stack="azure-prod")


def test_a_restore_carries_the_sources_password_to_key_vault_not_a_generated_one() -> None:
    """The restored server keeps its source's administrator password: the migration hook and
    the server log in with what Key Vault holds, so Key Vault must hold the source's."""
    run = run_azure(_restoring())
    assert not [
        r for r in run.of_type("random:index/randomPassword:RandomPassword") if "database" in r.name
    ]
    [vault] = [
        r
        for r in run.of_type("azure-native:keyvault:Secret")
        if r.name.endswith("vault-db-password")
    ]
    # The stack's config secret (offline: the placeholder for an undecryptable `secure:`).
    assert vault.inputs["properties"]["value"] == OFFLINE_SECRET


def test_without_restore_key_vault_gets_the_generated_password(prod: AzureRun) -> None:
    [generated] = [
        r
        for r in prod.of_type("random:index/randomPassword:RandomPassword")
        if "database" in r.name
    ]
    [vault] = [
        r
        for r in prod.of_type("azure-native:keyvault:Secret")
        if r.name.endswith("vault-db-password")
    ]
    assert vault.inputs["properties"]["value"] != OFFLINE_SECRET
    assert generated.urn in vault.dependencies or generated.urn in str(vault.property_dependencies)


def test_a_restore_without_the_sources_password_is_refused_before_any_resource() -> None:
    config = _restoring()
    del config[f"model-engine-infra:{PASSWORD_KEY}"]
    refusal(config, PASSWORD_KEY, "pulumi config set --secret", stack="azure-prod")
