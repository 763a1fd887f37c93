"""AKS Kubernetes versions: the minor versions AKS supports, and until when.

The one place that knows which minor version a new cluster gets and which the stack may
choose. AKS supports a minor version for 12 months after its AKS GA ("Supported Kubernetes
versions in Azure Kubernetes Service", section "AKS Kubernetes release calendar"), then it
falls to platform support, where AKS creates no new clusters and ships no Kubernetes fixes.

GA dates: the Azure/AKS release notes that announced each version generally available
(1.34: release 2025-11; 1.35: release 2026-03-05; 1.36: release 2026-06-19, also LTS).
End of standard support: GA + 12 months, to the month, as the calendar publishes it (the
exact day follows in the release notes; `az aks get-versions --location <region>` shows what
a region offers today).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# The calendar's clock (and its test override) is shared with EKS's.
from components.aws.versions import TODAY_ENV, today

__all__ = [
    "CALENDAR",
    "DEFAULT_VERSION",
    "TODAY_ENV",
    "AksVersion",
    "in_standard_support",
    "today",
]


@dataclass(frozen=True)
class AksVersion:
    minor: str
    ga: datetime.date
    end_of_standard_support: datetime.date

    def in_standard_support(self, day: datetime.date) -> bool:
        return self.ga <= day < self.end_of_standard_support


def _d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


CALENDAR: Mapping[str, AksVersion] = MappingProxyType(
    {
        v.minor: v
        for v in (
            AksVersion("1.34", _d("2025-11-30"), _d("2026-11-30")),
            AksVersion("1.35", _d("2026-03-05"), _d("2027-03-31")),
            AksVersion("1.36", _d("2026-06-19"), _d("2027-06-30")),
        )
    }
)

# The newest minor in standard support: what a new cluster gets unless the stack chooses.
DEFAULT_VERSION = "1.36"


def in_standard_support(day: datetime.date) -> list[str]:
    """The minors AKS supports on `day`, oldest first."""
    return [v.minor for v in CALENDAR.values() if v.in_standard_support(day)]
