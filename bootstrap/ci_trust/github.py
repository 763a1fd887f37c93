"""What GitHub's OIDC tokens say, in one place: the issuer and the subjects each identity
trusts. GitHub writes the `sub` claim as `repo:OWNER/REPO:` followed by
`environment:NAME` for a job that names an environment, `pull_request` for a job of a
pull_request event, else `ref:refs/heads/BRANCH`. A pull request from a fork gets no token at
all (GitHub gives fork pull_request runs no `id-token: write`), so no identity here is
reachable from a fork."""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.ci_trust.settings import GitHub

ISSUER = "https://token.actions.githubusercontent.com"
# The audience each cloud's token exchange expects (what its login action requests).
AWS_AUDIENCE = "sts.amazonaws.com"
AZURE_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class Subjects:
    # Read-only: any pull request of the repository, and the default branch's runs (the
    # scheduled drift check runs there, without an environment).
    preview: tuple[str, ...]
    # Read-write: only jobs that run in the protected environment (required reviewers,
    # deployment branches limited to the default branch).
    deploy: str


def subjects(github: GitHub) -> Subjects:
    repo = f"repo:{github.repository}"
    return Subjects(
        preview=(f"{repo}:pull_request", f"{repo}:ref:refs/heads/{github.default_branch}"),
        deploy=f"{repo}:environment:{github.deploy_environment}",
    )
