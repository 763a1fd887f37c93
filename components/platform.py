"""The platform interface: what a platform (aws, azure, gcp, existing, ...) is to the program.

A platform package fills it with one object, `PLATFORM` in the package's `__init__.py`, which
imports neither a provider SDK nor its settings: listing every platform costs nothing. The
interface finds the rest of the package by its file names: the stack file's block is the class
`<Name>Settings` in `settings.py` (the stack's schema gets a field of that type, named after
`cloud`, only when `cloud` names the platform), the pre-deploy roles read `facts.py`, and only
`build` imports the component, the class `<Name>Platform` in `platform.py` (`<Name>` the
PLATFORM object's class), and with it the cloud's SDK. The program, the add-ons and the
preflight read the traits declared here and nowhere else.

A package laid out like its siblings:

    components/<cloud>/__init__.py   PLATFORM = <Name>(): the traits, and the settings block
                                     named for the type checker (Platform["<Name>Settings"])
    components/<cloud>/settings.py   <Name>Settings: the stack file's block for this platform
    components/<cloud>/facts.py      check, gpu_pools, kubernetes_version, preview_facts, and
                                     secret_env_keys where the control plane gets any (none
                                     without it); the facts builder the component shares
    components/<cloud>/catalog.py    CATALOG: its node types per accelerator, their shapes, disk
                                     throughput, what its kubelet reserves, the DaemonSets
                                     on its nodes, the capacity types it holds and the words
                                     its GPU pool errors use (components/instances.py's
                                     Catalog; Platform.pool_problems reads them);
                                     none in a package that creates no nodes (`existing`)
    components/<cloud>/platform.py   <Name>Platform, the ComponentResource, taking PlatformArgs
    components/<cloud>/network.py, cluster.py, node_pools.py, database.py, cache.py,
    registry.py, storage.py, identity.py, common.py: one child component per concern, beside
                                     that concern's SDK-free parts (policy documents and
                                     federated subjects in identity.py, the registry prefix in
                                     registry.py), which facts.py reads; these modules import
                                     their provider SDK through components.sdk.lazy, so
                                     importing facts.py loads none
"""

from __future__ import annotations

import importlib
import sys
from abc import ABC
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar, Generic, Protocol, TypeVar, cast, runtime_checkable

from components import accelerators
from components.instances import Catalog
from components.model_engine.values import CloudProvider
from components.settings_base import PROJECT, Model, SettingsError, pool_key

if TYPE_CHECKING:
    # Only for annotations: components.settings builds its schema from every platform, so
    # it imports the packages' __init__, which import this module.
    from components.contract import GpuNodePool, PlatformFacts, PlatformOutputs
    from components.settings import GpuPool, StackSettings

# Components the add-ons install that a managed cluster may already run (the add-ons' names).
METRICS_SERVER = "metrics-server"
GPU_DEVICE_PLUGIN = "nvidia"
MANAGEABLE = frozenset({METRICS_SERVER, GPU_DEVICE_PLUGIN})

# A platform's settings block (covariant: a Platform[AwsSettings] is a Platform[Model]).
Block = TypeVar("Block", bound=Model, covariant=True)


@dataclass(frozen=True)
class PlatformArgs:
    """What every platform component is built from: the validated stack (its own block is
    `PLATFORM.block(settings)`)."""

    settings: StackSettings


@runtime_checkable
class PlatformFactsModule(Protocol):
    """A platform package's facts.py: what the stack file alone decides, no component."""

    def check(self, settings: StackSettings) -> None:
        """Raise SettingsError for anything the stack file alone shows to be wrong."""
        ...

    def preview_facts(self, settings: StackSettings) -> PlatformFacts:
        """The facts as far as they are known before deploy (placeholders for the rest)."""
        ...

    # Optional, so not a member here: `secret_env_keys(settings) -> Sequence[str]`, the names
    # of the secret environment variables the control plane gets; a facts.py without it
    # gives none (Platform.secret_env_keys).

    def gpu_pools(self, settings: StackSettings) -> list[GpuNodePool]:
        """The GPU pools the platform provides, with their node capacity."""
        ...

    def kubernetes_version(self, settings: StackSettings) -> str | None:
        """The cluster's Kubernetes minor version ("1.33") when the stack file states it;
        the cluster autoscaler must match it."""
        ...


@runtime_checkable
class PlatformComponent(Protocol):
    """A platform package's ComponentResource (platform.py), once built."""

    outputs: PlatformOutputs


