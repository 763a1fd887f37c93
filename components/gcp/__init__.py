"""The GCP platform (platform.py), one module per concern.

On import, pulumi-gcp's compute, container and storage packages are set up so that a single
resource module loads without the rest of its package.

`import pulumi_gcp.compute` runs a package `__init__` that imports every Compute Engine
resource the provider knows (hundreds); on the offline plan that alone cost about a third of
the run. The resource classes live in one file each, so this module registers those three
packages as bare packages (their directory, no `__init__`) before anything touches them, and
the platform imports the classes from their files. Nothing else is changed: the files,
their Args types and the type tokens are pulumi-gcp's own, and pyright checks every call
against them as before.

A package another module loaded fully first stays as it is. After this setup,
`pulumi_gcp.compute.Network` (attribute access on the package) does not work: import each
class from its module, as the components here do.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys

import pulumi_gcp

_LIGHT = ("compute", "container", "storage")


def _bare(service: str) -> None:
    name = f"pulumi_gcp.{service}"
    current = sys.modules.get(name)
    # pulumi_gcp's own __init__ registers a LazyLoader module; replace it only while unloaded.
    if current is not None and type(current).__name__ != "_LazyModule":
        return
    # Not importlib.util.find_spec: it would read __spec__ of the lazy module, which loads it.
    spec = importlib.machinery.PathFinder.find_spec(name, list(pulumi_gcp.__path__))
    if spec is None or spec.submodule_search_locations is None:  # pragma: no cover
        return
    spec.loader = None  # a namespace-like package: its directory, not its __init__
    module = importlib.util.module_from_spec(spec)
    module.__path__ = list(spec.submodule_search_locations)
    sys.modules[name] = module
    setattr(pulumi_gcp, service, module)


for _service in _LIGHT:
    _bare(_service)
