"""The simulated cloud: runs the real program against Pulumi mocks, offline.

`plan` and the tests share it, so what the plan prints is what the tests assert on.
Every resource registration is recorded with its type, name, parent, provider,
dependencies, resource options (protect, retainOnDelete, customTimeouts, ignoreChanges,
deleteBeforeReplace) and inputs (and the protobuf Struct they travelled in, which is what a
policy pack is handed). Outputs a real cloud would compute (every id, an RDS address, an
ARN) and what only the deployer's credentials know (the account) come back as
`<after-deploy TYPE NAME.attr>` strings that name the resource output or lookup, so a
chart value that derives from one shows exactly where it comes from. Lookups of things
that exist before the program (an EKS cluster) find only what `existing` holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import runpy
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.resource as pulumi_resource_class
from google.protobuf import struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import rpc
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.settings import monitor_supports_feature
from pulumi.runtime.sync_await import _ensure_event_loop

from components.contract import DEFERRED_MARKER
from components.settings_base import PROJECT
from components.settings_loader import OFFLINE_SECRET
from plan import computed

ROOT = Path(__file__).resolve().parent.parent
# Logical name of the model-engine Release (components/model_engine/release.py: "<name>-chart").
MODEL_ENGINE_RELEASE = "model-engine-chart"
SECRET_SIG = rpc._special_secret_sig


def deferred(typ: str, name: str, attr: str) -> str:
    """The placeholder for an output known only after deploy."""
    return f"{DEFERRED_MARKER}{typ} {name}.{attr}>"


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    provider: str | None
    dependencies: list[str]
    inputs: dict[str, Any]
    # Dotted paths of inputs that arrived marked secret on the wire.
    secret_inputs: list[str]
    protect: bool
    state: dict[str, Any] = field(default_factory=dict)
    # The other resource options a review, a snapshot or the policy pack needs to see.
    retain_on_delete: bool = False
    # "create" / "update" / "delete" -> a Go duration, only those that are set.
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    ignore_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    # Input name -> the resources its value came from (the engine's data dependencies).
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    # The inputs exactly as they went over the wire (what a policy pack is handed).
    wire: struct_pb2.Struct = field(default_factory=struct_pb2.Struct)


def _secret_paths(value: Any, path: str = "") -> Iterator[str]:
    """Walk a protobuf Struct-like JSON tree and yield paths of secret-marked values."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == SECRET_SIG:
            yield path or "."
            return
        for k, v in value.items():
            yield from _secret_paths(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _secret_paths(v, f"{path}[{i}]")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks):
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        from google.protobuf import json_format

        raw = json_format.MessageToDict(request.object, preserving_proto_field_name=True)
        urn = response.urn
        wire = struct_pb2.Struct()
        wire.CopyFrom(request.object)
        self.recorded.append(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                provider=request.provider or None,
                dependencies=list(request.dependencies),
                inputs=_inputs(request),
                secret_inputs=sorted(_secret_paths(raw)),
                protect=bool(request.protect),
                state=dict(self.resources[urn].state),
                retain_on_delete=bool(request.retainOnDelete),
                custom_timeouts=_timeouts(request.customTimeouts),
                ignore_changes=list(request.ignoreChanges),
                delete_before_replace=bool(request.deleteBeforeReplace),
                property_dependencies={
                    k: list(v.urns) for k, v in request.propertyDependencies.items()
                },
                wire=wire,
            )
        )
        return response


def _timeouts(timeouts: Any) -> dict[str, str]:
    return {k: getattr(timeouts, k) for k in ("create", "update", "delete") if getattr(timeouts, k)}


def _inputs(request: Any) -> dict[str, Any]:
    """The inputs as plain values; which of them were secret is kept in secret_inputs."""
    _ensure_event_loop()
    return _unwrap_secrets(rpc.deserialize_properties(request.object))


