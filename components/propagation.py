"""Holding what needs a grant until a grant made moments before has propagated.

Cloud IAM is eventually consistent: a service that checks a permission can refuse a grant
made seconds before. pulumi-time is not a dependency here, so the program keeps the clock
itself. How long each cloud takes is in components/waits.py; what differs between the clouds
is how the program learns when a grant was made and what must wait for it, so there are two
holds, sharing one clock (`remaining`) and one pause (`pause`):

- `after_created` (Azure): ARM records when a role assignment was created (`createdOn`), and
  what waits is a value many resources read, the AKS kubeconfig (every Kubernetes call) and
  the registry warm-up's image names. The value is released once the newest assignment is
  `delay` old, in any real update: a rerun after a failed `up` waits only the rest, and a
  new assignment added to a cluster that exists holds the provider all the same. A resource
  hook could do neither: it knows nothing of an earlier run, and the provider is not created
  again.
- `Propagation` (GCP): an IAM member records no creation time, and what waits is one
  resource's creation (GKE checks its agent's grant on the Secrets key when it creates the
  cluster, never after). Resource hooks keep the clock in this run: the grant's after_create
  notes the time, the resource's before_create waits. A grant that already existed costs no
  wait, and neither does a resource that already exists.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import pulumi


def remaining(elapsed_s: float, delay: datetime.timedelta) -> float:
    """Seconds until a grant made `elapsed_s` ago has propagated (0: it has)."""
    return max(0.0, delay.total_seconds() - elapsed_s)


async def pause(seconds: float, what: str) -> None:
    """Sleep `seconds` (if any), saying in the update's log what is waited for."""
    if seconds:
        pulumi.log.info(f"waiting {seconds:.0f}s for {what} to propagate")
        await asyncio.sleep(seconds)


# --- a grant whose cloud records when it was created ----------------------------------


def _parse_time(text: str) -> datetime.datetime:
    """ARM timestamps carry up to 7 fractional digits and a Z; Python takes 6."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.strip()).replace("Z", "+00:00")
    parsed = datetime.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def created_wait_seconds(
    created_on: Sequence[str | None], now: datetime.datetime, delay: datetime.timedelta
) -> float:
    """How long until the newest of these grants has propagated (0: already, or none says
    when it was created)."""
    times = [_parse_time(c) for c in created_on if c]
    if not times:
        return 0.0
    return remaining((now - max(times)).total_seconds(), delay)


def after_created(
    value: pulumi.Output[str],
    created_on: Sequence[pulumi.Input[str | None]],
    delay: datetime.timedelta,
    what: str,
) -> pulumi.Output[str]:
    """`value`, released once every grant whose creation time is in `created_on` is `delay`
    old (real updates only). A resource that takes `value` as an input depends on every
    grant (its property dependencies name them) and starts only after the wait."""

    async def hold(args: list[Any]) -> str:
        resolved, *created = args
        if not pulumi.runtime.is_dry_run():
            now = datetime.datetime.now(datetime.UTC)
            await pause(created_wait_seconds(created, now, delay), what)
        return resolved

    return pulumi.Output.all(value, *created_on).apply(hold)


# --- a grant whose cloud does not: the clock of this run ------------------------------


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
        return remaining(self._clock() - self._granted_at, self.delay)


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
        await pause(self.clock.remaining(), self.what)
