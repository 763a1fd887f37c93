"""A platform is one package and one entry in the list of platforms (components/platforms.py).

tests/fourth_platform is a package laid out like components/<cloud> and nothing else. Added
to a list of platforms, the stack file's schema built from that list (the way
components/settings.py builds the program's from PLATFORMS) accepts `cloud: fourth` with its
block and refuses it without, the loader names its keys, and the platform's roles find its
facts.py and its component in platform.py. The program's own list knows no such cloud.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

import pytest

from components import fit, operations, program, settings_loader
from components.addons import addons
from components.platform import Platform
from components.platforms import PLATFORMS
from components.settings import StackSettings, stack_settings_schema
from components.settings_base import PROJECT, Model, SettingsError
from plan import coldstart, estimate
from plan.cli import unknown_packages
from plan.simulator import ProgramRun, RecordedResource
from tests import fourth_platform
from tests.broken_platforms import no_component, no_outputs, no_role
from tests.conftest import ROOT, stack_file
from tests.fourth_platform import facts as fourth_facts
from tests.fourth_platform.settings import FourthSettings
from tests.helpers import KEY, set_path, settings_from, under_config

FOURTH = fourth_platform.PLATFORM
WITH_FOURTH: list[Platform[Model]] = [*PLATFORMS.values(), FOURTH]


def fourth_config(**block: Any) -> dict[str, Any]:
    """The smallest stack file on the fourth platform."""
    return {
        f"{KEY}cloud": "fourth",
        f"{KEY}domain": "llm-engine.example.com",
        f"{KEY}chart": {"path": "./model-engine"},
        f"{KEY}image": {"tag": "0a1b2c3"},
        f"{KEY}fourth": {"kubernetesVersion": "1.33", **block},
    }


def load(config: dict[str, Any]) -> StackSettings:
    """The stack as the program's loader reads it, with the schema of the four platforms."""
    return under_config(config, lambda: settings_loader.load_settings(WITH_FOURTH))


