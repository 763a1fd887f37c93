"""Versions as data with dates: when each version this program pins or defaults to leaves its
provider's standard support, and where that date was read.

The calendars here cover the managed data services and the in-cluster PostgreSQL image; EKS
minors and their add-on builds come from components/aws/versions.py (their one place), and
the AKS and GKE calendars live with those platforms (azure/versions.py,
gcp/versions.py). `in_use()` lists what a stack that keeps the defaults runs and every
version the example stacks (stacks/) pin, each with its end of standard support;
`expiring(day)` names every one that leaves support within WARNING_DAYS of `day`, so CI says
it before the cloud bills extended support or forces an upgrade. A date of None means the
provider has announced none: the source says which page to watch.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from components.addons import versions as chart_versions
from components.aws import settings as aws_settings
from components.aws import versions as eks_versions
from components.azure import settings as azure_settings
from components.azure import versions as aks_versions
from components.gcp import settings as gcp_settings
from components.gcp import versions as gke_versions

# The example stacks: every version they pin is judged too.
STACKS_DIR = Path(__file__).resolve().parent.parent / "stacks"

# The notice CI gives before a pinned or default version leaves standard support.
WARNING_DAYS = 90


@dataclass(frozen=True)
class Support:
    product: str
    version: str
    # The last day of standard support's end (after it: extended-support prices or a forced
    # upgrade); None when the provider has announced no date.
    ends: datetime.date | None
    source: str


def _d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


_RDS = (
    "Amazon RDS for PostgreSQL Release Notes, 'Release calendars for Amazon RDS for "
    "PostgreSQL' (major versions: end of standard support)"
)
_AZURE_PG = (
    "learn.microsoft.com azure/postgresql/configure-maintain/concepts-version-policy "
    "('Azure Standard Support End Date', as tabulated by endoflife.date)"
)
_COMMUNITY_PG = "postgresql.org/support/versioning (community end of life)"

# PostgreSQL major -> end of standard support, per provider.
RDS_POSTGRES: Mapping[str, datetime.date] = MappingProxyType(
    {"14": _d("2027-02-28"), "15": _d("2028-02-29"), "16": _d("2029-02-28"), "17": _d("2030-02-28")}
)
AZURE_POSTGRES: Mapping[str, datetime.date] = MappingProxyType(
    {
        "14": _d("2026-12-11"),
        "15": _d("2027-11-11"),
        "16": _d("2028-11-09"),
        "17": _d("2029-11-08"),
        "18": _d("2030-11-14"),
    }
)
# Cloud SQL supports a major at least until the community's end of life, then offers paid
# extended support; its own per-version table was not verified here, so the community date
# (the earlier of the two) is the one judged.
COMMUNITY_POSTGRES: Mapping[str, datetime.date] = MappingProxyType(
    {
        "14": _d("2026-11-12"),
        "15": _d("2027-11-11"),
        "16": _d("2028-11-09"),
        "17": _d("2029-11-08"),
        "18": _d("2030-11-14"),
    }
)
_UNANNOUNCED_ELASTICACHE = (
    "ElastiCache User Guide, 'Redis OSS versions end of life schedule' and 'Extended Support' "
    "(dates are announced for 4.x and 5.x only; none for 6.x and 7.x)"
)
_UNANNOUNCED_MEMORYSTORE = "Memorystore for Redis 'Supported versions' (no end date announced)"
_UNANNOUNCED_CHART = (
    "the upstream project publishes no end date per chart release; refresh with the pin's "
    "source (components/addons/versions.py)"
)


def _eks() -> list[Support]:
    minor = eks_versions.CALENDAR[eks_versions.DEFAULT_VERSION]
    source = "components/aws/versions.py (EKS User Guide release calendar)"
    rows = [Support("EKS Kubernetes", minor.minor, minor.end_of_standard_support, source)]
    # An add-on build is supported while the minor it was built for is.
    rows += [
        Support(f"EKS add-on {name} on {minor.minor}", build, minor.end_of_standard_support, source)
        for name, build in eks_versions.addon_versions(minor.minor).items()
    ]
    return rows


_EKS_SOURCE = "components/aws/versions.py (EKS User Guide release calendar)"
_AKS_SOURCE = "components/azure/versions.py (AKS Kubernetes release calendar)"


def _minor(table: Mapping[str, datetime.date], product: str, version: str, source: str) -> Support:
    if version not in table:
        raise KeyError(f"{product} {version}: no support date recorded; add it with its source")
    return Support(product, version, table[version], source)


def _eks_minor(version: str) -> Support:
    ends = {m: v.end_of_standard_support for m, v in eks_versions.CALENDAR.items()}
    return _minor(ends, "EKS Kubernetes", version, _EKS_SOURCE)


def _aks_minor(version: str) -> Support:
    ends = {m: v.end_of_standard_support for m, v in aks_versions.CALENDAR.items()}
    return _minor(ends, "AKS Kubernetes", version, _AKS_SOURCE)


def _gke_minor(version: str) -> Support:
    return _minor(
        gke_versions.END_OF_STANDARD_SUPPORT, "GKE Kubernetes", version, gke_versions.SOURCE
    )


def _get(config: Mapping[str, Any], path: str) -> Any:
    node: Any = config
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def stack_pins(stacks_dir: Path = STACKS_DIR) -> list[Support]:
    """The versions the example stacks pin (Kubernetes minors, database and cache engines),
    each with its end of standard support."""
    rows: list[Support] = []
    for path in sorted(stacks_dir.glob("Pulumi.*.yaml")):
        raw = yaml.safe_load(path.read_text()) or {}
        config = {k.split(":", 1)[1]: v for k, v in (raw.get("config") or {}).items() if ":" in k}
        judged = (
            ("aws.cluster.version", _eks_minor),
            ("azure.cluster.version", _aks_minor),
            ("gcp.cluster.version", _gke_minor),
            (
                "aws.database.engineVersion",
                lambda v: _major(RDS_POSTGRES, "RDS PostgreSQL", v, _RDS),
            ),
            (
                "azure.database.version",
                lambda v: _major(AZURE_POSTGRES, "Azure PostgreSQL Flexible Server", v, _AZURE_PG),
            ),
            (
                "gcp.database.version",
                lambda v: _major(COMMUNITY_POSTGRES, "Cloud SQL PostgreSQL", v, _COMMUNITY_PG),
            ),
            (
                "aws.redis.engineVersion",
                lambda v: Support("ElastiCache Redis OSS", v, None, _UNANNOUNCED_ELASTICACHE),
            ),
            (
                "gcp.redis.version",
                lambda v: Support("Memorystore Redis", v, None, _UNANNOUNCED_MEMORYSTORE),
            ),
        )
        for key, judge in judged:
            value = _get(config, key)
            if value is not None:
                row = judge(str(value))
                rows.append(
                    Support(f"{row.product} ({path.name} {key})", row.version, row.ends, row.source)
                )
    return rows


def _major(table: Mapping[str, datetime.date], product: str, version: str, source: str) -> Support:
    major = version.split(".")[0]
    if major not in table:
        raise KeyError(f"{product} {version}: no support date recorded; add it with its source")
    return Support(product, version, table[major], source)


def _postgres_image_major() -> str:
    # ghcr.io/cloudnative-pg/postgresql:<major>.<minor>-...
    return chart_versions.IMAGES["postgresql"].rsplit(":", 1)[1].split(".")[0]


def in_use() -> list[Support]:
    """Every version a stack keeping the defaults runs, with its end of standard support."""
    rows = _eks()
    rows.append(_aks_minor(aks_versions.DEFAULT_VERSION))
    rows.append(
        _major(RDS_POSTGRES, "RDS PostgreSQL", aws_settings.Database().engine_version, _RDS)
    )
    rows.append(
        Support(
            "ElastiCache Redis OSS",
            aws_settings.Redis().engine_version,
            None,
            _UNANNOUNCED_ELASTICACHE,
        )
    )
    rows.append(
        _major(
            AZURE_POSTGRES,
            "Azure PostgreSQL Flexible Server",
            azure_settings.Database().version,
            _AZURE_PG,
        )
    )
    rows.append(
        _major(
            COMMUNITY_POSTGRES,
            "Cloud SQL PostgreSQL",
            gcp_settings.Database().version,
            _COMMUNITY_PG + "; Cloud SQL 'Database version support policy' not verified",
        )
    )
    rows.append(
        Support("Memorystore Redis", gcp_settings.Redis().version, None, _UNANNOUNCED_MEMORYSTORE)
    )
    rows.append(
        _major(
            COMMUNITY_POSTGRES,
            "CloudNativePG PostgreSQL image",
            _postgres_image_major(),
            _COMMUNITY_PG,
        )
    )
    rows += [
        Support(f"chart {name}", pin.version, None, _UNANNOUNCED_CHART)
        for name, pin in chart_versions.CHARTS.items()
    ]
    rows += stack_pins()
    return rows


def expiring(day: datetime.date, rows: list[Support] | None = None) -> list[str]:
    """One line per version in use that leaves standard support within WARNING_DAYS of day."""
    horizon = day + datetime.timedelta(days=WARNING_DAYS)
    return [
        f"{r.product} {r.version} leaves standard support on {r.ends} ({r.source}): upgrade "
        "it, or move the pin, before then"
        for r in (in_use() if rows is None else rows)
        if r.ends is not None and r.ends <= horizon
    ]
