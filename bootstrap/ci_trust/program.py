"""The CI-trust program: settings, then one component per cloud the stack names."""

from __future__ import annotations

import pulumi

from bootstrap.ci_trust import github
from bootstrap.ci_trust.settings import load
from components.settings_base import SettingsError


def main() -> None:
    try:
        settings = load()
    except SettingsError as e:
        # As the main program does: the message alone, before any resource exists.
        raise pulumi.RunError(str(e)) from None
    subjects = github.subjects(settings.github)
    if settings.aws:
        from bootstrap.ci_trust.aws import AwsGithubTrust, AwsTrustArgs

        aws = AwsGithubTrust("ci-trust", AwsTrustArgs(settings.aws, subjects))
        pulumi.export("awsPreviewRoleArn", aws.preview_role_arn)
        pulumi.export("awsDeployRoleArn", aws.deploy_role_arn)
        pulumi.export("awsPermissionsBoundaryArn", aws.permissions_boundary_arn)
    if settings.azure:
        from bootstrap.ci_trust.azure import AzureGithubTrust, AzureTrustArgs

        azure = AzureGithubTrust("ci-trust", AzureTrustArgs(settings.azure, subjects))
        pulumi.export("azurePreviewClientId", azure.preview_client_id)
        pulumi.export("azureDeployClientId", azure.deploy_client_id)
        pulumi.export("azureDeployPrincipalId", azure.deploy_principal_id)
    if settings.gcp:
        from bootstrap.ci_trust.gcp import GcpGithubTrust, GcpTrustArgs

        gcp = GcpGithubTrust(
            "ci-trust", GcpTrustArgs(settings.gcp, settings.github.repository, subjects)
        )
        pulumi.export("gcpWorkloadIdentityProvider", gcp.workload_identity_provider)
        pulumi.export("gcpPreviewServiceAccount", gcp.preview_service_account)
        pulumi.export("gcpDeployServiceAccount", gcp.deploy_service_account)
