"""Benchmark the offline plan: CPU and wall time and peak memory per example stack.

    python -m bench [--runs N] [--stack NAME ...] [--account]

Each run is a fresh `python -m plan` process, as an operator would start it, so imports
and interpreter start-up count. Peak memory is the process's maximum resident set size.
Before measuring, the program's own packages (`components`, `plan`: all the plan loads from
this repository) are byte-compiled into their `__pycache__` (gitignored), as the first run of
any operator's `pulumi up` leaves them: the SDKs' bytecode was written when pip installed
them, and without this step (PYTHONDONTWRITEBYTECODE set) the plan alone would compile every
one of its modules from source on every run. The plan runs with `--no-render`: rendering the
chart is `helm template`, another program's time, which the plan waits for when a chart is
given. Nothing else is left out of what is measured.

The budget is on the program, not on the SDKs: each plan run is paired, in the same run and
next to it (alternately before and after), with the "SDK" floor: a fresh interpreter importing
only the provider-SDK modules that stack's plan loads, set up as the program sets them up
(plan/sdk_packages.py's lazy loader, whose setup is part of how those modules load), which no
change to the program's own code can go below while the plan runs the real program on these
SDKs. Both sides are timed alike, by the same wrapper around one child process, in CPU seconds
(user + system: the work done, which waiting for a CPU on a busy machine does not stretch)
and in wall seconds. Budget: plan / floor in CPU seconds (median of the pairs) <= 1.5 and
peak memory under 300 MB per stack; the wall ratio and the absolute seconds are reported, not
judged. It also reports the provisioning estimate's
ratio of the whole first `pulumi up` to its unavoidable chain (the goal is 1.0: no ordering
the program chose lengthens the critical path), and the "cold ratio" for the stack's largest
hardware tier: its whole cold-start estimate (node + image + weights) divided by its
network-bound floor (weights ÷ the bandwidth a pod's downloads can use; plan/coldstart.py),
MISSED above the goal of 2, then the weights transfer alone against the floor; "-" where no
pool has a known node type. A missed cold-start goal is reported, not judged: only the
plan/SDK and memory budgets set the exit code. `--account` adds, per stack, where the plan's CPU
goes (bench/account.py): the SDK import, the SDK's registration of the resources, the
simulated engine and the program's own, reported, not judged.
"""

from __future__ import annotations

import argparse
import compileall
import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The program's own work (settings, derive, guards, registering resources) may add at most
# half of what importing the SDKs it uses costs.
TARGET_RATIO = 1.5
TARGET_MB = 300.0

# What the plan loads from this repository (the root `__main__.py` runs from source, as
# `pulumi up` runs it).
OWN_PACKAGES = ("components", "plan", "policy")

# Runs one command (the arguments after the script) as a child and reports the child's wall
# seconds, CPU seconds (user + system) and peak RSS (kilobytes on Linux). Both sides of a pair
# run under it, so each counts exactly one interpreter's start-up and exit; the peak needs a
# small parent of its own (a child's peak counts the image it was forked from, and the bench
# grows as it runs the plans).
WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
"""


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float
    mb: float


def run_measured(command: list[str], what: str) -> Sample:
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *command], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{what} failed: {done.stderr}")
    wall, cpu, peak = done.stdout.split()[-3:]
    return Sample(float(wall), float(cpu), int(peak) / 1024)


def byte_compile() -> None:
    """Write the bytecode of the program's own packages, as the SDKs' was written at install."""
    for package in OWN_PACKAGES:
        if not compileall.compile_dir(ROOT / package, quiet=1):
            raise SystemExit(f"byte-compiling {package} failed")


def measure(stack: str) -> Sample:
    """One plan of the stack, as an operator runs it (`python -m plan --stack NAME`)."""
    command = [sys.executable, "-m", "plan", "--stack", stack, "--no-render"]
    return run_measured(command, f"plan for {stack}")


# Which provider-SDK modules a plan of the stack really loads (Pulumi's SDKs import their
# subpackages lazily: a module object is loaded once its __file__ code ran): the whole plan as
# measured, its report too (which reads the policy pack, and with it pulumi_policy).
LOADED_SDK = """
import contextlib, io, sys, types
from plan.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main(["--stack", sys.argv[1], "--no-render"])
print(" ".join(sorted(
    n for n, m in sys.modules.items()
    if n.startswith("pulumi_") and type(m) is types.ModuleType and getattr(m, "__file__", None)
)))
"""
# Imports exactly those modules in a fresh interpreter set up as `python -m plan` sets itself
# up: the cycle collector off before any import (plan/__main__.py; with it on, the same imports
# cost about 12% more, which would flatter every ratio) and the SDK packages behind the lazy
# loader. What the plan pays for the SDKs alone.
IMPORT_ONLY = """
import gc
gc.disable()  # as plan/__main__.py does before its imports
import importlib, sys
import plan  # installs plan/sdk_packages.py, as the plan does
for name in sys.argv[1:]:
    getattr(importlib.import_module(name), "__all__", None)  # a lazy module loads here
"""


def sdk_modules(stack: str) -> list[str]:
    """The provider SDK modules the stack's plan loads."""
    loaded = subprocess.run(
        [sys.executable, "-c", LOADED_SDK, stack], cwd=ROOT, capture_output=True, text=True
    )
    if loaded.returncode != 0:
        raise SystemExit(f"listing the SDK modules of {stack} failed: {loaded.stderr}")
    return loaded.stdout.split()


