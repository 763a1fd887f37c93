"""GKE Kubernetes minor versions: until when each gets standard support.

GKE supports a minor with patches for about 14 months after it is available in the Regular
channel, then (outside the Extended channel) upgrades clusters off it. Dates: the "End of
standard support" column of the GKE release schedule
(https://cloud.google.com/kubernetes-engine/docs/release-schedule, schedule for release
channels), as tabulated by endoflife.date/google-kubernetes-engine in its "Maintenance Support"
column, GKE's end of standard support (for 1.33 and 1.35 the Regular-channel availability plus
14 months; 1.34's is earlier, 2026-10-01, and kept as listed), while its "Active Support" column is
the upstream Kubernetes end of life (1.35: 2027-02-28, kubernetes.io/releases/1.35), which
GKE outlives. A minor not listed has no date recorded here: add it from the schedule before a
stack pins it.
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
        "1.33": datetime.date(2026, 8, 3),
        "1.34": datetime.date(2026, 10, 1),
        "1.35": datetime.date(2027, 4, 11),
    }
)
