"""The CI trust: GitHub OIDC identities for `pulumi preview` on pull requests and `pulumi up`
from the main branch's protected environment, on AWS, Azure and GCP (no cloud key in GitHub)."""