class Platform(ABC, Generic[Block]):
    """One platform, as the program knows it before anything exists. A package declares the
    traits and names its settings block (the type argument, `Platform["AwsSettings"]`); the
    roles below find its settings.py, facts.py and platform.py."""

    # The stack file's `cloud` value, and the name of the platform's block in it.
    cloud: ClassVar[str]
    # The chart's cloud_provider: aws | azure | gcp | onprem.
    cloud_provider: ClassVar[CloudProvider]
    # The program creates the cluster's nodes, so `catalog` describes them and the fit model
    # computes their allocatable; False (`existing`): the operator's nodes, whose allocatable
    # the stack file declares (gpu.pools[].nodeAllocatable) and whose pools it does not shape.
    creates_nodes: ClassVar[bool] = True
    # The cloud scales node groups only through a cluster autoscaler the program installs.
    needs_cluster_autoscaler: ClassVar[bool] = False
    # What the managed cluster already runs (METRICS_SERVER, GPU_DEVICE_PLUGIN): the add-ons
    # never install a second one, and a stack that turns one on is refused.
    managed_components: ClassVar[frozenset[str]] = frozenset()
    # The cluster's CNI enforces NetworkPolicy (as the program creates the cluster).
    enforces_network_policy: ClassVar[bool] = False
    # The node types it offers per accelerator and what they are made of (the package's
    # catalog.py); none for a platform that creates no nodes (creates_nodes False).
    catalog: ClassVar[Catalog] = Catalog()
    # operations.alerts' key (the Alerts field) naming an existing target for the alarms the
    # platform creates (an SNS topic, an action group); None: it creates no cloud alarms, so
    # no alert target is asked for.
    alert_target: ClassVar[str | None] = None
    # Alertmanager delivers model-engine's Prometheus alerts to that target by itself
    # (`build` then sets PlatformOutputs.alert_sns_topic_arn, and only then); otherwise only
    # the operator's alertWebhookUrl reaches anyone.
    alertmanager_delivers: ClassVar[bool] = False

    @cached_property
    def settings_block(self) -> type[Block]:
        """The stack file's `<cloud>` block (model-engine-infra:<cloud>): the class
        `<Name>Settings` of the package's settings.py (`<Name>` the PLATFORM object's class,
        whose type argument names it for the type checker), imported when first asked for, so
        a stack on another cloud never creates this one's classes."""
        module = self._module("settings")
        name = f"{type(self).__name__}Settings"
        block: object = getattr(module, name, None)
        if not (isinstance(block, type) and issubclass(block, Model)):
            raise TypeError(
                f"{module.__name__} defines no Model class {name}: a platform's settings "
                "block is named after its PLATFORM object's class"
            )
        return cast("type[Block]", block)

    def block(self, settings: StackSettings) -> Block:
        """The stack file's block of this platform, typed. Validation requires it whenever
        `cloud` names this platform, so only a caller that did not check the cloud fails
        (without importing this platform's settings)."""
        block: object = (
            getattr(settings, self.cloud, None) if settings.cloud == self.cloud else None
        )
        if block is None or not isinstance(block, self.settings_block):
            raise SettingsError(
                [
                    f"{PROJECT}:{self.cloud}: not set (cloud is {settings.cloud!r}); the "
                    f"`{self.cloud}` block is read only when cloud is {self.cloud!r}"
                ]
            )
        return block

    def _module(self, name: str) -> ModuleType:
        """The module `name` of the package that defines this platform's class."""
        package = sys.modules[type(self).__module__].__package__
        return importlib.import_module(f"{package}.{name}")

    def qualified_name(self) -> str:
        """The class that declares it (`components.aws.Aws`), for messages."""
        return f"{type(self).__module__}.{type(self).__qualname__}"

    def package_path(self) -> str:
        """The platform's package (`components/aws`), for messages."""
        package = sys.modules[type(self).__module__].__package__ or ""
        return package.replace(".", "/")

    def catalog_path(self) -> str:
        """Where the package keeps its catalog (`components/aws/catalog.py`), for messages."""
        return f"{self.package_path()}/catalog.py"

    def facts(self) -> PlatformFactsModule:
        """The package's facts.py, imported when first asked for."""
        module = self._module("facts")
        if not isinstance(module, PlatformFactsModule):
            raise TypeError(
                f"{module.__name__} lacks a role of components.platform.PlatformFactsModule "
                "(check, preview_facts, gpu_pools, kubernetes_version)"
            )
        return module

    def component(self) -> Callable[..., object]:
        """The package's ComponentResource class, `<Name>Platform` in its platform.py for a
        PLATFORM of class `<Name>`; importing it loads the cloud's SDK."""
        module = self._module("platform")
        name = f"{type(self).__name__}Platform"
        component: object = getattr(module, name, None)
        if not isinstance(component, type):
            raise TypeError(
                f"{module.__name__} defines no class {name}: a platform's component is "
                "named after its PLATFORM object's class"
            )
        return component

    def kubernetes_version(self, settings: StackSettings) -> str | None:
        return self.facts().kubernetes_version(settings)

    def check(self, settings: StackSettings) -> None:
        """The stack's GPU pools as the catalog offers them (pool_problems), then the
        package's own checks, refused together."""
        problems = self.pool_problems(settings)
        try:
            self.facts().check(settings)
        except SettingsError as e:
            problems += e.problems
        if problems:
            raise SettingsError(problems)

    def pool_problems(self, settings: StackSettings) -> list[str]:
        """What every platform that creates its nodes refuses in gpu.pools, in its catalog's
        words: a node type the catalog lacks for the accelerator, an instanceType that does
        not carry it, gpusPerNode or balloonGpus the type contradicts, a capacity.type it
        does not offer. None for a platform whose nodes are the operator's."""
        if not self.creates_nodes:
            return []
        problems: list[str] = []
        for i, pool in enumerate(settings.gpu.pools):
            key = pool_key(i)
            problems += self._node_type_problems(pool, key)
            problems += _capacity_type_problems(self, settings, pool.capacity.type, key)
        return problems

    def _node_type_problems(self, pool: GpuPool, key: str) -> list[str]:
        catalog = self.catalog
        words = {
            "accelerator": pool.accelerator,
            "noun": catalog.node_noun,
            "cloud": self.cloud,
            "catalog": self.catalog_path(),
            "offered": ", ".join(k for k in accelerators.CATALOG if catalog.accelerators.get(k)),
        }
        return accelerators.pool_problems(
            pool,
            self.cloud,
            key,
            catalog.node_noun,
            absent=catalog.absent.format(**words),
            foreign=catalog.foreign.format(**words),
        )

    def preview_facts(self, settings: StackSettings) -> PlatformFacts:
        return self.facts().preview_facts(settings)

    def gpu_pools(self, settings: StackSettings) -> list[GpuNodePool]:
        """The package's pools. A pool whose node type the catalog cannot name is refused
        here too (pool_problems' words), so that every caller (the program, the plan, the
        bench) gets that refusal rather than a catalog lookup's KeyError."""
        if self.creates_nodes:
            unplaced = [
                problem
                for i, pool in enumerate(settings.gpu.pools)
                if accelerators.node_gpus(pool, self.cloud) is None
                for problem in self._node_type_problems(pool, pool_key(i))
            ]
            if unplaced:
                raise SettingsError(unplaced)
        return self.facts().gpu_pools(settings)

    def secret_env_keys(self, settings: StackSettings) -> Sequence[str]:
        """The facts module's, or none: most platforms hand the control plane no secret env."""
        keys: Callable[[StackSettings], Sequence[str]] | None = getattr(
            self.facts(), "secret_env_keys", None
        )
        return keys(settings) if keys is not None else ()

    def build(self, name: str, settings: StackSettings) -> PlatformOutputs:
        """Provision (or look up) the platform: the only role that imports the component."""
        built = self.component()(name, PlatformArgs(settings=settings))
        if not isinstance(built, PlatformComponent):
            raise TypeError(f"{type(built).__name__} sets no `outputs` (PlatformOutputs)")
        return built.outputs


# Every platform's nodes come on demand or as spot capacity; the catalog adds what it holds.
UNHELD_CAPACITY = ("on-demand", "spot")


def _capacity_type_problems(
    platform: Platform[Model], settings: StackSettings, kind: str, key: str
) -> list[str]:
    """A pool's capacity.type the platform offers: on-demand, spot, or one its catalog holds
    (`held_capacity`); a refusal names what the type is where another platform has it."""
    held = platform.catalog.held_capacity
    if kind in UNHELD_CAPACITY or kind in held:
        return []
    elsewhere = [
        p.catalog.held_capacity[kind]
        for p in settings.platforms.values()
        if kind in p.catalog.held_capacity
    ]
    what = f" ({kind} is {' or '.join(elsewhere)})" if elsewhere else ""
    choices = [*UNHELD_CAPACITY, *(f"{k} ({v})" for k, v in held.items())]
    return [
        f"{key}.capacity.type: {platform.cloud} has no {kind}{what}; use "
        f"{', '.join(choices[:-1])} or {choices[-1]}"
    ]


def by_cloud(platforms: Iterable[Platform[Model]]) -> dict[str, Platform[Model]]:
    """The platforms by `cloud`, refusing two that declare the same one: in a dict the second
    would replace the first without a word, in the program's list and in the stack file's
    schema alike."""
    found: dict[str, Platform[Model]] = {}
    for platform in platforms:
        if platform.cloud in found:
            raise ValueError(
                f"platforms {found[platform.cloud].qualified_name()} and "
                f"{platform.qualified_name()} both declare cloud {platform.cloud!r}: `cloud` "
                "is the stack file's value and its block's key, so each platform needs its own"
            )
        found[platform.cloud] = platform
    return found
