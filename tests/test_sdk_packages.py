"""The provider-SDK packages that load one file at a time (plan/sdk_packages.py):
every name resolves to what the SDK's own `__init__` binds, resource references resolve
through them, and they stay light."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import types
from pathlib import Path

import pulumi
import pytest
from pulumi.runtime import rpc

from components.settings_base import PROJECT
from plan import sdk_packages
from plan.sdk_packages import LIGHT, SMALL, SdkPackage
from plan.simulator import run_program
from tests.conftest import ROOT, stack_file

STACKS = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("*.yaml"))
PACKAGES = [f"{top}.{sub}" for top, subs in LIGHT.items() for sub in subs]

# What a package binds, name -> where the object is defined; run with and without install().
DESCRIBE = """
import importlib, json, sys, types
light = sys.argv[1] == "light"
if light:
    import plan
out = {}
for name in sys.argv[2:]:
    importlib.import_module(name.split(".")[0])
    package = importlib.import_module(name)
    getattr(package, "_utilities")  # a lazy module loads on its first attribute
    assert (type(package).__name__ == "SdkPackage") == light, (name, type(package))
    names = dir(package) if light else list(vars(package))
    described = {}
    # Reverse order: `XxxArgs` before `Xxx`, `get_x_output` before `get_x`, as a program
    # may ask for them; each must still resolve to what the __init__ binds.
    for n in sorted(names, reverse=True):
        if n.startswith("__"):
            continue
        v = getattr(package, n)
        if isinstance(v, types.ModuleType):
            described[n] = "module " + v.__name__
        elif hasattr(v, "__qualname__") and hasattr(v, "__module__"):
            described[n] = v.__module__ + ":" + v.__qualname__
            if light and v.__module__.startswith(name + "."):
                # pkg.Name is pkg.file.Name
                assert getattr(sys.modules[v.__module__], v.__name__) is v, (name, n)
        else:
            described[n] = type(v).__name__
    out[name] = described
print(json.dumps(out))
"""


def _describe(packages: list[str]) -> tuple[dict[str, dict[str, str]], ...]:
    """(real, light): both processes at once, each imports every file of the packages."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", DESCRIBE, mode, *packages],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in ("real", "light")
    ]
    described = []
    for run in runs:
        out, err = run.communicate()
        assert run.returncode == 0, err
        described.append(json.loads(out))
    return tuple(described)


@pytest.mark.parametrize("top", sorted(LIGHT))
def test_every_name_is_what_the_sdk_binds(top: str) -> None:
    packages = [f"{top}.{sub}" for sub in LIGHT[top]]
    real, light = _describe(packages)
    for package in packages:
        assert light[package] == real[package], package


def test_every_light_package_is_light_after_import() -> None:
    # A new SDK release whose __init__ is no longer the generated kind would leave the
    # package ordinary: correct, but slow, and nobody would notice.
    for name in PACKAGES:
        assert isinstance(sys.modules.get(name), SdkPackage), name


@pytest.fixture(scope="module")
def registered_types() -> set[str]:
    types_: set[str] = set()
    for stack in STACKS:
        types_ |= {r.type for r in run_program(stack_file(stack), stack=stack).resources}
    return types_


def _pkg_mod(typ: str) -> tuple[str, str]:
    pkg, mod, _ = typ.split(":")
    return pkg, mod


def _sdk_class(typ: str) -> type:
    """The class the SDK's registration constructs for a resource reference of type `typ`
    (pulumi.runtime.rpc's deserialize_resource, then the SDK's Module.construct)."""
    pkg, mod, name = typ.split(":")
    if (pkg, mod) == ("pulumi", "providers"):
        package = rpc.get_resource_package(name, "")
        assert package is not None, typ
        info = package.pkg_info  # type: ignore[attr-defined]
        class_name = info["class"]
    else:
        module = rpc.get_resource_module(pkg, mod, "")
        assert module is not None, f"no resource module registered for {typ}"
        info = module.mod_info  # type: ignore[attr-defined]
        class_name = info["classes"][typ]
    utilities = importlib.import_module(f"{info['fqn'].split('.')[0]}._utilities")
    found = getattr(utilities.lazy_import(info["fqn"]), class_name)
    assert isinstance(found, type) and issubclass(found, pulumi.Resource), typ
    return found


def test_resource_references_resolve_through_the_light_packages(
    registered_types: set[str],
) -> None:
    sdk = {"aws", "azure-native", "gcp", "kubernetes", "random", "pulumi"}
    sdk_types = {t for t in registered_types if t.split(":")[0] in sdk}
    assert {t.split(":")[0] for t in registered_types} - sdk == {PROJECT}  # components
    # Custom resources (Istio, KEDA, ... kinds) have no class in the SDK: the engine hands
    # them back as plain references, as before.
    custom = {
        t
        for t in sdk_types
        if t.startswith("kubernetes:") and rpc.get_resource_module(*_pkg_mod(t), "") is None
    }
    assert all(".k8s.io/" not in t and ":core/" not in t for t in custom), custom
    light_seen = set()
    for typ in sorted(sdk_types - custom):
        cls = _sdk_class(typ)
        package = sys.modules[cls.__module__.rpartition(".")[0]]
        # pkg.Name is pkg.file.Name: the one class, whichever way it is reached.
        assert getattr(package, cls.__name__) is cls, typ
        assert getattr(sys.modules[cls.__module__], cls.__name__) is cls, typ
        if isinstance(package, SdkPackage):
            light_seen.add(package.__name__)
    # The lookups really went through the mechanism, for every package it covers that a
    # stack uses.
    assert light_seen >= {"pulumi_aws.ec2", "pulumi_azure_native.network", "pulumi_gcp.compute"}
    assert "pulumi_kubernetes.core.v1" in light_seen