def refusal(config: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as failure:
        load(config)
    return str(failure.value)


def test_the_fourth_platform_is_accepted_with_its_block() -> None:
    settings = load(fourth_config(secretEnvKeys=["FOURTH_TOKEN"]))
    assert settings.cloud == "fourth"
    assert FOURTH.block(settings) == FourthSettings(
        kubernetes_version="1.33", secret_env_keys=["FOURTH_TOKEN"]
    )
    # The other platforms' blocks stay where they were: the stack file of one still loads.
    assert load(copy.deepcopy(stack_file("existing-infra"))).cloud == "existing"


def test_the_fourth_platform_without_its_block_is_refused() -> None:
    config = fourth_config()
    del config[f"{KEY}fourth"]
    message = refusal(config)
    # A rule over the whole stack has no key of its own: the project, then the message.
    assert (
        f"{PROJECT}: cloud is 'fourth' but the `fourth` block is missing; add {PROJECT}:fourth"
        in message
    )
    assert "::" not in message


def test_another_platform_with_the_fourth_block_is_refused() -> None:
    config = copy.deepcopy(stack_file("existing-infra"))
    config[f"{KEY}fourth"] = {"kubernetesVersion": "1.33"}
    assert "the `fourth` block is set but cloud is 'existing'; remove one" in refusal(config)


def test_the_loader_names_a_bad_key_in_the_fourth_block() -> None:
    config = fourth_config()
    set_path(config, "fourth.kubernetesVersoin", "1.34")
    message = refusal(config)
    assert (
        f"{PROJECT}:fourth.kubernetesVersoin: unknown key; did you mean `kubernetesVersion`?"
        in (message)
    )


def test_the_programs_platforms_refuse_the_fourth_cloud_naming_the_valid_ones() -> None:
    with pytest.raises(SettingsError) as failure:
        under_config(fourth_config(), settings_loader.load_settings)
    cloud, fourth = failure.value.problems
    # The value once: the loader adds no "(got 'fourth')" to a message that quotes it.
    refused = f"{PROJECT}:cloud: 'fourth' is not a platform; use one of "
    assert cloud.startswith(refused)
    named = cloud.removeprefix(refused).split(", ")
    # Every platform of the program, in its order; these four whatever else is added.
    assert named == [repr(c) for c in PLATFORMS]
    assert named[:4] == ["'existing'", "'aws'", "'azure'", "'gcp'"]
    assert fourth.startswith(f"{PROJECT}:fourth: unknown key")


class SecondAws(fourth_platform.Fourth):
    """A second package that declares a cloud another platform has."""

    cloud = "aws"


def test_two_platforms_with_one_cloud_are_refused_at_schema_build() -> None:
    with pytest.raises(ValueError) as failure:
        stack_settings_schema([*PLATFORMS.values(), SecondAws()], "aws")
    assert str(failure.value) == (
        "platforms components.aws.Aws and tests.test_platforms.SecondAws both declare cloud "
        "'aws': `cloud` is the stack file's value and its block's key, so each platform needs "
        "its own"
    )


def test_the_programs_list_refuses_two_platforms_with_one_cloud() -> None:
    """components/platforms.py builds PLATFORMS through the same refusal (a fresh interpreter:
    the list is built at import)."""
    code = (
        "import components.aws, components.gcp\n"
        "components.gcp.PLATFORM = components.aws.PLATFORM\n"
        "import components.platforms\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode != 0
    assert (
        "ValueError: platforms components.aws.Aws and components.aws.Aws both declare cloud 'aws'"
    ) in out.stderr


@pytest.mark.parametrize("cloud", ["gpu", "control_plane", "controlPlane", "Gpu", "platform"])
def test_a_platform_named_like_a_stack_key_is_refused_at_schema_build(cloud: str) -> None:
    """Its block would replace the top-level key (`gpu`, `controlPlane`) or the attribute
    (`platform`) of the same name, or take its stack-file key (`Gpu` is read as `gpu`)."""
    clash = type("Clash", (fourth_platform.Fourth,), {"cloud": cloud, "__module__": __name__})()
    with pytest.raises(ValueError) as failure:
        stack_settings_schema([*PLATFORMS.values(), clash], cloud)
    assert str(failure.value) == (
        f"platform tests.test_platforms.Clash declares cloud {cloud!r}, which is already a "
        "top-level key or attribute of the stack's settings (StackSettings); name the platform "
        "something else"
    )


def test_the_roles_read_the_fourth_packages_facts() -> None:
    settings = load(fourth_config(secretEnvKeys=["FOURTH_TOKEN"]))
    assert FOURTH.facts() is fourth_facts
    assert FOURTH.kubernetes_version(settings) == "1.33"
    assert list(FOURTH.secret_env_keys(settings)) == ["FOURTH_TOKEN"]
    FOURTH.check(settings)
    with pytest.raises(SettingsError, match=r"fourth\.kubernetesVersion: write 1\.<minor>"):
        FOURTH.check(load(fourth_config(kubernetesVersion="2.0")))


def test_build_makes_the_component_named_after_the_platform() -> None:
    from tests.fourth_platform.platform import FourthPlatform

    settings = load(fourth_config())
    assert FOURTH.component() is FourthPlatform
    outputs = FOURTH.build("fourth", settings)
    made = FourthPlatform.built[-1]
    assert outputs is made.outputs
    assert made.name == "fourth"
    assert made.block.kubernetes_version == "1.33"


def test_the_preflight_reads_the_stacks_platform_not_the_programs_list() -> None:
    """A stack validated by a schema that knows the fourth platform is checked against it,
    although the program's PLATFORMS does not list it: the preflight and the capacity warning
    take `settings.platform`, and so reach the fourth package's own facts."""
    settings = load(fourth_config())
    assert "fourth" not in PLATFORMS
    assert fit.capacity_warnings(settings, PROJECT) == []
    with pytest.raises(NotImplementedError, match="the fourth platform is never planned"):
        program.check(settings)


def test_the_block_of_a_platform_the_stack_did_not_choose_names_the_key() -> None:
    settings = load(copy.deepcopy(stack_file("existing-infra")))
    with pytest.raises(SettingsError, match=f"{PROJECT}:fourth: not set \\(cloud is 'existing'\\)"):
        FOURTH.block(settings)


def test_the_settings_block_is_the_class_named_after_the_platform() -> None:
    assert FOURTH.settings_block is FourthSettings

    class Renamed(fourth_platform.Fourth):
        """In the fourth package, whose settings.py has no RenamedSettings."""

    Renamed.__module__ = fourth_platform.__name__
    with pytest.raises(TypeError, match="defines no Model class RenamedSettings"):
        _ = Renamed().settings_block


def test_the_roles_before_build_import_no_component() -> None:
    """Run in a fresh interpreter: this module's own tests import the component."""
    code = (
        "import sys\n"
        "from tests.test_platforms import FOURTH, fourth_config, load\n"
        "settings = load(fourth_config(secretEnvKeys=['FOURTH_TOKEN']))\n"
        "FOURTH.check(settings)\n"
        "FOURTH.gpu_pools(settings)\n"
        "FOURTH.secret_env_keys(settings)\n"
        "FOURTH.kubernetes_version(settings)\n"
        "print('tests.fourth_platform.platform' in sys.modules)\n"
        # The probe sees the import once something asks for the component.
        "FOURTH.component()\n"
        "print('tests.fourth_platform.platform' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True"]


def test_a_facts_module_lacking_a_role_is_refused_by_name() -> None:
    with pytest.raises(TypeError) as failure:
        no_role.PLATFORM.facts()
    assert str(failure.value) == (
        "tests.broken_platforms.no_role.facts lacks a role of "
        "components.platform.PlatformFactsModule "
        "(check, preview_facts, gpu_pools, kubernetes_version)"
    )


def test_a_component_not_named_after_the_platform_is_refused() -> None:
    with pytest.raises(TypeError) as failure:
        no_component.PLATFORM.component()
    assert str(failure.value) == (
        "tests.broken_platforms.no_component.platform defines no class NoComponentPlatform: "
        "a platform's component is named after its PLATFORM object's class"
    )


def test_a_component_without_outputs_is_refused() -> None:
    with pytest.raises(TypeError) as failure:
        no_outputs.PLATFORM.build("nooutputs", load(fourth_config()))
    assert str(failure.value) == "NoOutputsPlatform sets no `outputs` (PlatformOutputs)"


def test_a_facts_module_without_secret_env_keys_gives_none() -> None:
    settings = load(fourth_config(secretEnvKeys=["FOURTH_TOKEN"]))
    # The facts module is complete without the optional role...
    assert not hasattr(no_component.PLATFORM.facts(), "secret_env_keys")
    assert list(no_component.PLATFORM.secret_env_keys(settings)) == []
    # ...and one that states it is read.
    assert list(FOURTH.secret_env_keys(settings)) == ["FOURTH_TOKEN"]


def test_a_platform_without_alarms_asks_for_no_alert_target_but_for_the_webhook() -> None:
    """The traits' defaults: no cloud alarms, Alertmanager delivers to no target by itself."""
    found = operations.findings(FOURTH, operations.Alerts(), alert_webhook=False)
    assert [f.split(":")[0] for f in found] == ["alertWebhookUrl"]


def test_a_platform_declaring_an_alert_target_is_asked_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(type(FOURTH), "alert_target", "action_group_id")
    monkeypatch.setattr(type(FOURTH), "alertmanager_delivers", True)
    assert operations.findings(FOURTH, operations.Alerts(), alert_webhook=False) == [
        "operations.alerts: no target, so no one hears an alarm; set operations.alerts.emails "
        "or operations.alerts.actionGroupId"
    ]
    with_target = operations.Alerts.model_validate({"actionGroupId": "/subscriptions/s/ag"})
    assert operations.findings(FOURTH, with_target) == []


@pytest.mark.parametrize("cloud", list(PLATFORMS))
def test_each_platforms_alert_target_is_a_key_of_operations_alerts(cloud: str) -> None:
    target = PLATFORMS[cloud].alert_target
    assert target is None or target in operations.Alerts.model_fields


def test_a_cluster_autoscaler_without_discovery_for_the_platform_is_refused_before_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(type(FOURTH), "needs_cluster_autoscaler", True)
    settings = load(fourth_config())
    with pytest.raises(SettingsError) as failure:
        addons.check(settings, FOURTH, None, [])
    assert (
        f"{PROJECT}:addons.clusterAutoscaler: the platform asks for a cluster autoscaler "
        "(needs_cluster_autoscaler) but node-group discovery is not wired for its "
        "cloud_provider 'onprem'"
    ) in str(failure.value)


# The plan's and the policy pack's tables are keyed by resource type: a platform added without
# its rows is planned and judged partly, and the plan says which part.


def _resource(typ: str, name: str) -> RecordedResource:
    return RecordedResource(
        urn=f"urn:pulumi:s::model-engine-infra::{typ}::{name}",
        type=typ,
        name=name,
        parent=None,
        custom=True,
        provider=None,
        dependencies=[],
        inputs={},
        secret_inputs=[],
        protect=False,
    )


FOURTH_RUN = [
    _resource("fourth:cluster/cluster:Cluster", "cluster"),
    _resource("fourth:cluster/nodePool:NodePool", "gpu"),
    _resource("kubernetes:core/v1:Namespace", "ns"),
    _resource("random:index/randomPassword:RandomPassword", "pw"),
]


def test_the_plan_names_what_it_cannot_simulate_or_judge_for_a_new_platform() -> None:
    assert unknown_packages(ProgramRun(FOURTH_RUN, {}, [])) == [
        "plan/computed.py computes no output of a fourth resource (2 in this plan): the ids, "
        "addresses and names the cloud assigns show as deferred; add a computed_<cloud>.py "
        "for fourth",
        "policy/pack.py has no rule for fourth resources: only the Kubernetes rules judge "
        "them; add policy/<cloud>.py's table to TABLES",
    ]


def test_the_estimate_finds_a_new_platforms_resources_untimed() -> None:
    found = estimate.estimate(FOURTH_RUN).findings
    assert found == (
        "DURATIONS (plan/estimate.py) times no fourth resource: its 2 resources count as API "
        "calls (1-5 s), so the total is too short; add their rows",
    )


def test_the_cold_start_of_a_platform_without_a_node_time_is_said_to_be_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_from(stack_file("gcp-prod"))
    pools = PLATFORMS["gcp"].gpu_pools(settings)
    hardware = fit.hardware(settings)
    # With its row the estimate is there; without it (a new platform), it says so.
    assert coldstart.lines(settings, pools, hardware)[0].startswith("pool ")
    monkeypatch.delitem(coldstart.NODE_SECONDS, "gcp")
    assert coldstart.lines(settings, pools, hardware) == [
        "no cold-start estimate for platform 'gcp': plan/coldstart.py NODE_SECONDS has no "
        "node start-up time for it; add its row to RATES"
    ]


def test_the_plan_prints_the_packages_it_knows_nothing_of(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a platform without policy rules would: the existing stack with the Kubernetes rules
    taken out of the pack."""
    from plan import cli
    from policy import pack

    kubernetes = {
        k: v for k, v in pack.RULES.items() if v[1].resource_type.startswith("kubernetes:")
    }
    assert kubernetes
    monkeypatch.setattr(pack, "RULES", {k: v for k, v in pack.RULES.items() if k not in kubernetes})
    assert cli.main(["--stack", "existing-infra", "--no-render"]) == 0
    out = capsys.readouterr().out
    assert (
        "## What the plan and the policy pack know nothing of\n"
        "policy/pack.py has no rule for kubernetes resources"
    ) in out
