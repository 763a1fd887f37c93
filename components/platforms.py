"""Every platform the program knows: one object per package (components/platform.py is the
interface). A new platform is one package and one entry in PLATFORMS.

Importing this loads no provider SDK and no platform's settings: each package's `__init__`
declares its traits and names its settings block (settings.py, imported when first asked
for); components/settings_loader.py validates a stack with the schema built from this list
for the stack's `cloud` (components/settings.py).
"""

from __future__ import annotations

from components import aws, azure, existing, gcp
from components.platform import Platform
from components.settings_base import Model

PLATFORMS: dict[str, Platform[Model]] = {
    p.cloud: p for p in (existing.PLATFORM, aws.PLATFORM, azure.PLATFORM, gcp.PLATFORM)
}
