"""components/propagation.py: a grant made in this run holds its dependent's creation until
the grant has propagated; an old grant holds nothing."""

from __future__ import annotations

import datetime

from components.propagation import GrantClock


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_no_grant_made_in_this_run_means_no_wait() -> None:
    clock = Clock()
    assert GrantClock(datetime.timedelta(minutes=7), clock).remaining() == 0.0


def test_a_new_grant_holds_until_the_delay_has_passed() -> None:
    clock = Clock()
    grants = GrantClock(datetime.timedelta(minutes=7), clock)
    grants.granted()
    assert grants.remaining() == 420.0
    clock.now += 300  # the network and subnets took five minutes meanwhile
    assert grants.remaining() == 120.0
    clock.now += 600
    assert grants.remaining() == 0.0