def _unwrap_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == SECRET_SIG:
            return _unwrap_secrets(value.get("value"))
        return {k: _unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v) for v in value]
    return value


class SimulatedCloud(pulumi_mocks.Mocks):
    """Returns each resource's inputs plus the outputs its cloud would compute; lookups
    find only what `existing` holds."""

    def __init__(self, existing: computed.Existing | None = None):
        super().__init__()
        self.existing = existing or computed.Existing()

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict]:
        if not args.custom:
            return None, dict(args.inputs)
        rule = computed.RESOURCES.get(args.typ)
        extra = rule(args.name, args.inputs) if rule else {}
        state = {**args.inputs, **extra}
        # A created resource's id is the cloud's to assign, unless it follows from the name
        # (Azure's ARM ids): then the cloud's rule gives it as `__id`.
        resource_id = state.pop("__id", None) or deferred(args.typ, args.name, "id")
        return resource_id, state

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        rule = computed.CALLS.get(args.token)
        if rule is None:
            raise NotImplementedError(
                f"the simulated cloud has no answer for invoke {args.token}; add it to "
                "plan/computed.py"
            )
        return rule(args.args, self.existing), []


def package(typ: str) -> str:
    """The provider package of a resource type token: `aws` of `aws:eks/cluster:Cluster`."""
    return typ.split(":", 1)[0]


def packages(resources: Iterable[RecordedResource]) -> Counter[str]:
    """How many resources of each provider package the run created (custom resources; the
    provider instances themselves left out). The plan's tables are keyed by type, so a new
    platform shows up here as a package they do not know."""
    return Counter(
        package(r.type)
        for r in resources
        if r.custom and not r.type.startswith("pulumi:providers:")
    )


@dataclass
class ProgramRun:
    resources: list[RecordedResource]
    exports: dict[str, Any]
    logs: list[str]

    def of_type(self, typ: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> RecordedResource:
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(typ)]
            raise AssertionError(f"expected one {typ} named {name!r}, found {names}")
        return found[0]

    def by_urn(self, urn: str) -> RecordedResource:
        return next(r for r in self.resources if r.urn == urn)

    @property
    def release(self) -> RecordedResource:
        """The model-engine chart's Release (add-ons are Releases too)."""
        return self.one("kubernetes:helm.sh/v3:Release", MODEL_ENGINE_RELEASE)

    @property
    def values(self) -> dict[str, Any]:
        """The values Helm would use: the Release's values files, then `values` on top."""
        return helm_values(self.release.inputs)


def helm_values(release_inputs: Mapping[str, Any]) -> dict[str, Any]:
    from components.settings_base import deep_merge
    from plan import fast_yaml

    merged: dict[str, Any] = {}
    for asset in release_inputs.get("valueYamlFiles") or []:
        if isinstance(asset, pulumi.StringAsset):
            merged = deep_merge(merged, fast_yaml.safe_load(asset.text) or {})
    return deep_merge(merged, release_inputs.get("values") or {})


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname.lower()}: {record.getMessage()}")


