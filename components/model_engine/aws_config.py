"""The AWS config file pods mount on AWS (the chart's `aws.configMap`), per namespace.

The chart writes one file, naming the control plane's role under `aws.profileName`, into every
namespace of `aws.configMap.namespaces`. In the endpoint namespace that is wrong: the async
forwarder builds its S3 result backend with an explicit profile, `session(
profile_ml_inference_worker)` (inference/forwarding/celery_forwarder.py -> core/celery/app.py
_get_backend_url_and_conf -> core/aws/roles.py session). botocore then ignores the pod
identity webhook's AWS_ROLE_ARN (an explicit profile disables the environment in
create_credential_resolver) and asks STS for the profile's role_arn; the control-plane role's
trust refuses the inference ServiceAccount, so every async result is lost.

So the endpoint namespace gets a file of our own under the chart's name and key: `default`
still names the control-plane role (the batch-job orchestration Job runs there as the control
plane's account with AWS_PROFILE=aws.profileName), and INFERENCE_PROFILE names the inference
role, which `profile_ml_inference_worker` selects for the forwarder, the endpoint containers'
AWS_PROFILE (the server's get_aws_role_for_user) and batch jobs.
"""

from __future__ import annotations

# The chart's ConfigMap name and key (templates/aws_config_map.yaml); every endpoint and job
# template mounts `aws.configMap.name` with subPath `config`.
CONFIG_MAP_NAME = "default-config"
CONFIG_KEY = "config"
# aws.profileName: the control plane's profile, in both namespaces.
CONTROL_PLANE_PROFILE = "default"
# infra profile_ml_inference_worker: the inference role's profile, in the endpoint namespace.
INFERENCE_PROFILE = "ml-inference"
# Where the EKS pod identity webhook projects the ServiceAccount token (the chart's path).
WEB_IDENTITY_TOKEN_FILE = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"


def profile(name: str, role_arn: str) -> str:
    """One web-identity profile, as the chart writes it."""
    return (
        f"[profile {name}]\n"
        f"role_arn = {role_arn}\n"
        f"web_identity_token_file = {WEB_IDENTITY_TOKEN_FILE}\n"
    )


def endpoint_config(control_plane_role_arn: str, inference_role_arn: str) -> str:
    """The endpoint namespace's file: the control plane's profile and the inference one."""
    if not control_plane_role_arn or not inference_role_arn:
        raise ValueError("platform bug: both IRSA role ARNs are needed for the AWS config file")
    return "\n".join(
        (
            profile(CONTROL_PLANE_PROFILE, control_plane_role_arn),
            profile(INFERENCE_PROFILE, inference_role_arn),
        )
    )
