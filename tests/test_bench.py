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
