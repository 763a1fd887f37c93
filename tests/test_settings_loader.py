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
from tests.helpers import KEY, set_path, settings_from, under_config


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


def test_the_schemas_are_built_when_first_validated_not_at_import() -> None:
    """The stack schema and ChartValues (with every block under them) build their validators
    on first use, once (settings_base.Model, values._Closed: defer_build): importing them
    builds neither, and a validation then works as before."""
    import subprocess
    import sys
    from pathlib import Path

    probe = """
from components.model_engine.values import ChartValues
from components.platforms import PLATFORMS
from components.settings import stack_settings_schema
from components.settings_loader import settings_from_config
from plan.cli import stack_config
schema = stack_settings_schema(PLATFORMS.values(), "existing")
print(schema.__pydantic_complete__, ChartValues.__pydantic_complete__)
settings_from_config(stack_config("existing-infra"))
print(schema.__pydantic_complete__)
"""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "False", "True"]


@pytest.mark.parametrize(
    ("stack", "cloud"), [("existing-infra", "existing"), ("azure-prod", "azure")]
)
def test_a_plan_imports_the_settings_of_its_own_platform_only(stack: str, cloud: str) -> None:
    """The schema holds only the stack's own platform block (components/settings.py), each
    platform's settings class is imported when first asked for (Platform.settings_block) and
    no module imports another platform's settings: a plan never creates the classes of the
    clouds it does not run on (tens of milliseconds of a sub-second plan)."""
    import subprocess
    import sys
    from pathlib import Path

    from components.platforms import PLATFORMS

    probe = f"""
import sys
from plan.cli import stack_config
from plan.simulator import run_program
run_program(stack_config({stack!r}), stack={stack!r})
print(" ".join(n for n in sys.modules if n.startswith("components.") and n.endswith(".settings")))
"""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True
    )
    loaded = set(done.stdout.split())
    assert f"components.{cloud}.settings" in loaded
    others = {f"components.{c}.settings" for c in PLATFORMS if c != cloud}
    assert not loaded & others, loaded & others


def test_a_block_of_another_platform_is_refused_whole_not_validated(
    existing_config: dict[str, Any],
) -> None:
    # A stray `gcp` block on an existing stack: the fix is to remove it (or change `cloud`),
    # so its own bad key is not reported as if it mattered.
    existing_config[KEY + "gcp"] = {"projectt": "p", "region": "us-central1"}
    with pytest.raises(SettingsError) as failure:
        under_config(existing_config, settings_loader.load_settings)
    message = str(failure.value)
    assert "the `gcp` block is set but cloud is 'existing'; remove one" in message
    assert "projectt" not in message


@pytest.mark.parametrize(
    ("key", "value"),
    [("zones", ["zone-a"]), ("capacity", {"type": "spot"}), ("diskSizeGb", 200)],
)
def test_a_node_pool_shape_on_an_existing_cluster_is_refused_naming_the_pool_once(
    existing_config: dict[str, Any], key: str, value: Any
) -> None:
    """A rule over the whole stack that names its key (gpu.pools[i]) is printed with that key
    alone, not after the project's name a second time."""
    set_path(existing_config, f"gpu.pools[0].{key}", value)
    with pytest.raises(SettingsError) as failure:
        under_config(existing_config, settings_loader.load_settings)
    assert failure.value.problems == [
        f"{KEY}gpu.pools[0]: capacity, zones and diskSizeGb shape node pools the program "
        "creates; an existing cluster's pools are yours, remove them"
    ]


def test_a_refused_value_is_shown_once(existing_config: dict[str, Any]) -> None:
    """The loader adds the value a message does not name, and not the one it quotes."""
    existing_config[KEY + "environment"] = "circleci"
    existing_config[KEY + "domain"] = "not a domain"
    with pytest.raises(SettingsError) as failure:
        under_config(existing_config, settings_loader.load_settings)
    assert sorted(failure.value.problems) == [
        f"{KEY}domain: 'not a domain' is not a DNS domain such as llm-engine.example.com",
        f"{KEY}environment: `circleci` switches the server to fake clients meant for upstream "
        "CI; name the real environment, e.g. customer-prod (got 'circleci')",
    ]
