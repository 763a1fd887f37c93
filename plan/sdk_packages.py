"""Provider-SDK packages whose members load one file at a time, on first attribute access.

Why: the provider SDKs are generated with one file per resource or function and a package
`__init__` that star-imports every one of them. `aws.ec2.Vpc(...)` therefore runs
`pulumi_aws/ec2/__init__.py`, which imports all ~180 EC2 resource modules (and Python 3.11
builds their annotations eagerly), although the program uses five of them. On the offline
plan that was most of its run time.

What this changes: `install()` puts a `SdkPackage` into `sys.modules` for each package in
`LIGHT` before anything imports it. Such a package does not run its `__init__.py`; it reads
it instead (and the `__all__` of the files it star-imports) to learn which file each name
comes from, and on the first access of a name imports only that file. Every name then
resolves to the very object the real `__init__` would have bound: the same class (so
`aws.ec2.Vpc is aws.ec2.vpc.Vpc`), `XxxArgs`, `get_xxx`/`get_xxx_output`, `outputs`,
`_inputs`, `_enums` members, subpackages (`k8s.core.v1`, through the SDK's own
`lazy_import`), and an unknown name is an AttributeError as before. `dir()` and
`from pkg import *` see every name.

What it does not change: the SDK files, their classes, Args types and type tokens are the
SDK's own, loaded by the ordinary import system; code keeps writing `aws.ec2.Vpc(...)`;
pyright checks every call against the real packages (it never runs this module). The
engine's resource references keep working: each SDK's top-level `__init__` registers its
resource modules (`pulumi.runtime.register_resource_module`), and when the engine hands back
a reference the SDK looks the class up by name on the package (`getattr(lazy_import(fqn),
name)`), which lands in `SdkPackage.__getattr__` (tests/test_sdk_packages.py proves it for
every type the example stacks register).

Limits:
- Only an `__init__.py` made of the generated statements is read (star-imports, `from .
  import outputs`, `lazy_import` of subpackages and the generated header); any other
  statement leaves that package ordinary (slower, never different; a test fails if a
  package in `LIGHT` stops qualifying). A star-imported file without a literal `__all__`
  (pulumi-kubernetes' `helm/v3/helm.py`, the legacy Chart) runs before any name it could
  bind is resolved: a name unknown to the other files, or one bound before it.
- A package that something imported before `install()` ran stays as it was.
- The module's own attributes differ in ways no caller here relies on: names are bound on
  first access (`vars(pkg)` grows as the program runs), and `pkg.__all__` exists.
- `LIGHT` lists the packages that cost noticeable start-up time, `SMALL` the used ones that
  do not; one the program starts to use later still works, only loaded whole (a test names
  it, to be put in one list or the other).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import re
import sys
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Subpackages loaded one file at a time: every one the program uses whose whole `__init__`
# costs 20 ms of CPU or more (measured one by one in a fresh process, median of three, on
# the 2-core reference machine: pulumi_gcp.compute 2.1 s, azure-native network 1.3 s, aws
# ec2 0.8 s, kubernetes core.v1 0.5 s, ..., azure-native privatedns 24 ms).
LIGHT: dict[str, tuple[str, ...]] = {
    "pulumi_aws": (
        "sns",  # alerts (not measured; loaded one file at a time)
        "autoscaling",
        "cloudwatch",
        "ec2",
        "ecr",
        "eks",
        "elasticache",
        "iam",
        "kms",
        "rds",
        "s3",
        "secretsmanager",
        "vpc",
    ),
    "pulumi_azure_native": (
        "monitor",  # alerts (not measured; loaded one file at a time)
        "authorization",
        "containerregistry",
        "containerservice",
        "dbforpostgresql",
        "keyvault",
        "network",
        "privatedns",
        "redisenterprise",
        "resources",
        "servicebus",
        "storage",
    ),
    "pulumi_gcp": (
        "monitoring",  # alerts (not measured; loaded one file at a time)
        "artifactregistry",
        "compute",
        "container",
        "iam",  # the CI trust bootstrap's workload identity pool
        "kms",
        "logging",  # log-based metrics for alerts (not measured; loaded one file at a time)
        "organizations",  # ~45 ms whole (the project number for GKE's service agent)
        "projects",
        "redis",
        "sql",
        "storage",
    ),
    "pulumi_kubernetes": (
        "apps.v1",  # ~70 ms whole (the in-cluster registry's Deployment)
        "batch.v1",
        "core.v1",
        "helm.v3",
        "networking.v1",  # ~75 ms whole (the in-cluster services' NetworkPolicies)
        "storage.v1",
    ),
}

# Used by the program but cheaper whole than the 20 ms threshold: they stay ordinary
# (tests/test_sdk_packages.py fails for a used package in neither list).
SMALL: dict[str, tuple[str, ...]] = {
    "pulumi_azure_native": ("managedidentity",),  # 6 ms
    "pulumi_gcp": ("serviceaccount", "servicenetworking"),  # 12 ms, 4 ms
    "pulumi_kubernetes": ("apiextensions", "meta.v1"),  # 3 ms, three files it needs anyway
}

# (module to import, attribute of it; None: the module itself)
Source = tuple[str, str | None]

_HEADER = re.compile(
    r"#.*|import builtins as _builtins|import typing|from \.+ import _utilities"
    r"|if typing\.TYPE_CHECKING:|else:"
    # under `if typing.TYPE_CHECKING:` (what pyright reads): `import a.b as __b`, `b = __b`
    r"|    import [\w.]+ as __\w+|    \w+ = __\w+"
)
_STAR = re.compile(r"from \.(\w+) import \*")
_SUBMODULE = re.compile(r"from \. import (\w+)")
_LAZY = re.compile(r"    (\w+) = _utilities\.lazy_import\('([\w.]+)'\)")
_ALL = re.compile(r"^__all__\s*=\s*\[(.*?)\]", re.S | re.M)
_QUOTED = re.compile(r"""['"](\w+)['"]""")