def config_from_stack(values: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Turn a stack file's `config:` map into what the engine hands a program.

    Objects travel as JSON strings; `secure:` values cannot be decrypted offline, so they
    become the string `[secret]` and are marked secret.
    """
    import json

    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in values.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full] = OFFLINE_SECRET
            secret_keys.append(full)
        elif isinstance(value, (dict, list)):
            config[full] = json.dumps(value)
        elif isinstance(value, bool):
            config[full] = "true" if value else "false"
        else:
            config[full] = str(value)
    return config, secret_keys


def run_program(
    config: Mapping[str, Any],
    *,
    stack: str = "simulated",
    program: Callable[[], None] | None = None,
    recorded: list[RecordedResource] | None = None,
    existing: computed.Existing | None = None,
    cloud: SimulatedCloud | None = None,
) -> ProgramRun:
    """Run the program (default: __main__.py) against the simulated cloud.

    `config` is a stack file's `config:` map (keys with or without the project prefix).
    Raises what the program raises (pulumi.RunError for a stack-file mistake). Pass
    `recorded` to see what was registered even when the program fails, and `existing`
    for what the cloud already holds (an EKS cluster the stack looks up), or a whole `cloud`
    that answers differently (the end-to-end test's, which fills in what a deploy computes).
    """
    config_map, secret_keys = config_from_stack(config)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = RecordingMonitor(cloud or SimulatedCloud(existing))
    if recorded is not None:
        monitor.recorded = recorded
    capture_logs = _LogCapture()
    logger = logging.getLogger(f"simulated-engine-{id(monitor)}")
    logger.propagate = False
    logger.addHandler(capture_logs)
    exports: dict[str, Any] = {}
    real_stack_trace = pulumi_resource._get_stack_trace
    real_collapse = pulumi_resource_class.collapse_alias_to_urn  # pyright: ignore[reportPrivateImportUsage]
    try:
        # The SDK walks the Python stack and reads source lines for every resource it
        # registers, to tell the engine where in the program it was declared. The mock
        # monitor drops that (nothing here records or prints it), and it cost customer-prod's
        # plan 0.2 s of its 1.7 s of CPU. Only while this offline run lasts: a real `pulumi up`
        # never imports this module and keeps the SDK's own function.
        pulumi_resource._get_stack_trace = _no_stack_trace
        pulumi.runtime.set_all_config(config_map, secret_keys)
        pulumi_mocks.set_mocks(
            monitor.mocks,
            project=PROJECT,
            stack=stack,
            preview=False,
            monitor=monitor,
            logger=logger,
        )
        # Every resource's constructor turns each of its aliases into a URN Output, which only
        # its children read, to inherit aliases on an engine without alias specs. The mock
        # monitor takes alias specs: the aliases themselves go in each registration unchanged
        # and those URNs are never read (tests/test_simulated_cloud.py). azure-native's
        # resources carry a dozen aliases each (one per past API version): 1,900 URN chains,
        # over half of azure-prod's run. Only while this offline run lasts.
        if monitor_supports_feature(resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS):
            pulumi_resource_class.collapse_alias_to_urn = _unread_alias_urn  # type: ignore[assignment]
        real_export = pulumi.export

        def capture(name: str, value: Any) -> None:
            exports[name] = value
            real_export(name, value)

        pulumi.export = capture  # type: ignore[assignment]
        try:
            run = program or (lambda: runpy.run_path(str(ROOT / "__main__.py")))
            _run_to_completion(run)
            resolved = {k: _await_output(v) for k, v in exports.items()}
        finally:
            pulumi.export = real_export  # type: ignore[assignment]
        return ProgramRun(monitor.recorded, resolved, capture_logs.lines)
    finally:
        _cancel_pending(loop)
        pulumi_resource._get_stack_trace = real_stack_trace
        pulumi_resource_class.collapse_alias_to_urn = real_collapse  # type: ignore[assignment]
        pulumi.runtime.reset_options()
        pulumi.runtime.set_all_config({}, [])
        loop.close()
        asyncio.set_event_loop(None)


def _no_stack_trace() -> source_pb2.StackTrace:
    """What the SDK sends when it finds no user frame: no stack, no source position."""
    return source_pb2.StackTrace()


def _unread_alias_urn(*_: Any) -> None:
    """Stands for an alias URN that nothing reads while the monitor takes alias specs."""
    return None


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """A failed program leaves work queued (applies on the failed Output): cancel it so it
    does not leak into the next run as never-awaited coroutines."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _run_to_completion(run: Callable[[], Any]) -> None:
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    with contextlib.redirect_stdout(io.StringIO()):
        _sync_await(run_pulumi_func(run))


def _await_output(value: Any) -> Any:
    from pulumi.runtime.sync_await import _sync_await

    if isinstance(value, pulumi.Output):
        return _sync_await(value.future())
    return value
