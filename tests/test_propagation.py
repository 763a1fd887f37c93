"""components/propagation.py: a grant made moments before holds what needs it until the grant
has propagated; an old grant holds nothing. Azure reads the grant's creation time from ARM,
GCP keeps the clock of this run; both count the same way and pause the same way."""

from __future__ import annotations

import asyncio
import datetime

import pytest

from components import propagation
from components.propagation import GrantClock, created_wait_seconds
from tests.helpers import ManualClock


def test_no_grant_made_in_this_run_means_no_wait() -> None:
    clock = ManualClock(1000.0)
    assert GrantClock(datetime.timedelta(minutes=7), clock).remaining() == 0.0


def test_a_new_grant_holds_until_the_delay_has_passed() -> None:
    clock = ManualClock(1000.0)
    grants = GrantClock(datetime.timedelta(minutes=7), clock)
    grants.granted()
    assert grants.remaining() == 420.0
    clock.now += 300  # the network and subnets took five minutes meanwhile
    assert grants.remaining() == 120.0
    clock.now += 600
    assert grants.remaining() == 0.0


NOW = datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC)
SIX_MINUTES = datetime.timedelta(minutes=6)


@pytest.mark.parametrize(
    ("created", "seconds"),
    [
        # Just created (ARM writes 7 fractional digits): the whole propagation window.
        (["2026-12-05T09:00:00.1234567Z"], 360),
        # The newest assignment decides.
        (["2026-12-05T08:50:00Z", "2026-12-05T08:58:00Z"], 240),
        # Long in force (every later `up`), or not reported: no wait.
        (["2026-12-05T08:50:00Z"], 0),
        ([None], 0),
    ],
)
def test_a_recorded_creation_time_holds_once(created: list[str | None], seconds: int) -> None:
    assert created_wait_seconds(created, NOW, SIX_MINUTES) == pytest.approx(seconds, abs=1)


def test_pause_sleeps_only_when_there_is_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(propagation.asyncio, "sleep", sleep)
    monkeypatch.setattr(propagation.pulumi.log, "info", lambda *_a, **_k: None)
    asyncio.run(propagation.pause(0.0, "nothing"))
    asyncio.run(propagation.pause(42.0, "a grant"))
    assert slept == [42.0]
