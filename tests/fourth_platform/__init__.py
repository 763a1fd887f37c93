"""A fourth platform that exists only for tests/test_platforms.py: a package laid out like
components/<cloud> (PLATFORM here, settings.py, catalog.py, facts.py, platform.py) and
nothing else, so that adding it to a list of platforms shows what one package and one entry
give."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.platform import Platform
from tests.fourth_platform.catalog import CATALOG

if TYPE_CHECKING:
    from tests.fourth_platform.settings import FourthSettings  # noqa: F401


class Fourth(Platform["FourthSettings"]):
    cloud = "fourth"
    cloud_provider = "onprem"
    # It creates its nodes: the fit model reads their shapes from its own catalog.
    catalog = CATALOG


PLATFORM = Fourth()
