"""A cluster the operator has, with each backing service theirs or installed in it.

PLATFORM is what the program knows of it (components/platform.py describes the interface and
the package's layout); this module imports no provider SDK."""

from __future__ import annotations

from components.existing.settings import ExistingSettings
from components.platform import Platform


class Existing(Platform[ExistingSettings]):
    cloud = "existing"
    cloud_provider = "onprem"
    settings_block = ExistingSettings
    # The operator's cluster: the program knows nothing it runs, its version or its CNI; the
    # stack turns off (addons.<name>.enabled: false) what the cluster already has. Its nodes
    # are the operator's too (the stack declares their allocatable).
    creates_nodes = False


PLATFORM = Existing()
