"""The repository settings README step 5 asks for, against what the bootstrap trusts: every
GitHub environment whose jobs get an identity that decrypts the stack secrets or deploys
needs a person's approval, and changes to what CI runs need a code owner's review."""

from __future__ import annotations

import re

import pytest

from plan.simulator import ProgramRun
from tests.ci_trust.test_trust import trust
from tests.conftest import ROOT

IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return trust()


def _setup() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("\n5. **GitHub settings**")
    return readme[start : readme.index("\n6. **", start)]


def _environment_rules(setup: str) -> dict[str, str]:
    """Each `- \\`<environment>\\`: ...` bullet of the Environments list, by name."""
    bullets = re.split(r"\n     - `([\w-]+)`: ", setup.split("   - Rules")[0])
    return dict(zip(bullets[1::2], bullets[2::2], strict=True))


def _trusted_environments(run: ProgramRun) -> set[str]:
    """The environments named by any subject any CI identity trusts (AWS and Azure)."""
    subjects = [r.inputs["assumeRolePolicy"] for r in run.of_type("aws:iam/role:Role")]
    subjects += [r.inputs["subject"] for r in run.of_type(FIC)]
    return {m for s in subjects for m in re.findall(r":environment:([\w-]+)", s)}


def test_every_environment_the_trust_admits_requires_reviewers(run: ProgramRun) -> None:
    trusted = _trusted_environments(run)
    assert {"preview", "drift", "prod-approved"} <= trusted  # CONFIG's names
    # The README speaks of the default names; the trust's config renames only the deploy one.
    documented = _environment_rules(_setup())
    for environment in trusted - {"prod-approved"} | {"production"}:
        assert "*Required reviewers*" in " ".join(documented[environment].split()), environment


def test_main_requires_an_approving_review_and_code_owners() -> None:
    rules = " ".join(_setup().split("   - Rules")[1].split("\n   - ")[0].split())
    for rule in (
        "at least one approving review",
        "*Dismiss stale pull request approvals when new commits are pushed*",
        "*Require review from Code Owners*",
    ):
        assert rule in rules, rule


def test_codeowners_own_what_ci_runs() -> None:
    lines = [
        line.split()
        for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    owned = {pattern: owners for pattern, *owners in lines}
    for pattern in ("/.github/", "/ci/", "/bootstrap/ci_trust/"):
        assert owned.get(pattern), pattern
        assert (ROOT / pattern.strip("/")).is_dir(), pattern
