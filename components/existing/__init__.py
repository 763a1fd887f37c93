"""A cluster the operator has, with each backing service theirs or installed in it.

PLATFORM is what the program knows of it (components/platform.py describes the interface and
the package's layout); this module imports no provider SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.platform import Platform

if TYPE_CHECKING:
    # Only for the type checker (the quoted type argument below): PLATFORM.settings_block
    # imports it when first asked for, so listing the platforms creates no settings class.
    from components.existing.settings import ExistingSettings  # noqa: F401


class Existing(Platform["ExistingSettings"]):
    cloud = "existing"
    cloud_provider = "onprem"
    # The operator's cluster: the program knows nothing it runs, its version or its CNI; the
    # stack turns off (addons.<name>.enabled: false) what the cluster already has. Its nodes
    # are the operator's too (the stack declares their allocatable).
    creates_nodes = False


PLATFORM = Existing()