@dataclass
class _Layout:
    """What a package's `__init__.py` does, read without running it."""

    header: dict[str, str]  # name -> module bound by a header import
    steps: list[tuple[str, str]]  # ("star" | "module", submodule name), in order
    lazy: dict[str, str]  # subpackage attribute -> full module name
    # Filled on first access: each name's source and the step that binds it last.
    names: dict[str, tuple[Source, int]] = field(default_factory=dict)
    # Star-imported files without a literal `__all__` (step, module): their names are
    # known only once they run.
    opaque: list[tuple[int, str]] = field(default_factory=list)
    indexed: bool = False
    by_module: dict[str, list[str]] = field(default_factory=dict)  # module -> names it binds

    def settle(self) -> None:
        self.by_module = {}
        for n, ((module, _), _) in self.names.items():
            self.by_module.setdefault(module, []).append(n)


_LAYOUTS: dict[str, _Layout] = {}


def _read_layout(name: str, init: Path) -> _Layout | None:
    """The statements of a generated `__init__.py`, or None if it has any other."""
    top = name.partition(".")[0]
    header = {"_builtins": "builtins", "typing": "typing", "_utilities": f"{top}._utilities"}
    steps: list[tuple[str, str]] = []
    lazy: dict[str, str] = {}
    for line in init.read_text().splitlines():
        if not line.strip() or _HEADER.fullmatch(line):
            continue
        if m := _STAR.fullmatch(line):
            steps.append(("star", m.group(1)))
        elif m := _SUBMODULE.fullmatch(line):
            steps.append(("module", m.group(1)))
        elif m := _LAZY.fullmatch(line):
            lazy[m.group(1)] = m.group(2)
        else:
            return None
    return _Layout(header, steps, lazy)


def _exported(path: Path) -> list[str] | None:
    """A file's literal `__all__`, read from its head (the `_inputs` files run to megabytes)."""
    text = ""
    with path.open(encoding="utf-8") as f:
        while chunk := f.read(1 << 16):
            text += chunk
            if m := _ALL.search(text):
                return _QUOTED.findall(m.group(1))
    return None


def _index(package: str, folder: Path, layout: _Layout) -> None:
    """Bind every name as the `__init__` would, in its order: a later statement wins."""
    names: dict[str, tuple[Source, int]] = {n: ((m, None), -1) for n, m in layout.header.items()}
    for step, (kind, stem) in enumerate(layout.steps):
        module = f"{package}.{stem}"
        names[stem] = ((module, None), step)  # importing a submodule binds it on its package
        if kind == "star":
            exported = _exported(folder / f"{stem}.py")
            if exported is None:
                layout.opaque.append((step, module))
            else:
                names.update((n, ((module, n), step)) for n in exported)
    after = len(layout.steps)
    names.update((n, ((module, None), after)) for n, module in layout.lazy.items())
    layout.names, layout.indexed = names, True
    layout.settle()


