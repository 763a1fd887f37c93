"""No value the program sets is read by no template: a key the chart ignores is a bug (a
renamed key, a stale one from the reference document), because the setting it stands for
silently does nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.support import StackRender
from tests.chart.template_refs import References, ValuePath, dotted, leaf_paths

# Values read by something other than a chart template, each with its reader. Keys under
# config.values need no entry: the chart renders them all into the service ConfigMap (the
# server's InfraConfig / HostedModelInferenceServiceConfig, modelled closed in values.py,
# judge them).
READ_ELSEWHERE: dict[ValuePath, str] = {}


def unread(values: dict[str, Any], refs: References) -> list[str]:
    return [
        f"{dotted(path)}"
        for path in leaf_paths(values)
        if not refs.reads(path) and path not in READ_ELSEWHERE
    ]


def test_every_value_the_program_sets_is_read_by_a_template(
    stack: StackRender, refs: References
) -> None:
    assert unread(stack.values, refs) == []


def test_every_allow_listed_value_is_really_unread_by_templates(refs: References) -> None:
    for path in READ_ELSEWHERE:
        assert not refs.reads(path), f"{dotted(path)} is read by a template: drop it from the list"


@pytest.mark.parametrize(
    ("values", "renamed"),
    [
        ({"gpuToleration": [{"key": "x"}]}, "gpuToleration[].key"),
        ({"serviceTemplate": {"mountInfraConfigs": True}}, "serviceTemplate.mountInfraConfigs"),
        ({"balloonConfig": {"reserveHighPriorities": True}}, "balloonConfig.reserveHighPriorities"),
        ({"aws": {"s3WriteProfile": "default"}}, "aws.s3WriteProfile"),
        ({"keyvaultName": "kv"}, "keyvaultName"),
        ({"image": {"cacherRepository": "r"}}, "image.cacherRepository"),
    ],
)
def test_the_check_sees_a_renamed_or_unread_key(
    refs: References, values: dict[str, Any], renamed: str
) -> None:
    assert unread(values, refs) == [renamed]


@pytest.mark.parametrize(
    "values",
    [
        {"gpuTolerations": [{"key": "x"}]},
        {"aws": {"s3WriteProfileName": "default", "configMap": {"mountPath": "/p"}}},
        {"nodeSelector": {"any-label": "v"}, "resources": {"requests": {"cpu": "1"}}},
        {"serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn"}}},
        {"imageCache": {"devices": [{"name": "cpu", "nodeSelector": {"a": "b"}}]}},
        {"config": {"values": {"infra": {"cloud_provider": "aws"}, "launch": {"x": 1}}}},
    ],
)
def test_the_check_accepts_keys_templates_read(refs: References, values: dict[str, Any]) -> None:
    assert unread(values, refs) == []
