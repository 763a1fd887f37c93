"""The EKS calendar: a version EKS creates at the price the stack chose."""

from __future__ import annotations

from typing import Any

import pytest

from components.aws import PLATFORM
from components.aws import versions as eks_versions
from tests.aws.cluster_configs import existing_cluster_config
from tests.aws.helpers import run_aws
from tests.helpers import set_path, settings_from


def test_default_version_is_in_standard_support_today(config: dict[str, Any]) -> None:
    del config["model-engine-infra:aws"]["cluster"]["version"]
    run = run_aws(config)
    cluster = run.one("aws:eks/cluster:Cluster").inputs
    assert cluster["version"] == "1.35"
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}


def test_extended_support_is_an_explicit_choice(config: dict[str, Any]) -> None:
    set_path(config, "aws.cluster", {"version": "1.33", "supportType": "EXTENDED"})
    cluster = run_aws(config).one("aws:eks/cluster:Cluster").inputs
    assert cluster["version"] == "1.33"
    assert cluster["upgradePolicy"] == {"supportType": "EXTENDED"}


@pytest.mark.parametrize(
    ("day", "standard"),
    [("2026-12-01", True), ("2026-12-02", False)],
)
def test_standard_support_ends_on_the_calendar_date(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, day: str, standard: bool
) -> None:
    # EKS calendar: 1.34 leaves standard support on December 2, 2026.
    monkeypatch.setenv(eks_versions.TODAY_ENV, day)
    set_path(config, "aws.cluster.version", "1.34")
    if standard:
        assert PLATFORM.block(settings_from(config)).cluster.version == "1.34"
    else:
        with pytest.raises(ValueError, match="left EKS standard support on 2026-12-02"):
            settings_from(config)


def test_a_version_past_extended_support_is_not_created(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # EKS calendar: 1.32 leaves extended support on March 23, 2027.
    set_path(config, "aws.cluster", {"version": "1.32", "supportType": "EXTENDED"})
    monkeypatch.setenv(eks_versions.TODAY_ENV, "2027-03-22")
    assert PLATFORM.block(settings_from(config)).cluster.version == "1.32"
    monkeypatch.setenv(eks_versions.TODAY_ENV, "2027-03-23")
    with pytest.raises(ValueError, match="EKS stopped creating clusters on it"):
        settings_from(config)


def test_existing_clusters_are_not_judged_by_the_calendar(config: dict[str, Any]) -> None:
    existing_cluster_config(config)
    set_path(config, "aws.cluster.version", "1.33")
    assert PLATFORM.block(settings_from(config)).cluster.version == "1.33"