def _run_opaque(layout: _Layout) -> None:
    """Import the files without `__all__` and bind their public names where no later
    statement binds the same name (what `from .file import *` does without `__all__`)."""
    opaque, layout.opaque = layout.opaque, []
    for step, module_name in opaque:
        module = importlib.import_module(module_name)
        for n in list(vars(module)):
            if not n.startswith("_") and layout.names.get(n, (None, -2))[1] < step:
                layout.names[n] = ((module_name, n), step)
    layout.settle()


class SdkPackage(types.ModuleType):
    """A provider-SDK package whose members load one file at a time (see the module doc)."""

    def __getattr__(self, name: str) -> object:
        layout = self._layout()
        if name == "__all__":
            return [n for n in self.__dir__() if not n.startswith("_")]
        entry = layout.names.get(name)
        # A file without `__all__` that comes later (or the name unknown) may bind it.
        if layout.opaque and (entry is None or entry[1] < layout.opaque[-1][0]):
            _run_opaque(layout)
            entry = layout.names.get(name)
        if entry is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        module_name = entry[0][0]
        module = importlib.import_module(module_name)
        # As `from .file import *` would: every name this file provides, at once.
        for n in layout.by_module[module_name]:
            attr = layout.names[n][0][1]
            self.__dict__[n] = module if attr is None else getattr(module, attr)
        # Importing a file binds it (and whatever sibling files it imports) on this package;
        # where the `__init__` binds that name to something else, forget it until asked.
        prefix = f"{self.__name__}."
        for n, value in list(self.__dict__.items()):
            if isinstance(value, types.ModuleType) and value.__name__ == prefix + n:
                bound = layout.names.get(n)
                if bound is not None and bound[0] != (value.__name__, None):
                    del self.__dict__[n]
        return self.__dict__[name]

    def __dir__(self) -> Iterable[str]:
        layout = self._layout()
        if layout.opaque:
            _run_opaque(layout)
        return sorted(set(self.__dict__) | set(layout.names))

    def _layout(self) -> _Layout:
        layout = _LAYOUTS[self.__name__]
        if not layout.indexed:
            _index(self.__name__, Path(self.__path__[0]), layout)
        return layout


def _install(name: str) -> bool:
    """Put a SdkPackage for `name` into sys.modules, unless the package is already loaded
    or its `__init__` is not the generated kind. Imports nothing."""
    current = sys.modules.get(name)
    # The SDK's own `lazy_import` registers a lazy module; replace it only while unloaded.
    if current is not None and type(current).__name__ != "_LazyModule":
        return isinstance(current, SdkPackage)
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name)
    if parent is not None and type(parent).__name__ != "_LazyModule":
        search = list(parent.__path__)
    else:
        # Not importlib.util.find_spec(parent): it would import the parent.
        *ancestors, _ = name.split(".")
        spec = importlib.machinery.PathFinder.find_spec(ancestors[0])
        search = list(spec.submodule_search_locations or []) if spec else []
        for part in ancestors[1:]:
            search = [str(Path(p) / part) for p in search]
    spec = importlib.machinery.PathFinder.find_spec(name, search)
    if spec is None or spec.origin is None or spec.submodule_search_locations is None:
        return False
    layout = _read_layout(name, Path(spec.origin))
    if layout is None:
        return False
    _LAYOUTS[name] = layout
    module = SdkPackage(name)
    module.__spec__ = spec
    module.__loader__ = spec.loader
    module.__file__ = spec.origin
    module.__path__ = list(spec.submodule_search_locations)
    module.__package__ = name
    sys.modules[name] = module
    if parent is not None and type(parent).__name__ != "_LazyModule":
        # An already loaded parent holds the lazy module it registered: point it here.
        if isinstance(parent, SdkPackage):
            parent.__dict__[child] = module
        else:
            setattr(parent, child, module)
    return True


def install(light: dict[str, tuple[str, ...]] = LIGHT) -> list[str]:
    """Set up every package in `light`; returns the full names that are light now. Cheap
    (a directory lookup and one small file per package) and idempotent."""
    done = []
    for top, subpackages in light.items():
        for sub in subpackages:
            if _install(f"{top}.{sub}"):
                done.append(f"{top}.{sub}")
    return done
