"""Where a plan's run goes: `python -m bench.account STACK` prints, as JSON, the CPU seconds
of one plan's run of the program (plan/simulator.py `run_program`) split three ways:

- `sdk_registration`: the Pulumi SDK registering the program's resources: the resource
  constructors (`pulumi.Resource.__init__`) and the event loop's work outside the program's
  code (serializing inputs, resolving every declared output into an Output and its futures,
  the first use of each SDK class's type hints, the executor's handoffs). A real `pulumi up`
  pays it too, on the same SDK;
- `engine`: the simulated engine answering (plan/simulator.py's monitor, on the SDK's executor
  threads), which a real `pulumi up` leaves to the Pulumi engine;
- `program`: the program's own code in the run: components/ less `Resource.__init__` (the
  SDK modules it loads on first use included), and its apply callbacks. The generated
  classes' argument handling before `Resource.__init__`, the `*Args` constructors, Output
  combinators and the SDK's own apply callbacks count here too (about 0.04 s of
  customer-prod's run): the program's share is overstated, if anything.

`sdk_constructors` is the part of `sdk_registration` spent in `Resource.__init__`.

The bench (`python -m bench --account`) sets these beside the plan and its SDK floor: what the
floor (the import of the SDK modules) leaves out of the SDKs' cost is `sdk_registration`.

Each probe keeps exclusive time on a per-thread stack: a constructor called from the program
pauses the program's clock, an apply callback that constructs a resource pauses the
callback's. Probes cost a little; the split, not the total, is what this reports.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

PROGRAM = "program"
SDK = "sdk_registration"
ENGINE = "engine"
CONSTRUCTORS = "sdk_constructors"


class Accountant:
    """Exclusive CPU time per bucket, with `clock` (the calling thread's CPU by default)."""

    def __init__(self, clock: Callable[[], float] = time.thread_time):
        self.clock = clock
        self.totals: dict[str, float] = {PROGRAM: 0.0, SDK: 0.0, ENGINE: 0.0}
        self._local = threading.local()

    def _stack(self) -> list[list[Any]]:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    @contextlib.contextmanager
    def bucket(self, name: str) -> Iterator[None]:
        stack = self._stack()
        now = self.clock()
        if stack:  # pause the caller's bucket
            outer = stack[-1]
            self.totals[outer[0]] += now - outer[1]
        stack.append([name, now])
        try:
            yield
        finally:
            now = self.clock()
            inner = stack.pop()
            self.totals[inner[0]] += now - inner[1]
            if stack:  # resume the caller's
                stack[-1][1] = now

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.bucket(name):
                return fn(*args, **kwargs)

        return timed


def account(stack: str) -> dict[str, float]:
    """Run the plan of `stack` once with the probes in place; CPU seconds per bucket."""
    import pulumi

    import components.program
    import plan.cli
    import plan.simulator

    acc = Accountant()
    patches: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, attr: str, new: Any) -> None:
        patches.append((owner, attr, getattr(owner, attr)))
        setattr(owner, attr, new)

    real_apply = pulumi.Output.apply

    def apply(self: Any, func: Callable[..., Any], run_with_unknowns: bool = False) -> Any:
        return real_apply(self, acc.wrap(PROGRAM, func), run_with_unknowns)

    run: dict[str, float] = {}
    real_run = plan.simulator.run_program

    def run_program(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()  # every thread: the engine's too
        try:
            return real_run(*args, **kwargs)
        finally:
            run["total"] = time.process_time() - start

    patch(pulumi.Resource, "__init__", acc.wrap(SDK, pulumi.Resource.__init__))
    patch(pulumi.Output, "apply", apply)
    patch(components.program, "main", acc.wrap(PROGRAM, components.program.main))
    for method in ("RegisterResource", "Invoke", "RegisterResourceOutputs"):
        monitor = plan.simulator.RecordingMonitor
        patch(monitor, method, acc.wrap(ENGINE, getattr(monitor, method)))
    patch(plan.cli, "run_program", run_program)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            plan.cli.main(["--stack", stack, "--no-render"])
    finally:
        for owner, attr, original in reversed(patches):
            setattr(owner, attr, original)
    # Whatever the run spent outside the program's code and the engine's answers is the
    # SDK's (the constructors' own time is in acc.totals[SDK] already, and in the rest).
    program, engine = acc.totals[PROGRAM], acc.totals[ENGINE]
    return {
        PROGRAM: program,
        ENGINE: engine,
        SDK: run["total"] - program - engine,
        CONSTRUCTORS: acc.totals[SDK],
    }


if __name__ == "__main__":
    gc.disable()  # as plan/__main__.py runs
    print(json.dumps(account(sys.argv[1])))