def sdk_floor(names: list[str]) -> Sample:
    """Importing only these provider SDK modules in a fresh interpreter."""
    return run_measured([sys.executable, "-c", IMPORT_ONLY, *names], "importing the SDK modules")


def pair(stack: str, modules: list[str], floor_first: bool) -> tuple[Sample, Sample]:
    """A plan and its floor, run one right after the other: (plan, floor)."""
    if floor_first:
        floor = sdk_floor(modules)
        return measure(stack), floor
    plan = measure(stack)
    return plan, sdk_floor(modules)


def cold_ratio(stack: str) -> str:
    """The largest tier's whole cold start ÷ its network-bound floor (with ok or MISSED
    against the goal), then its weights transfer ÷ the floor, for the stack's pools."""
    from components import fit
    from components.platforms import PLATFORMS
    from components.settings_loader import settings_from_config
    from plan import coldstart
    from tests.conftest import stack_file

    settings = settings_from_config(stack_file(stack))
    pools = PLATFORMS[settings.cloud].gpu_pools(settings)
    rows = coldstart.estimate(settings, pools, fit.hardware(settings))
    top = coldstart.largest(rows)
    if top is None:
        return "-"
    return f"{top.whole_ratio:.1f} {top.verdict} (weights {top.ratio:.1f})"


def sdk_share(stack: str, runs: int) -> tuple[float, float]:
    """The median (SDK registration, simulated engine) CPU seconds of the stack's plan
    (bench/account.py), each run in a fresh interpreter."""
    splits = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-m", "bench.account", stack], cwd=ROOT, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"accounting the plan of {stack} failed: {done.stderr}")
        splits.append(json.loads(done.stdout.splitlines()[-1]))
    return (
        statistics.median(s["sdk_registration"] for s in splits),
        statistics.median(s["engine"] for s in splits),
    )


def account_lines(rows: list[tuple[str, float, float, float, float]]) -> list[str]:
    """Where each plan's CPU goes: (stack, plan, SDK import, SDK registration, engine)."""
    lines = [
        "",
        "Where the plan's CPU goes (median seconds; reported, not judged):",
        f"{'stack':<16} {'plan':>6} {'SDK import':>10} {'SDK registration':>16}"
        f" {'engine':>6} {'program':>7}  plan / (SDK import + registration + engine)",
    ]
    for stack, plan, floor, registration, engine in rows:
        program = plan - floor - registration - engine
        lines.append(
            f"{stack:<16} {plan:>6.2f} {floor:>10.2f} {registration:>16.2f} {engine:>6.2f}"
            f" {program:>7.2f}  {plan / (floor + registration + engine):.2f}"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stack", action="append", help="default: every stack in stacks/")
    parser.add_argument(
        "--account",
        action="store_true",
        help="also split each plan's CPU: SDK import, SDK registration, simulated engine, "
        "program (bench/account.py)",
    )
    args = parser.parse_args()
    stacks = args.stack or sorted(
        p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml")
    )
    byte_compile()
    from plan.estimate import estimate
    from plan.simulator import run_program
    from tests.conftest import stack_file

    print(
        f"{'stack':<16} {'plan cpu':>8} {'SDK cpu':>7} {'ratio':>6} {'plan s':>6} {'SDK s':>6}"
        f" {'wall ratio':>10} {'peak MB':>7} {'up ratio':>8} {'cold ratio (whole, weights)':>30}"
        "  target"
    )
    all_ok = True
    accounted: list[tuple[str, float, float, float, float]] = []
    for stack in stacks:
        modules = sdk_modules(stack)
        # One pair per run, its two sides next to each other (which goes first alternates),
        # so a burst of load elsewhere on the machine weighs on both sides of a ratio.
        pairs = [pair(stack, modules, floor_first=i % 2 == 1) for i in range(args.runs)]
        plans = [p for p, _ in pairs]
        floors = [f for _, f in pairs]
        peak = max(p.mb for p in plans)
        ratio = statistics.median(p.cpu / f.cpu for p, f in pairs)
        wall_ratio = statistics.median(p.wall / f.wall for p, f in pairs)
        ok = ratio <= TARGET_RATIO and peak < TARGET_MB
        all_ok = all_ok and ok
        up_ratio = estimate(run_program(stack_file(stack), stack=stack).resources).ratio
        print(
            f"{stack:<16} {statistics.median(p.cpu for p in plans):>8.2f}"
            f" {statistics.median(f.cpu for f in floors):>7.2f} {ratio:>6.2f}"
            f" {statistics.median(p.wall for p in plans):>6.2f}"
            f" {statistics.median(f.wall for f in floors):>6.2f} {wall_ratio:>10.2f}"
            f" {peak:>7.0f} {up_ratio:>8.2f} {cold_ratio(stack):>30}  "
            f"{'ok' if ok else 'MISSED'} (plan/SDK cpu <= {TARGET_RATIO}, <{TARGET_MB:.0f} MB)"
        )
        if args.account:
            plan_cpu = statistics.median(p.cpu for p in plans)
            floor_cpu = statistics.median(f.cpu for f in floors)
            accounted.append((stack, plan_cpu, floor_cpu, *sdk_share(stack, args.runs)))
    if accounted:
        print("\n".join(account_lines(accounted)))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
