"""Benchmark the offline plan: wall time and peak memory per example stack.

    python -m bench [--runs N] [--stack NAME ...]

Each run is a fresh `python -m plan` process, as an operator would start it, so imports
and interpreter start-up count. Peak memory is the process's maximum resident set size.
Before measuring, the program's own packages (`components`, `plan`: all the plan loads from
this repository) are byte-compiled into their `__pycache__` (gitignored), as the first run of
any operator's `pulumi up` leaves them: the SDKs' bytecode was written when pip installed
them, and without this step (PYTHONDONTWRITEBYTECODE set) the plan alone would compile every
one of its modules from source on every run. Nothing else is left out of what is measured.

The budget is on the program, not on the SDKs: each plan run is paired, in the same run and
right after it, with the "SDK s" floor: a fresh interpreter importing only the provider-SDK
modules that stack's plan loads (set up as the program sets them up), which no change to the
program's own code can go below while the plan runs the real program on these SDKs. Both see
the same machine load, so their ratio holds on a busy 2-core machine where absolute seconds do
not. Budget: plan / floor (median of the pairs) <= 1.5 and peak memory under 300 MB per stack;
the absolute seconds are reported, not judged. It also reports the provisioning estimate's
ratio of the whole first `pulumi up` to its unavoidable chain (the goal is 1.0: no ordering
the program chose lengthens the critical path), and the "cold ratio" for the stack's largest
hardware tier: its whole cold-start estimate (node + image + weights) divided by its
network-bound floor (weights ÷ the bandwidth a pod's downloads can use; plan/coldstart.py),
MISSED above the goal of 2, then the weights transfer alone against the floor; "-" where no
pool has a known node type. A missed cold-start goal is reported, not judged: only the
plan/SDK and memory budgets set the exit code.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The program's own work (settings, derive, guards, registering resources) may add at most
# half of what importing the SDKs it uses costs.
TARGET_RATIO = 1.5
TARGET_MB = 300.0

# What the plan loads from this repository (the root `__main__.py` runs from source, as
# `pulumi up` runs it).
OWN_PACKAGES = ("components", "plan")

# Runs `python -m plan --stack NAME` exactly as an operator does and reports its wall time
# and peak RSS (kilobytes on Linux). The peak needs a small parent of its own (a child's peak
# counts the image it was forked from, and this process grows as it runs the plans); the time
# is taken in there, around the plan alone, so the wrapper's own start-up is not counted (the
# floor has no wrapper).
WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run([sys.executable, "-m", "plan", "--stack", sys.argv[1], *sys.argv[2:]],
               stdout=subprocess.DEVNULL, check=True)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def byte_compile() -> None:
    """Write the bytecode of the program's own packages, as the SDKs' was written at install."""
    for package in OWN_PACKAGES:
        if not compileall.compile_dir(ROOT / package, quiet=1):
            raise SystemExit(f"byte-compiling {package} failed")


def measure(stack: str) -> tuple[float, float]:
    """Seconds and peak MB of one plan of the stack."""
    done = subprocess.run(
        # Rendering off: the budget is the plan's own (rendering is timed separately).
        [sys.executable, "-c", WRAPPER, stack, "--no-render"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"plan for {stack} failed: {done.stderr}")
    wall, peak = done.stdout.split()[-2:]
    return float(wall), int(peak) / 1024


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
# Imports exactly those modules in a fresh interpreter, the SDK packages set up as the program
# sets them up: what the plan pays for the SDKs alone.
IMPORT_ONLY = """
import importlib, resource, sys, time
start = time.perf_counter()
import plan  # installs plan/sdk_packages.py, as the plan does
for name in sys.argv[1:]:
    getattr(importlib.import_module(name), "__all__", None)  # a lazy module loads here
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def sdk_modules(stack: str) -> list[str]:
    """The provider SDK modules the stack's plan loads."""
    loaded = subprocess.run(
        [sys.executable, "-c", LOADED_SDK, stack], cwd=ROOT, capture_output=True, text=True
    )
    if loaded.returncode != 0:
        raise SystemExit(f"listing the SDK modules of {stack} failed: {loaded.stderr}")
    return loaded.stdout.split()


def sdk_floor(names: list[str]) -> tuple[float, float]:
    """Seconds and peak MB to import only these provider SDK modules in a fresh interpreter."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ONLY, *names], cwd=ROOT, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"importing the SDK modules failed: {done.stderr}")
    return wall, int(done.stdout.split()[-1]) / 1024


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


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stack", action="append", help="default: every stack in stacks/")
    args = parser.parse_args()
    stacks = args.stack or sorted(
        p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml")
    )
    byte_compile()
    from plan.estimate import estimate
    from plan.simulator import run_program
    from tests.conftest import stack_file

    print(
        f"{'stack':<20} {'plan s':>7} {'max s':>6} {'SDK s':>6} {'ratio':>6} {'peak MB':>8}"
        f" {'up ratio':>8} {'cold ratio (whole, weights)':>30}  target"
    )
    all_ok = True
    for stack in stacks:
        modules = sdk_modules(stack)
        # One pair per run: the plan, then its floor at once, so a burst of load elsewhere on
        # the machine weighs on both sides of a ratio rather than on one.
        pairs = [(measure(stack), sdk_floor(modules)[0]) for _ in range(args.runs)]
        walls = [plan for (plan, _), _ in pairs]
        peak = max(mb for (_, mb), _ in pairs)
        floor = statistics.median(f for _, f in pairs)
        ratio = statistics.median(plan / f for (plan, _), f in pairs)
        ok = ratio <= TARGET_RATIO and peak < TARGET_MB
        all_ok = all_ok and ok
        up_ratio = estimate(run_program(stack_file(stack), stack=stack).resources).ratio
        print(
            f"{stack:<20} {statistics.median(walls):>7.2f} {max(walls):>6.2f} {floor:>6.2f} "
            f"{ratio:>6.2f} {peak:>8.0f} {up_ratio:>8.2f} {cold_ratio(stack):>30}  "
            f"{'ok' if ok else 'MISSED'} (plan/SDK <= {TARGET_RATIO}, <{TARGET_MB:.0f} MB)"
        )
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
