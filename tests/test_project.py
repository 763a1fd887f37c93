"""Project files agree with the code: what the CLI reads is what the program expects."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import yaml

from components.platforms import PLATFORMS
from components.settings import stack_settings_schema
from components.settings_base import PROJECT
from components.settings_loader import SECRET_KEYS

ROOT = Path(__file__).resolve().parent.parent


def test_pulumi_yaml_matches_the_program() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["toolchain"] == "pip"
    assert project["runtime"]["options"]["virtualenv"] == "venv"
    assert project["stackConfigDir"] == "stacks"
    # Every schema has every top-level key (each platform's block, its class only for its cloud).
    schema = stack_settings_schema(PLATFORMS.values(), None)
    known = {f.alias or n for n, f in schema.model_fields.items()} | set(SECRET_KEYS)
    for key, spec in project["config"].items():
        assert key in known, key
        # A declared key without a default is required by the CLI in every stack: only keys
        # the settings also require may be declared that way.
        if "default" not in spec:
            field = next(f for n, f in schema.model_fields.items() if (f.alias or n) == key)
            assert field.is_required(), key


def test_every_example_stack_is_valid() -> None:
    from tests.helpers import settings_from

    stacks = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
    assert stacks
    for path in stacks:
        settings_from(yaml.safe_load(path.read_text())["config"])


def test_every_cloud_has_a_platform_a_settings_block_and_a_description() -> None:
    # Every cloud the stack file accepts is a platform, with its block from its own package:
    # the class its PLATFORM names for the type checker (Platform["AwsSettings"]), so that
    # PLATFORM.block(settings) is typed with the class validation made.
    for cloud, platform in PLATFORMS.items():
        schema = stack_settings_schema(PLATFORMS.values(), cloud)
        assert set(schema.platforms) == set(PLATFORMS)
        block = platform.settings_block
        assert block.__module__ == f"{type(platform).__module__}.settings", cloud
        assert schema.model_fields[cloud].annotation == block | None, cloud
        (declared,) = get_args(type(platform).__orig_bases__[0])  # pyright: ignore[reportAttributeAccessIssue]
        assert getattr(declared, "__forward_arg__", declared) == block.__name__, cloud
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    description = project["config"]["cloud"]["description"]
    assert all(cloud in description for cloud in PLATFORMS), description
