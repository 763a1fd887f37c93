"""What GitHub's OIDC tokens say, in one place: the issuer and the subjects each identity
trusts. GitHub writes the `sub` claim as `repo:OWNER/REPO:` followed by
`environment:NAME` for a job that names an environment, `pull_request` for a job of a
pull_request event, else `ref:refs/heads/BRANCH`.

Every subject trusted here names an environment, so a token is only ever handed out under an
environment's protection rules: `pull_request` (any branch anyone with push access wrote) and
`ref:...` subjects are trusted by no identity. A pull request from a fork gets no token at all
(GitHub gives fork pull_request runs no `id-token: write`)."""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.ci_trust.settings import GitHub

ISSUER = "https://token.actions.githubusercontent.com"
# The audience each cloud's token exchange expects (what its login action requests).
AWS_AUDIENCE = "sts.amazonaws.com"
AZURE_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class Subjects:
    # Read-only, and able to decrypt the stack secrets (`pulumi preview` must: pulumi/pulumi
    # #12289): pull-request previews a maintainer approved (environment `preview`, required
    # reviewers) and the nightly drift check (environment `drift`, required reviewers too,
    # default branch only).
    preview: tuple[str, ...]
    # Read-write: only jobs that run in the protected environment (required reviewers,
    # deployment branches limited to the default branch).
    deploy: str
    # The drift check's subject (one of `preview`): clouds that see the event may narrow it.
    drift: str


def subjects(github: GitHub) -> Subjects:
    repo = f"repo:{github.repository}"
    return Subjects(
        preview=(
            f"{repo}:environment:{github.preview_environment}",
            f"{repo}:environment:{github.drift_environment}",
        ),
        deploy=f"{repo}:environment:{github.deploy_environment}",
        drift=f"{repo}:environment:{github.drift_environment}",
    )
