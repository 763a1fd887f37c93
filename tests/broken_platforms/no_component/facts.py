"""Every required role; no secret_env_keys (the control plane gets no secret env)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.contract import GpuNodePool, PlatformFacts
    from components.settings import StackSettings


def check(settings: StackSettings) -> None:
    return None


def preview_facts(settings: StackSettings) -> PlatformFacts:
    raise NotImplementedError("never planned")


def gpu_pools(settings: StackSettings) -> list[GpuNodePool]:
    return []


def kubernetes_version(settings: StackSettings) -> str | None:
    return None
