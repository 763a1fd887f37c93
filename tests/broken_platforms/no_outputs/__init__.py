"""A platform whose component sets no `outputs`."""

from __future__ import annotations

from components.platform import Platform
from tests.fourth_platform.settings import FourthSettings


class NoOutputs(Platform[FourthSettings]):
    cloud = "nooutputs"
    cloud_provider = "onprem"


PLATFORM = NoOutputs()
