"""What the stack file alone decides for the fourth platform: each role reads the block
through PLATFORM.block, typed FourthSettings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from components import contract
from components.settings_base import SettingsError
from tests.fourth_platform import PLATFORM

if TYPE_CHECKING:
    from components.contract import GpuNodePool, PlatformFacts
    from components.settings import StackSettings


def check(settings: StackSettings) -> None:
    if not PLATFORM.block(settings).kubernetes_version.startswith("1."):
        raise SettingsError(["model-engine-infra:fourth.kubernetesVersion: write 1.<minor>"])


def preview_facts(settings: StackSettings) -> PlatformFacts:
    raise NotImplementedError("the fourth platform is never planned")


def gpu_pools(settings: StackSettings) -> list[GpuNodePool]:
    return contract.cloud_gpu_pools(settings, PLATFORM.cloud)


def secret_env_keys(settings: StackSettings) -> Sequence[str]:
    return PLATFORM.block(settings).secret_env_keys


def kubernetes_version(settings: StackSettings) -> str | None:
    return PLATFORM.block(settings).kubernetes_version
