"""Every role of PlatformFactsModule but gpu_pools."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.contract import PlatformFacts
    from components.settings import StackSettings


def check(settings: StackSettings) -> None:
    return None


def preview_facts(settings: StackSettings) -> PlatformFacts:
    raise NotImplementedError("never planned")


def kubernetes_version(settings: StackSettings) -> str | None:
    return None
