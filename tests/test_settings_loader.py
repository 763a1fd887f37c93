"""The settings loader (components/settings_loader.py) on the config the engine hands a
program: the stack file's keys become the same StackSettings the schema validates, and
config secrets are read without being parsed into the settings.

Every way a bad stack file is rejected, with its message, is in tests/test_bad_stacks.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from components import settings_loader
from components.settings_base import SettingsError
from tests.helpers import KEY, settings_from, under_config


def test_the_example_stack_loads_as_the_schema_validates_it(
    existing_config: dict[str, Any],
) -> None:
    loaded = under_config(existing_config, settings_loader.load_settings)
    assert loaded == settings_from(existing_config)
    assert loaded.cloud == "existing"


def test_a_secret_the_plan_cannot_decrypt_reads_as_unset(existing_config: dict[str, Any]) -> None:
    assert KEY + "databasePassword" in existing_config
    read = under_config(
        existing_config, lambda: settings_loader.secret_plaintext("databasePassword")
    )
    assert read is None


def test_a_missing_required_secret_names_the_key_and_the_command(
    existing_config: dict[str, Any],
) -> None:
    del existing_config[KEY + "databasePassword"]
    settings = settings_from(existing_config)
    with pytest.raises(SettingsError) as failure:
        under_config(
            existing_config,
            lambda: settings_loader.require_secrets(settings, ["databasePassword"]),
        )
    message = str(failure.value)
    assert "model-engine-infra:databasePassword: required for cloud 'existing'" in message
    assert "pulumi config set --secret databasePassword" in message