def test_every_sdk_package_the_program_uses_was_measured(registered_types: set[str]) -> None:
    assert registered_types  # the example stacks ran in this process
    measured = {f"{top}.{sub}" for top, subs in SMALL.items() for sub in subs}
    unmeasured = []
    for name, module in list(sys.modules.items()):
        if (
            name.partition(".")[0] in LIGHT
            and "." in name
            and hasattr(module, "__path__")
            and type(module).__name__ != "_LazyModule"
            and not isinstance(module, SdkPackage)
            and name not in measured
            # a group package such as pulumi_kubernetes.core only names its versions
            and " import *" in Path(module.__file__ or "").read_text()
        ):
            unmeasured.append(name)
    assert not unmeasured, f"measure and add to sdk_packages.LIGHT or SMALL: {unmeasured}"


def test_subpackages_functions_outputs_and_errors_behave_as_before() -> None:
    import pulumi_aws as aws
    import pulumi_kubernetes as k8s

    assert isinstance(k8s.core.v1, SdkPackage)
    assert k8s.core.v1 is sys.modules["pulumi_kubernetes.core.v1"]
    assert k8s.core.v1.Namespace.__module__ == "pulumi_kubernetes.core.v1.Namespace"
    assert isinstance(k8s.core.v1.outputs, types.ModuleType)
    assert k8s.core.v1.outputs.ObjectReference is k8s.core.v1.outputs.ObjectReference
    assert aws.ec2.get_vpc_output.__module__ == "pulumi_aws.ec2.get_vpc"
    assert callable(aws.ec2.get_vpc)
    assert aws.ec2.VpcArgs is aws.ec2.vpc.VpcArgs
    assert aws.ec2.InstanceType.__module__ == "pulumi_aws.ec2._enums"
    assert "Vpc" in dir(aws.ec2)
    dunder_all, unknown = "__all__", "NoSuchResource"
    assert "Vpc" in getattr(aws.ec2, dunder_all)
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchResource'"):
        getattr(aws.ec2, unknown)
    assert not hasattr(k8s.core.v1, "no_such_name")
    with pytest.raises(ImportError):
        from pulumi_aws.ec2 import NoSuchResource  # noqa: F401  # pyright: ignore


ISOLATED = """
import sys
import plan
from plan.sdk_packages import LIGHT, SdkPackage
loaded = [n for n, m in sys.modules.items() if n.split(".")[0] in LIGHT]
assert all(isinstance(sys.modules[n], SdkPackage) for n in loaded), loaded  # nothing ran
import pulumi_kubernetes as k8s
v3 = k8s.helm.v3
assert v3.Release.__module__ == "pulumi_kubernetes.helm.v3.Release"
# helm.py (the legacy Chart) has no __all__; it is not run for the names other files bind
assert "pulumi_kubernetes.helm.v3.helm" not in sys.modules
assert v3.Chart.__module__ == "pulumi_kubernetes.helm.v3.helm"
assert v3.ReleaseArgs.__module__ == "pulumi_kubernetes.helm.v3.Release"
import pulumi_aws as aws
n = len([m for m in sys.modules if m.startswith("pulumi_aws.ec2.")])
aws.ec2.Vpc
loaded = [m for m in sys.modules if m.startswith("pulumi_aws.ec2.")]
assert len(loaded) - n < 10, loaded  # vpc, outputs, _inputs, _enums: not 180 files
print("ok")
"""


def test_install_imports_nothing_and_loads_one_file_at_a_time() -> None:
    done = subprocess.run(
        [sys.executable, "-c", ISOLATED], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_a_package_loaded_before_install_stays_as_it_is() -> None:
    import pulumi_aws as aws

    _ = aws.sqs.Queue  # an ordinary package, loaded whole
    before = sys.modules["pulumi_aws.sqs"]
    assert sdk_packages.install({"pulumi_aws": ("sqs",)}) == []
    assert sys.modules["pulumi_aws.sqs"] is before is aws.sqs
    assert not isinstance(aws.sqs, SdkPackage)
    # An installed one is reported, and installing again changes nothing.
    assert set(sdk_packages.install()) == set(PACKAGES)


REAL_RUN = """
import sys
import components.program
import components.aws.platform, components.azure.platform, components.gcp.platform
import pulumi_aws.ec2, pulumi_kubernetes.core.v1
assert "plan" not in sys.modules and "plan.sdk_packages" not in sys.modules
shortcut = [n for n, m in sys.modules.items() if type(m).__name__ == "SdkPackage"]
assert not shortcut, shortcut
print("ok")
"""


def test_a_real_run_loads_the_sdks_as_shipped() -> None:
    """What `pulumi up` runs (__main__.py imports components, never plan) leaves every SDK
    package ordinary: the shortcut is the plan's and the tests', not the deployment's."""
    done = subprocess.run(
        [sys.executable, "-c", REAL_RUN], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr
