"""The platform interface: what a platform (aws, azure, gcp, existing, ...) is to the program.

A platform package fills it with one object, `PLATFORM` in the package's `__init__.py`, which
imports no provider SDK: listing every platform costs nothing. Its pre-deploy roles read the
package's `facts.py`; only `build` imports the component (`platform.py`) and with it the
cloud's SDK. The program, the add-ons and the preflight read the traits declared here and
nowhere else.

A package laid out like its siblings:

    components/<cloud>/__init__.py   PLATFORM: the traits and the roles below
    components/<cloud>/settings.py   the stack file's block for this platform
    components/<cloud>/facts.py      check, gpu_pools, secret_env_keys, kubernetes_version,
                                     preview_facts (and the facts builder the component shares)
    components/<cloud>/catalog.py    CATALOG: its node types per accelerator, their shapes and
                                     disk throughput (components/instances.py's Catalog)
    components/<cloud>/platform.py   the ComponentResource, taking PlatformArgs
    components/<cloud>/network.py, cluster.py, node_pools.py, database.py, cache.py,
    registry.py, storage.py, identity.py, common.py: one child component per concern, beside
                                     that concern's SDK-free parts (policy documents and
                                     federated subjects in identity.py, the registry prefix in
                                     registry.py), which facts.py reads; these modules import
                                     their provider SDK through components.sdk.lazy, so
                                     importing facts.py loads none
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from components.instances import Catalog

if TYPE_CHECKING:
    # Only for annotations: components.settings imports every platform's settings module,
    # which runs that package's __init__, which imports this module.
    from components.contract import GpuNodePool, PlatformFacts, PlatformOutputs
    from components.settings import Cloud, StackSettings

# Components the add-ons install that a managed cluster may already run (the add-ons' names).
METRICS_SERVER = "metrics-server"
GPU_DEVICE_PLUGIN = "nvidia"
MANAGEABLE = frozenset({METRICS_SERVER, GPU_DEVICE_PLUGIN})


@dataclass(frozen=True)
class PlatformArgs:
    """What every platform component is built from: the validated stack (its own block is
    `settings.<cloud>`)."""

    settings: StackSettings


class PlatformFactsModule(Protocol):
    """A platform package's facts.py: what the stack file alone decides, no component."""

    def check(self, settings: StackSettings) -> None:
        """Raise SettingsError for anything the stack file alone shows to be wrong."""
        ...

    def preview_facts(self, settings: StackSettings) -> PlatformFacts:
        """The facts as far as they are known before deploy (placeholders for the rest)."""
        ...

    def gpu_pools(self, settings: StackSettings) -> list[GpuNodePool]:
        """The GPU pools the platform provides, with their node capacity."""
        ...

    def secret_env_keys(self, settings: StackSettings) -> Sequence[str]:
        """Names of the secret environment variables the control plane gets."""
        ...

    def kubernetes_version(self, settings: StackSettings) -> str | None:
        """The cluster's Kubernetes minor version ("1.33") when the stack file states it;
        the cluster autoscaler must match it."""
        ...


class PlatformComponent(Protocol):
    """A platform package's ComponentResource (platform.py)."""

    outputs: PlatformOutputs


class Platform(ABC):
    """One platform, as the program knows it before anything exists. A package declares the
    traits and names its two modules; the roles below read them."""

    # The stack file's `cloud` value.
    cloud: ClassVar[Cloud]
    # The chart's cloud_provider: aws | azure | gcp | onprem.
    cloud_provider: ClassVar[str]
    # The cloud scales node groups only through a cluster autoscaler the program installs.
    needs_cluster_autoscaler: ClassVar[bool] = False
    # What the managed cluster already runs (METRICS_SERVER, GPU_DEVICE_PLUGIN): the add-ons
    # never install a second one, and a stack that turns one on is refused.
    managed_components: ClassVar[frozenset[str]] = frozenset()
    # The cluster's CNI enforces NetworkPolicy (as the program creates the cluster).
    enforces_network_policy: ClassVar[bool] = False
    # The node types it offers per accelerator and what they are made of (the package's
    # catalog.py); none for a platform that creates no nodes.
    catalog: ClassVar[Catalog] = Catalog()

    @abstractmethod
    def facts(self) -> PlatformFactsModule:
        """The package's facts.py, imported when first asked for."""

    @abstractmethod
    def component(self) -> Callable[[str, PlatformArgs], PlatformComponent]:
        """The package's ComponentResource class; importing it loads the cloud's SDK."""

    def kubernetes_version(self, settings: StackSettings) -> str | None:
        return self.facts().kubernetes_version(settings)

    def check(self, settings: StackSettings) -> None:
        self.facts().check(settings)

    def preview_facts(self, settings: StackSettings) -> PlatformFacts:
        return self.facts().preview_facts(settings)

    def gpu_pools(self, settings: StackSettings) -> list[GpuNodePool]:
        return self.facts().gpu_pools(settings)

    def secret_env_keys(self, settings: StackSettings) -> Sequence[str]:
        return self.facts().secret_env_keys(settings)

    def build(self, name: str, settings: StackSettings) -> PlatformOutputs:
        """Provision (or look up) the platform: the only role that imports the component."""
        return self.component()(name, PlatformArgs(settings=settings)).outputs
