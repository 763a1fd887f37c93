"""Versions as data with dates: CI fails WARNING_DAYS before a pinned or default version
leaves standard support, judged on the real date (not the day the other tests pin)."""

from __future__ import annotations

import datetime

import pytest

from components import support_calendar as sc
from components.aws import versions as eks_versions


def _real_today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def test_no_pinned_or_default_version_leaves_support_within_the_warning() -> None:
    assert sc.expiring(_real_today()) == []


def test_every_version_in_use_names_its_source() -> None:
    rows = sc.in_use()
    assert all(r.source for r in rows)
    products = {r.product for r in rows}
    # Kubernetes, each engine, the EBS CSI build, the charts: all judged.
    for expected in (
        "EKS Kubernetes",
        "RDS PostgreSQL",
        "ElastiCache Redis OSS",
        "Azure PostgreSQL Flexible Server",
        "Cloud SQL PostgreSQL",
        "Memorystore Redis",
        "CloudNativePG PostgreSQL image",
        f"EKS add-on aws-ebs-csi-driver on {eks_versions.DEFAULT_VERSION}",
        "chart keda",
    ):
        assert expected in products


def test_the_warning_starts_ninety_days_before_eks_1_35_leaves_standard_support() -> None:
    # EKS calendar: 1.35 leaves standard support on March 27, 2027.
    assert eks_versions.DEFAULT_VERSION == "1.35"
    eks = [r for r in sc.in_use() if r.product.startswith("EKS")]
    assert sc.expiring(datetime.date(2026, 12, 26), eks) == []
    warned = sc.expiring(datetime.date(2026, 12, 27), eks)
    assert any(
        line.startswith("EKS Kubernetes 1.35 leaves standard support on 2027-03-27")
        for line in warned
    )
    # Its add-on builds age out with it, the EBS CSI driver included.
    assert any("aws-ebs-csi-driver" in line for line in warned)


def test_a_database_default_is_judged_by_its_providers_date() -> None:
    # Azure's version policy: PostgreSQL 16 standard support ends November 9, 2028.
    day = datetime.date(2028, 8, 11)
    assert not any(
        "Azure PostgreSQL" in line for line in sc.expiring(day - datetime.timedelta(days=1))
    )
    assert any("Azure PostgreSQL Flexible Server 16" in line for line in sc.expiring(day))


def test_a_version_without_a_recorded_date_fails_loudly() -> None:
    with pytest.raises(KeyError, match="RDS PostgreSQL 13: no support date recorded"):
        sc._major(sc.RDS_POSTGRES, "RDS PostgreSQL", "13", "x")


def test_aks_gke_and_every_stack_pin_are_judged() -> None:
    products = {r.product for r in sc.in_use()}
    assert "AKS Kubernetes" in products
    # Each example stack's Kubernetes minor and database engine, by file and key.
    for expected in (
        "EKS Kubernetes (Pulumi.customer-prod.yaml aws.cluster.version)",
        "AKS Kubernetes (Pulumi.azure-prod.yaml azure.cluster.version)",
        "GKE Kubernetes (Pulumi.gcp-prod.yaml gcp.cluster.version)",
        "Azure PostgreSQL Flexible Server (Pulumi.azure-prod.yaml azure.database.version)",
        "Cloud SQL PostgreSQL (Pulumi.gcp-prod.yaml gcp.database.version)",
    ):
        assert expected in products


def _stack(tmp_path, body: str):
    (tmp_path / "Pulumi.x.yaml").write_text(body)
    return tmp_path


def test_a_stack_pinning_a_gke_minor_near_its_end_is_named(tmp_path) -> None:
    # GKE release schedule: 1.34 leaves standard support on 2026-10-01.
    stacks = _stack(
        tmp_path, 'config:\n  model-engine-infra:gcp:\n    cluster:\n      version: "1.34"\n'
    )
    rows = sc.stack_pins(stacks)
    assert [(r.product, r.version, r.ends) for r in rows] == [
        ("GKE Kubernetes (Pulumi.x.yaml gcp.cluster.version)", "1.34", datetime.date(2026, 10, 1))
    ]
    assert sc.expiring(datetime.date(2026, 7, 3), rows)
    assert not sc.expiring(datetime.date(2026, 7, 2), rows)


def test_a_stack_pin_without_a_recorded_date_fails_loudly(tmp_path) -> None:
    stacks = _stack(
        tmp_path, 'config:\n  model-engine-infra:azure:\n    cluster:\n      version: "1.30"\n'
    )
    with pytest.raises(KeyError, match=r"AKS Kubernetes 1\.30: no support date recorded"):
        sc.stack_pins(stacks)
