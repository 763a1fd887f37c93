"""The Azure guards: each fires on its own pitfall, on values that otherwise pass."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from components.contract import GpuNodePool
from components.model_engine import guards
from components.model_engine.guards import aws, azure, broker, identity, registry
from components.settings import StackSettings
from tests.azure.helpers import AzureRun
from tests.helpers import settings_from

Values = dict[str, Any]


@pytest.fixture(scope="module")
def settings() -> StackSettings:
    from tests.azure.helpers import azure_config

    return settings_from(azure_config())


@pytest.fixture(scope="module")
def pools(settings: StackSettings) -> list[GpuNodePool]:
    from components.azure import facts

    return facts.gpu_pools(settings)


def _ints(node: Any) -> Any:
    """The engine hands numbers back as floats; the chart values had ints."""
    if isinstance(node, dict):
        return {k: _ints(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_ints(v) for v in node]
    if isinstance(node, float) and node.is_integer():
        return int(node)
    return node


@pytest.fixture(scope="module")
def values(prod: AzureRun) -> Values:
    return _ints(prod.values)


def findings(
    guard: guards.Guard, values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> dict[str, str]:
    ctx = guards.Context(values, settings, pools)
    return {f.path: f.message for f in guard(ctx) if f.level == "error"}


def all_errors(values: Values, settings: StackSettings, pools: list[GpuNodePool]) -> set[str]:
    return {f.path for f in guards.check(values, settings, pools) if f.level == "error"}


def broken(values: Values, change: Callable[[Values], None]) -> Values:
    out = copy.deepcopy(values)
    change(out)
    return out


def test_the_azure_example_passes_every_guard(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    assert all_errors(values, settings, pools) == set()


def test_redis_host_without_port_is_rejected(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    def drop_port(v: Values) -> None:
        launch = v["config"]["values"]["launch"]
        launch["cache_redis_azure_host"] = launch["cache_redis_azure_host"].rsplit(":", 1)[0]

    bad = broken(values, drop_port)
    found = findings(azure.azure_redis_host, bad, settings, pools)
    assert "6379" in found["config.values.launch.cache_redis_azure_host"]
    assert "config.values.launch.cache_redis_azure_host" in all_errors(bad, settings, pools)
    assert findings(azure.azure_redis_host, values, settings, pools) == {}


def test_aws_block_on_azure_is_rejected(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    bad = broken(values, lambda v: v.update(aws={"profileName": "default"}))
    found = findings(aws.aws_block_off_aws, bad, settings, pools)
    assert "AWS_PROFILE" in found["aws"]
    assert findings(aws.aws_block_off_aws, values, settings, pools) == {}


def test_empty_inference_service_account_annotations_are_rejected(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    bad = broken(values, lambda v: v["serviceTemplate"].update(serviceAccountAnnotations={}))
    found = findings(identity.inference_service_account, bad, settings, pools)
    assert "only when this map has entries" in found["serviceTemplate.serviceAccountAnnotations"]
    assert findings(identity.inference_service_account, values, settings, pools) == {}


@pytest.mark.parametrize("key", ["client_id", "servicebus_namespace", "object_id"])
def test_missing_azure_value_is_rejected(
    values: Values, settings: StackSettings, pools: list[GpuNodePool], key: str
) -> None:
    bad = broken(values, lambda v: v["azure"].pop(key))
    assert f"azure.{key}" in findings(azure.azure_block, bad, settings, pools)


def test_azure_without_the_block_or_the_block_off_azure(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    bad = broken(values, lambda v: v.pop("azure"))
    assert "workload identity" in findings(azure.azure_block, bad, settings, pools)["azure"]
    other = broken(values, lambda v: v["config"]["values"]["infra"].update(cloud_provider="gcp"))
    assert "must not be set" in findings(azure.azure_block, other, settings, pools)["azure"]


def test_full_repository_reference_is_rejected_on_acr(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    prefix = values["config"]["values"]["infra"]["docker_repo_prefix"]

    def full(v: Values) -> None:
        v["config"]["values"]["launch"]["vllm_repository"] = f"{prefix}/vllm"

    found = findings(registry.relative_repositories, broken(values, full), settings, pools)
    assert "host would appear twice" in found["config.values.launch.vllm_repository"]


def test_redis_broker_on_azure_is_rejected(
    values: Values, settings: StackSettings, pools: list[GpuNodePool]
) -> None:
    bad = broken(values, lambda v: v.update(celeryBrokerType="redis"))
    assert "servicebus" in findings(broker.broker_type, bad, settings, pools)["celeryBrokerType"]
