"""The bench (bench/__main__.py) pairs each plan with its SDK floor: the floor must import
every provider-SDK module the measured plan loads, or the plan is charged for SDK imports."""

from __future__ import annotations


def test_the_floor_lists_the_sdk_modules_of_the_whole_plan_and_its_report() -> None:
    from bench.__main__ import sdk_modules

    # The report reads the policy pack (plan/cli.py unknown_packages), which loads
    # pulumi_policy after the program has run.
    modules = sdk_modules("existing-infra")
    assert "pulumi_policy.policy" in modules
    # And the program's own (the run registers Kubernetes resources).
    assert any(m.startswith("pulumi_kubernetes.") for m in modules)


# Appended to a script: prints every loaded `pulumi*` module with the kind of object it is (a
# module, the lazy loader's SdkPackage, the SDK's own lazy module), and whether anything of the
# program (its packages, pydantic) was loaded.
_DUMP = """
import sys
print(sorted(
    (name, type(module).__name__)
    for name, module in sys.modules.items()
    if name.split(".")[0].startswith("pulumi")
))
print(sorted({n.split(".")[0] for n in sys.modules} & {"components", "policy", "pydantic"}))
"""


def _stdout(script: str, *args: str) -> list[str]:
    """The lines a fresh interpreter running `script` with `args` prints, from the repo root."""
    import subprocess
    import sys

    from bench.__main__ import ROOT

    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def _loaded(script: str, *args: str) -> list[str]:
    return _stdout(script + _DUMP, *args)[-2:]


def test_the_floor_loads_exactly_the_sdk_modules_of_the_plan_and_nothing_of_the_program() -> None:
    """A floor that imported more of the SDKs than the plan (a whole package instead of the
    modules the plan loads, or without the lazy loader) would flatter every ratio."""
    from bench.__main__ import IMPORT_ONLY, LOADED_SDK, sdk_modules

    stack = "existing-infra"
    plan_modules, _ = _loaded(LOADED_SDK, stack)
    floor_modules, floor_program = _loaded(IMPORT_ONLY, *sdk_modules(stack))
    assert "pulumi_kubernetes" in plan_modules
    assert floor_modules == plan_modules
    assert floor_program == "[]"


# Run with its arguments as `python -m plan` would be, printing at exit whether the cycle
# collector is on.
_AT_EXIT = "import atexit, gc; atexit.register(lambda: print('gc', gc.isenabled()))\n"
_PLAN = "import runpy, sys; sys.argv[0] = 'plan'; runpy.run_module('plan', run_name='__main__')"


def test_the_floor_runs_with_the_collector_as_the_plan_does() -> None:
    """plan/__main__.py turns the cycle collector off before its imports; a floor importing
    with it on costs more and would flatter the ratio."""
    from bench.__main__ import IMPORT_ONLY, sdk_modules

    def collector(script: str, *args: str) -> str:
        return _stdout(_AT_EXIT + script, *args)[-1]

    plan = collector(_PLAN, "--stack", "existing-infra", "--no-render")
    assert plan == "gc False"
    assert collector(IMPORT_ONLY, *sdk_modules("existing-infra")) == plan


def test_the_account_keeps_each_buckets_own_time() -> None:
    """A constructor the program calls pauses the program's clock; an apply callback that
    constructs a resource pauses the callback's (bench/account.py)."""
    from bench.account import ENGINE, PROGRAM, SDK, Accountant
    from tests.helpers import ManualClock

    clock = ManualClock()
    acc = Accountant(clock)
    with acc.bucket(PROGRAM):
        clock.now += 2  # the program's own code
        with acc.bucket(SDK):
            clock.now += 5  # a constructor
        clock.now += 1
        with acc.bucket(PROGRAM):  # an apply callback run from within
            clock.now += 3
            with acc.bucket(SDK):
                clock.now += 7
    with acc.bucket(ENGINE):
        clock.now += 4
    assert acc.totals == {PROGRAM: 6, SDK: 12, ENGINE: 4}


def test_the_account_of_a_plan_splits_its_run_and_puts_the_probes_back() -> None:
    import pulumi

    import components.program
    import plan.simulator
    from bench.account import CONSTRUCTORS, ENGINE, PROGRAM, SDK, account

    originals = (
        pulumi.Resource.__init__,
        pulumi.Output.apply,
        components.program.main,
        plan.simulator.RecordingMonitor.RegisterResource,
    )
    split = account("existing-infra")
    # Every probe saw work: the program ran, the SDK's constructors registered its resources
    # (part of the SDK's registration), the engine answered them.
    assert split[PROGRAM] > 0 and split[ENGINE] > 0
    assert 0 < split[CONSTRUCTORS] < split[SDK]
    assert originals == (
        pulumi.Resource.__init__,
        pulumi.Output.apply,
        components.program.main,
        plan.simulator.RecordingMonitor.RegisterResource,
    )


def test_the_account_table_gives_the_program_what_the_sdks_and_engine_leave() -> None:
    from bench.__main__ import account_lines

    # A 2.00 s plan over a 1.00 s floor, 0.30 s of registration and 0.20 s of engine: the
    # program's own is the other 0.50 s, and 2.00 / 1.50 = 1.33.
    (row,) = account_lines([("s", 2.0, 1.0, 0.3, 0.2)])[3:]
    assert row.split() == ["s", "2.00", "1.00", "0.30", "0.20", "0.50", "1.33"]
