"""Holding a resource's creation until a grant made in the same `pulumi up` has propagated.

Cloud IAM is eventually consistent: a service that checks a permission when a resource is
created (GKE checks that its service agent may use the Secrets key) can refuse a grant made
seconds before. pulumi-time is not a dependency here, so resource hooks keep the clock: the
grant's after_create hook notes when it was created, and the dependent resource's
before_create hook sleeps until that is `delay` ago. A grant that already existed (not created
in this run) costs no wait, and neither does a dependent resource that already exists.
"""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Callable

import pulumi


class GrantClock:
    """When a grant was created in this run, and how long is left until it has propagated."""

    def __init__(self, delay: datetime.timedelta, clock: Callable[[], float] = time.monotonic):
        self.delay = delay
        self._clock = clock
        self._granted_at: float | None = None

    def granted(self) -> None:
        self._granted_at = self._clock()

    def remaining(self) -> float:
        """Seconds until the grant made in this run has propagated (0: none made, or old)."""
        if self._granted_at is None:
            return 0.0
        elapsed = self._clock() - self._granted_at
        return max(0.0, self.delay.total_seconds() - elapsed)


class Propagation:
    """Two hooks: bind `granted` (after_create) to the grant and `propagated`
    (before_create) to the resource that needs it."""

    def __init__(self, name: str, delay: datetime.timedelta, what: str):
        self.clock = GrantClock(delay)
        self.what = what
        self.granted = pulumi.ResourceHook(f"{name}-granted", self._record)
        self.propagated = pulumi.ResourceHook(f"{name}-propagated", self._wait)

    def _record(self, _args: pulumi.ResourceHookArgs) -> None:
        self.clock.granted()

    async def _wait(self, _args: pulumi.ResourceHookArgs) -> None:
        wait = self.clock.remaining()
        if wait:
            pulumi.log.info(f"waiting {wait:.0f}s for {self.what} to propagate")
            await asyncio.sleep(wait)
