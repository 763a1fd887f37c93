"""A platform is one package and one entry in the list of platforms (components/platforms.py).

tests/fourth_platform is a package laid out like components/<cloud> and nothing else. Added
to a list of platforms, the stack file's schema built from that list (the way
components/settings.py builds the program's from PLATFORMS) accepts `cloud: fourth` with its
block and refuses it without, the loader names its keys, and the platform's roles find its
facts.py and its component in platform.py. The program's own list knows no such cloud.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

import pytest

from components import settings_loader
from components.platform import Platform
from components.platforms import PLATFORMS
from components.settings import PROJECT, StackSettings
from components.settings_base import Model, SettingsError
from tests import fourth_platform
from tests.conftest import ROOT, stack_file
from tests.fourth_platform import facts as fourth_facts
from tests.fourth_platform.platform import FourthPlatform
from tests.fourth_platform.settings import FourthSettings
from tests.helpers import KEY, set_path, under_config

FOURTH = fourth_platform.PLATFORM
WITH_FOURTH: list[Platform[Model]] = [*PLATFORMS.values(), FOURTH]


def fourth_config(**block: Any) -> dict[str, Any]:
    """The smallest stack file on the fourth platform."""
    return {
        f"{KEY}cloud": "fourth",
        f"{KEY}domain": "llm-engine.example.com",
        f"{KEY}chart": {"path": "./model-engine"},
        f"{KEY}image": {"tag": "0a1b2c3"},
        f"{KEY}fourth": {"kubernetesVersion": "1.33", **block},
    }


def load(config: dict[str, Any]) -> StackSettings:
    """The stack as the program's loader reads it, with the schema of the four platforms."""
    return under_config(config, lambda: settings_loader.load_settings(WITH_FOURTH))


def refusal(config: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as failure:
        load(config)
    return str(failure.value)


def test_the_fourth_platform_is_accepted_with_its_block() -> None:
    settings = load(fourth_config(secretEnvKeys=["FOURTH_TOKEN"]))
    assert settings.cloud == "fourth"
    assert FOURTH.block(settings) == FourthSettings(
        kubernetes_version="1.33", secret_env_keys=["FOURTH_TOKEN"]
    )
    # The other platforms' blocks stay where they were: the stack file of one still loads.
    assert load(copy.deepcopy(stack_file("existing-infra"))).cloud == "existing"


def test_the_fourth_platform_without_its_block_is_refused() -> None:
    config = fourth_config()
    del config[f"{KEY}fourth"]
    message = refusal(config)
    assert f"cloud is 'fourth' but the `fourth` block is missing; add {PROJECT}:fourth" in message


def test_another_platform_with_the_fourth_block_is_refused() -> None:
    config = copy.deepcopy(stack_file("existing-infra"))
    config[f"{KEY}fourth"] = {"kubernetesVersion": "1.33"}
    assert "the `fourth` block is set but cloud is 'existing'; remove one" in refusal(config)


def test_the_loader_names_a_bad_key_in_the_fourth_block() -> None:
    config = fourth_config()
    set_path(config, "fourth.kubernetesVersoin", "1.34")
    message = refusal(config)
    assert (
        f"{PROJECT}:fourth.kubernetesVersoin: unknown key; did you mean `kubernetesVersion`?"
        in (message)
    )


def test_the_programs_platforms_refuse_the_fourth_cloud_naming_the_valid_ones() -> None:
    with pytest.raises(SettingsError) as failure:
        under_config(fourth_config(), settings_loader.load_settings)
    message = str(failure.value)
    valid = ", ".join(repr(cloud) for cloud in PLATFORMS)
    assert f"{PROJECT}:cloud: 'fourth' is not a platform; use one of {valid}" in message
    assert f"{PROJECT}:fourth: unknown key" in message


def test_the_roles_read_the_fourth_packages_facts() -> None:
    settings = load(fourth_config(secretEnvKeys=["FOURTH_TOKEN"]))
    assert FOURTH.facts() is fourth_facts
    assert FOURTH.kubernetes_version(settings) == "1.33"
    assert list(FOURTH.secret_env_keys(settings)) == ["FOURTH_TOKEN"]
    FOURTH.check(settings)
    with pytest.raises(SettingsError, match=r"fourth\.kubernetesVersion: write 1\.<minor>"):
        FOURTH.check(load(fourth_config(kubernetesVersion="2.0")))


def test_build_makes_the_component_named_after_the_platform() -> None:
    settings = load(fourth_config())
    assert FOURTH.component() is FourthPlatform
    outputs = FOURTH.build("fourth", settings)
    made = FourthPlatform.built[-1]
    assert outputs is made.outputs
    assert made.name == "fourth"
    assert made.block.kubernetes_version == "1.33"


def test_the_block_of_a_platform_the_stack_did_not_choose_names_the_key() -> None:
    settings = load(copy.deepcopy(stack_file("existing-infra")))
    with pytest.raises(SettingsError, match=f"{PROJECT}:fourth: not set \\(cloud is 'existing'\\)"):
        FOURTH.block(settings)


def test_the_settings_block_is_the_class_named_after_the_platform() -> None:
    assert FOURTH.settings_block is FourthSettings

    class Renamed(fourth_platform.Fourth):
        """In the fourth package, whose settings.py has no RenamedSettings."""

    Renamed.__module__ = fourth_platform.__name__
    with pytest.raises(TypeError, match="defines no Model class RenamedSettings"):
        _ = Renamed().settings_block


def test_the_fourth_package_and_its_facts_import_no_component() -> None:
    code = (
        "import sys, tests.fourth_platform.facts\n"
        "print('tests.fourth_platform.platform' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
