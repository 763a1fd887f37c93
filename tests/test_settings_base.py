"""components/settings_base.py: the validators every platform's stack block shares say the
same thing the same way on every cloud."""

from __future__ import annotations

import re
from typing import Any

import pydantic
import pydantic.alias_generators
import pytest

from components.aws import settings as aws_settings
from components.azure import settings as az
from components.gcp import settings as gcp_settings
from components.settings_base import checked, one_or_more_tags, ordered


def test_ordered_names_both_keys_as_the_stack_file_writes_them() -> None:
    pool = az.NodePool.model_construct(min_count=4, max_count=3)
    with pytest.raises(ValueError, match=r"^minCount must not exceed maxCount$"):
        ordered(pool, "min_count", "max_count")
    equal = az.NodePool.model_construct(min_count=3, max_count=3)
    assert ordered(equal, "min_count", "max_count") is equal


@pytest.mark.parametrize(
    ("model", "fields", "message"),
    [
        (az.NodePool, {"vmSize": "Standard_D8ds_v5", "minCount": 4, "maxCount": 3}, "minCount"),
        (
            gcp_settings.NodePool,
            {"machineType": "e2-standard-8", "minNodes": 4, "maxNodes": 3},
            "minNodes",
        ),
        (
            aws_settings.NodeGroup,
            {"instanceTypes": ["m6i.large"], "minSize": 4, "maxSize": 3},
            "minSize",
        ),
    ],
)
def test_every_cloud_refuses_a_pool_whose_minimum_exceeds_its_maximum(
    model: type[pydantic.BaseModel], fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(pydantic.ValidationError, match=f"{message} must not exceed"):
        model.model_validate(fields)


def test_checked_keeps_a_good_value_and_quotes_a_bad_one() -> None:
    validate = checked(re.compile(r"\d+d").fullmatch, "{value!r} is not a number of days")
    assert validate("30d") == "30d"
    with pytest.raises(ValueError, match=r"^'30' is not a number of days$"):
        validate("30")


UPSTREAMS: list[tuple[type[pydantic.BaseModel], dict[str, Any], str]] = [
    (
        aws_settings.Upstream,
        {"url": "public.ecr.aws/acme", "warm": {"batch_inference_vllm_repository": "1"}},
        "public.ecr.aws/acme",
    ),
    (az.Upstream, {"url": "ghcr.io/acme", "public": True}, "ghcr.io/acme"),
]


@pytest.mark.parametrize(("model", "good", "example"), UPSTREAMS)
def test_an_upstream_url_is_host_and_path_without_a_scheme(
    model: type[pydantic.BaseModel], good: dict[str, Any], example: str
) -> None:
    upstream: Any = model.model_validate(good)
    assert (upstream.host, upstream.path) == tuple(example.split("/"))
    for url in (f"https://{example}", f"{example}/"):
        with pytest.raises(pydantic.ValidationError, match=f"without a scheme, e.g. {example}"):
            model.model_validate({**good, "url": url})


@pytest.mark.parametrize(("model", "good", "example"), UPSTREAMS)
def test_only_repositories_the_upstream_fills_can_be_warmed(
    model: type[pydantic.BaseModel], good: dict[str, Any], example: str
) -> None:
    warm = {**good.get("warm", {}), "user_inference_base_repository": "1"}
    with pytest.raises(
        pydantic.ValidationError,
        match="warm: user_inference_base_repository are not filled from the upstream; use vllm_",
    ):
        model.model_validate({**good, "warm": warm})


def test_a_single_tag_reads_as_a_list_of_one() -> None:
    assert one_or_more_tags({"a": "1", "b": ["2", "3"]}) == {"a": ["1"], "b": ["2", "3"]}
    upstream = aws_settings.Upstream.model_validate(UPSTREAMS[0][1])
    assert upstream.warm == {"batch_inference_vllm_repository": ["1"]}


@pytest.mark.parametrize(
    ("model", "key", "good", "words"),
    [
        (aws_settings.Database, "instanceClass", "db.m6g.large", "not an RDS instance class"),
        (aws_settings.Redis, "nodeType", "cache.r7g.large", "not an ElastiCache node type"),
    ],
)
def test_aws_instance_classes_keep_their_service_prefix(
    model: type[pydantic.BaseModel], key: str, good: str, words: str
) -> None:
    assert (
        getattr(model.model_validate({key: good}), pydantic.alias_generators.to_snake(key)) == good
    )
    with pytest.raises(pydantic.ValidationError, match=f"'{good.split('.', 1)[1]}' is {words}"):
        model.model_validate({key: good.split(".", 1)[1]})
