"""A fourth platform that exists only for tests/test_platforms.py: a package laid out like
components/<cloud> (PLATFORM here, settings.py, facts.py, platform.py) and nothing else, so
that adding it to a list of platforms shows what one package and one entry give."""

from __future__ import annotations

from components.platform import Platform
from tests.fourth_platform.settings import FourthSettings


class Fourth(Platform[FourthSettings]):
    cloud = "fourth"
    cloud_provider = "onprem"
    settings_block = FourthSettings


PLATFORM = Fourth()
