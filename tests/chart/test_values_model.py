"""The values model knows the chart: it rejects keys no template reads, and it knows every key
the templates read (so operators can set any real chart value through chartValues)."""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from components.existing import facts as existing
from components.model_engine import guards
from components.model_engine.derive import SecretRefs, derive
from components.model_engine.values import ChartValues
from tests.chart.template_refs import ANY_KEY, LIST_ITEM, References, ValuePath, dotted
from tests.helpers import settings_from


def _closed(model: type[BaseModel]) -> bool:
    return model.model_config.get("extra") == "forbid"


def _models_in(annotation: Any) -> Iterator[tuple[bool, type[BaseModel]]]:
    """(is a list item, model) for each pydantic model an annotation allows."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield False, annotation
    elif origin is list:
        for _, model in _models_in(typing.get_args(annotation)[0]):
            yield True, model
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _models_in(arg)


def model_paths(model: type[BaseModel], prefix: ValuePath = ()) -> Iterator[ValuePath]:
    """Every key path the model accepts (below free-form maps nothing is listed)."""
    for name, info in model.model_fields.items():
        key = info.alias or name
        path = (*prefix, key)
        yield path
        for is_item, sub in _models_in(info.annotation):
            yield from model_paths(sub, (*path, LIST_ITEM) if is_item else path)


def model_knows(model: type[BaseModel], path: ValuePath) -> bool:
    """The model accepts this path: each key is a field of a closed model, until a free-form
    value (a Kubernetes object the chart copies verbatim) or the end of the path."""
    if not path or path[0] == ANY_KEY:  # `range $k, $v` over a block: its fields are the keys
        return True
    key, rest = path[0], path[1:]
    fields = {(i.alias or n): i for n, i in model.model_fields.items()}
    if key not in fields:
        return not _closed(model)
    found = list(_models_in(fields[key].annotation))
    if not found:
        return True  # a free-form value
    for is_item, sub in found:
        if not is_item and model_knows(sub, rest):
            return True
        if is_item and (not rest or (rest[0] == LIST_ITEM and model_knows(sub, rest[1:]))):
            return True
    return False


def test_every_closed_block_is_closed() -> None:
    def walk(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
        yield model
        for info in model.model_fields.values():
            for _, sub in _models_in(info.annotation):
                yield from walk(sub)

    assert [m.__name__ for m in walk(ChartValues) if not _closed(m)] == []


def test_every_key_the_model_knows_is_read_by_a_template(refs: References) -> None:
    unread = [dotted(p) for p in model_paths(ChartValues) if not refs.touches(p)]
    assert unread == []


def test_the_model_knows_every_key_a_template_reads(refs: References) -> None:
    unknown = sorted(
        f"{dotted(p)} ({refs.where[p]})"
        for p in refs.exact | refs.whole
        if p and not model_knows(ChartValues, p)
    )
    assert unknown == []


def test_the_cross_check_sees_an_unknown_key() -> None:
    assert not model_knows(ChartValues, ("gpuToleration",))
    assert not model_knows(ChartValues, ("aws", "s3WriteProfile"))
    assert model_knows(ChartValues, ("nodeSelector", "any-label"))
    assert model_knows(ChartValues, ("imageCache", "devices", LIST_ITEM, "name"))
    assert not model_knows(ChartValues, ("imageCache", "devices", LIST_ITEM, "nam"))


# -- renamed keys fail at once, without a chart -------------------------------------------


@pytest.fixture(scope="module")
def valid_values() -> dict[str, Any]:
    """Values derived for the existing-infra example (they pass every guard)."""
    from tests.conftest import stack_file

    settings = settings_from(copy.deepcopy(stack_file("existing-infra")))
    pools = existing.gpu_pools(settings)
    values = derive(existing.preview_facts(settings), settings, pools, SecretRefs(database="db"))
    ChartValues.model_validate(values)
    return values


@pytest.mark.parametrize(
    ("path", "renamed"),
    [
        (("gpuTolerations",), "gpuToleration"),
        (("serviceTemplate", "mountInfraConfig"), "mountInfraConfigs"),
        (("balloonConfig", "reserveHighPriority"), "reserveHighPriorty"),
        (("aws", "s3WriteProfileName"), "s3WriteProfile"),
    ],
)
def test_a_renamed_chart_key_is_rejected(
    valid_values: dict[str, Any], path: tuple[str, ...], renamed: str
) -> None:
    values = copy.deepcopy(valid_values)
    values.setdefault("aws", {"configMap": {}, "s3WriteProfileName": "default"})
    node = values
    for key in path[:-1]:
        node = node[key]
    node[renamed] = node.pop(path[-1])
    findings = {f.path: f.message for f in guards._model_findings(values)}
    wrong = ".".join((*path[:-1], renamed))
    assert "no chart template reads it" in findings[wrong]


@pytest.mark.parametrize("key", ["keyvaultName", "image.cacherRepository", "redisPasword"])
def test_a_key_no_template_reads_is_rejected(valid_values: dict[str, Any], key: str) -> None:
    values = copy.deepcopy(valid_values)
    node = values
    *parents, last = key.split(".")
    for part in parents:
        node = node[part]
    node[last] = "x"
    findings = {f.path: f.message for f in guards._model_findings(values)}
    assert "no chart template reads it" in findings[key]
