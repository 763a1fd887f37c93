"""A platform whose platform.py names its component wrongly."""

from __future__ import annotations

from components.platform import Platform
from tests.fourth_platform.settings import FourthSettings


class NoComponent(Platform[FourthSettings]):
    cloud = "nocomponent"
    cloud_provider = "onprem"


PLATFORM = NoComponent()
