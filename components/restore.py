"""What every platform's `database.restore` shares: the point in time, written in RFC 3339
with its offset (2026-11-30T08:15:00Z). No provider SDK here: the settings of each cloud and
CloudNativePG's validate with it.

A restore creates the database from a backup instead of empty, once, when the database is
created: each cloud treats the restore source as part of the database's identity (RDS
snapshotIdentifier, Flexible Server createMode, Cloud SQL clone, CloudNativePG bootstrap),
so adding, changing or removing `restore` on a stack whose database exists replaces the
database, which `protect` refuses. Keep the block in the stack file after the restore.
"""

from __future__ import annotations

from datetime import UTC, datetime


def point_in_time(value: str) -> str:
    """An instant in RFC 3339 with an explicit offset; returned as written."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None or "T" not in value:
        raise ValueError(
            f"{value!r} is not a point in time: write it in RFC 3339 with the offset, "
            "e.g. 2026-11-30T08:15:00Z"
        )
    return value


def optional_point_in_time(value: str | None) -> str | None:
    return None if value is None else point_in_time(value)


def utc(value: str) -> str:
    """The instant in UTC, `YYYY-MM-DDTHH:MM:SSZ` (what RDS and Cloud SQL accept)."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
