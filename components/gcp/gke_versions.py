"""GKE Kubernetes minor versions: until when each gets standard support.

GKE supports a minor with patches for about 14 months after it is available in the Regular
channel, then (outside the Extended channel) upgrades clusters off it. Dates: the "End of
standard support" column of the GKE release schedule
(https://cloud.google.com/kubernetes-engine/docs/release-schedule, schedule for release
channels), as tabulated by endoflife.date/google-kubernetes-engine ("Active Support"). A minor
not listed has no date recorded here: add it from the schedule before a stack pins it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from types import MappingProxyType

SOURCE = (
    "GKE release schedule, 'End of standard support' "
    "(cloud.google.com/kubernetes-engine/docs/release-schedule)"
)

END_OF_STANDARD_SUPPORT: Mapping[str, datetime.date] = MappingProxyType(
    {
        "1.33": datetime.date(2026, 6, 30),
        "1.34": datetime.date(2026, 8, 30),
        "1.35": datetime.date(2027, 2, 28),
    }
)
