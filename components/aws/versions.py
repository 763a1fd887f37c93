"""EKS Kubernetes versions: the release calendar and the managed add-ons pinned per version.

The one place that knows which minor versions EKS still creates, when each one leaves
standard support (after which a cluster costs the extended-support price), and which build
of vpc-cni, coredns and kube-proxy matches it.

Calendar: Amazon EKS User Guide, "Understand the Kubernetes version lifecycle on EKS",
section "Amazon EKS Kubernetes release calendar"
(https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html; source
awsdocs/amazon-eks-user-guide latest/ug/versioning/kubernetes-versions.adoc). Rows 1.31 to
1.34 as published there; the 1.35 row as listed by endoflife.date/amazon-eks from the same
page (EKS release 2026-01-27). EKS creates clusters on versions in standard or extended
support; on the end-of-extended-support date it stops creating them.

Add-on builds: the "latest version" tables of the EKS User Guide pages "Manage CoreDNS",
"Manage kube-proxy", "Assign IPs to Pods with the Amazon VPC CNI" and "Amazon EBS CSI
driver". Refreshed 2026-12: coredns, kube-proxy and aws-ebs-csi-driver builds from a public
add-on table whose cells were checked with describe-addon-versions (not re-checked against an
AWS account here); vpc-cni kept at v1.21.1-eksbuild.3 (no newer build found). Before changing
a row, check it with `aws eks describe-addon-versions --kubernetes-version 1.NN --addon-name
...`. The support dates of every pin are judged by components/support_calendar.py.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# The version a new cluster gets unless the stack chooses one: in standard support until
# 2027-03-27.
DEFAULT_VERSION = "1.35"
# Set (YYYY-MM-DD) to judge the calendar as of another day; tests pin it.
TODAY_ENV = "MODEL_ENGINE_INFRA_TODAY"


@dataclass(frozen=True)
class EksVersion:
    minor: str
    released: datetime.date
    end_of_standard_support: datetime.date
    end_of_extended_support: datetime.date
    # EKS managed add-on builds for this version.
    vpc_cni: str
    coredns: str
    kube_proxy: str
    # The EBS CSI driver build: one release serves every supported minor.
    ebs_csi: str = "v1.59.0-eksbuild.1"

    def creatable(self, day: datetime.date) -> bool:
        return self.released <= day < self.end_of_extended_support

    def in_standard_support(self, day: datetime.date) -> bool:
        return self.released <= day < self.end_of_standard_support


def _d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


CALENDAR: Mapping[str, EksVersion] = MappingProxyType(
    {
        v.minor: v
        for v in (
            EksVersion(
                "1.32",
                _d("2025-01-23"),
                _d("2026-03-23"),
                _d("2027-03-23"),
                vpc_cni="v1.20.1-eksbuild.3",
                coredns="v1.11.4-eksbuild.33",
                kube_proxy="v1.32.13-eksbuild.5",
            ),
            EksVersion(
                "1.33",
                _d("2025-05-29"),
                _d("2026-07-29"),
                _d("2027-07-29"),
                vpc_cni="v1.20.1-eksbuild.3",
                coredns="v1.12.4-eksbuild.10",
                kube_proxy="v1.33.10-eksbuild.2",
            ),
            EksVersion(
                "1.34",
                _d("2025-10-02"),
                _d("2026-12-02"),
                _d("2027-12-02"),
                vpc_cni="v1.21.1-eksbuild.3",
                coredns="v1.12.4-eksbuild.10",
                kube_proxy="v1.34.6-eksbuild.2",
            ),
            EksVersion(
                "1.35",
                _d("2026-01-27"),
                _d("2027-03-27"),
                _d("2028-03-27"),
                vpc_cni="v1.21.1-eksbuild.3",
                coredns="v1.13.2-eksbuild.4",
                kube_proxy="v1.35.3-eksbuild.2",
            ),
        )
    }
)


def today() -> datetime.date:
    """The day the calendar is judged on (UTC, as EKS bills), or TODAY_ENV when set."""
    pinned = os.environ.get(TODAY_ENV)
    if pinned:
        return datetime.date.fromisoformat(pinned)
    return datetime.datetime.now(datetime.UTC).date()


def addon_versions(minor: str) -> dict[str, str]:
    """EKS add-on name -> the build pinned for this cluster version."""
    v = CALENDAR[minor]
    return {
        "vpc-cni": v.vpc_cni,
        "kube-proxy": v.kube_proxy,
        "coredns": v.coredns,
        "aws-ebs-csi-driver": v.ebs_csi,
    }
