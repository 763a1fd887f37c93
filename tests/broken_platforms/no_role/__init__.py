"""A platform whose facts.py lacks a role (gpu_pools)."""

from __future__ import annotations

from components.platform import Platform
from tests.fourth_platform.settings import FourthSettings


class NoRole(Platform[FourthSettings]):
    cloud = "norole"
    cloud_provider = "onprem"


PLATFORM = NoRole()
