"""Identity: IRSA roles whose trust names exactly the ServiceAccounts that use them and whose
policies grant nothing beyond what the code needs."""

from __future__ import annotations

import configparser
import json
from typing import Any

from plan import computed_aws
from tests.aws.helpers import ROLE, ROLE_ANNOTATION, AwsRun, run_aws
from tests.helpers import set_path

# What getCallerIdentity answers, and the stack's region.
ACCOUNT, REGION = computed_aws.account_id(), "us-west-2"
KEY = ("aws:kms/key:Key", "platform-data-key", "arn")


def _subjects(run: AwsRun, role: str) -> list[str]:
    [statement] = run.trust(role)["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"]["Federated"] == run.out(
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "platform-cluster-oidc", "arn"
    )
    conditions = statement["Condition"]["StringEquals"]
    issuer = run.out(
        "aws:eks/cluster:Cluster", "platform-cluster-eks", "identities[0].oidcs[0].issuer"
    )
    assert conditions[f"{issuer}:aud"] == "sts.amazonaws.com"
    return conditions[f"{issuer}:sub"]


def _grants(policy: dict[str, Any]) -> set[tuple[str, str]]:
    """Every (action, resource) pair the policy allows."""
    out: set[tuple[str, str]] = set()
    for s in policy["Statement"]:
        assert s["Effect"] == "Allow" and "NotAction" not in s and "NotResource" not in s
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        out |= {(a, r) for a in actions for r in resources}
    return out


def test_model_engine_role_trusts_the_control_plane_account_only_where_it_exists(
    prod: AwsRun, config: dict[str, Any]
) -> None:
    # With isolation the chart creates no control-plane account in the endpoint namespace,
    # and nothing there may assume the control plane's role.
    assert _subjects(prod, "platform-identity-model-engine") == [
        "system:serviceaccount:model-engine:model-engine",
    ]
    set_path(config, "isolation", {"enabled": False, "disabledBecause": "a test"})
    assert _subjects(run_aws(config), "platform-identity-model-engine") == [
        "system:serviceaccount:llm-engine:model-engine",
        "system:serviceaccount:model-engine:model-engine",
    ]


def test_model_engine_policy_grants_exactly_the_list(prod: AwsRun) -> None:
    bucket = prod.out("aws:s3/bucket:Bucket", "platform-storage-bucket", "arn")
    cache_url = prod.out("aws:secretsmanager/secret:Secret", "platform-cache-cache-url", "arn")
    queues = [
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:launch-endpoint-id-*",
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:model-engine-service-builder",
    ]
    sqs = [
        "sqs:ChangeMessageVisibility", "sqs:CreateQueue", "sqs:DeleteMessage", "sqs:DeleteQueue",
        "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage",
        "sqs:SetQueueAttributes", "sqs:TagQueue",
    ]  # fmt: skip
    ecr = ["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:ListImages"]
    expected = (
        {(a, f"{bucket}/*") for a in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")}
        | {("s3:ListBucket", bucket)}
        | {(a, q) for a in sqs for q in queues}
        | {("sqs:ListQueues", "*")}
        | {(a, f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*") for a in ecr}
        | {("secretsmanager:GetSecretValue", cache_url)}
        # SSE-KMS objects and the secrets: read needs Decrypt, S3 writes GenerateDataKey.
        | {("kms:Decrypt", prod.out(*KEY)), ("kms:GenerateDataKey", prod.out(*KEY))}
    )
    assert _grants(prod.policy("platform-identity-model-engine")) == expected


def test_image_builder_role_is_kaniko_in_default_with_push(prod: AwsRun) -> None:
    assert _subjects(prod, "platform-identity-image-builder") == [
        "system:serviceaccount:default:kaniko"
    ]
    grants = _grants(prod.policy("platform-identity-image-builder"))
    assert ("ecr:GetAuthorizationToken", "*") in grants
    # Pushes go to this stack's repositories, each named by its ARN; no wildcard.
    pushed = {r for a, r in grants if a == "ecr:PutImage"}
    # The repositories the builder writes (the framework ones are filled by the pull-through
    # cache, including the empty ones created under its prefix).
    repositories = [
        r
        for r in prod.of_type("aws:ecr/repository:Repository")
        if not r.inputs["name"].startswith("model-engine-upstream/")
    ]
    assert repositories
    assert pushed == {prod.out(r.type, r.name, "arn") for r in repositories}
    assert not any(
        r.endswith("*")
        for a, r in grants
        if a.startswith("ecr:") and a != "ecr:GetAuthorizationToken"
    )
    # Kaniko reads its build context from the bucket; it writes nothing there.
    bucket = prod.out("aws:s3/bucket:Bucket", "platform-storage-bucket", "arn")
    assert {g for g in grants if g[0].startswith("s3:")} == {("s3:GetObject", f"{bucket}/*")}
    assert not any(a.startswith(("sqs:", "secretsmanager:")) for a, _ in grants)


def test_chart_annotations_name_the_roles(prod: AwsRun) -> None:
    role = prod.out(ROLE, "platform-identity-model-engine", "arn")
    builder = prod.out(ROLE, "platform-identity-image-builder", "arn")
    values = prod.values
    assert values["serviceAccount"]["annotations"][ROLE_ANNOTATION] == role
    inference = prod.out(ROLE, "platform-identity-inference", "arn")
    assert values["serviceTemplate"]["serviceAccountAnnotations"][ROLE_ANNOTATION] == inference
    assert values["serviceTemplate"]["serviceAccountName"] == "model-engine-inference"
    # With isolation the control plane's account (cluster-admin) is not created in the
    # endpoint namespace: the batch-job orchestration that ran as it there is cut off anyway.
    assert values["serviceAccount"]["namespaces"] == []
    assert values["imageBuilderServiceAccount"]["annotations"] == {ROLE_ANNOTATION: builder}
    config_map = values["aws"]["configMap"]
    assert config_map["create"] is True and config_map["mountPath"] == "/opt/.aws/config"
    # The chart's file (the control-plane role only) goes to the release namespace; the
    # endpoint namespace's is the program's own, below.
    assert config_map["namespaces"] == ["model-engine"]


def test_endpoint_namespace_profiles_name_the_roles_that_trust_its_accounts(
    prod: AwsRun,
) -> None:
    """Issue 18 item 9: the profile async forwarders open by name (infra
    profile_ml_inference_worker) is the inference role's, in the endpoint namespace's file
    under the name every endpoint template mounts; `default` stays the control plane's for
    the batch-job orchestration that runs there as `model-engine`."""
    [config_map] = [
        r
        for r in prod.of_type("kubernetes:core/v1:ConfigMap")
        if r.inputs["metadata"]["namespace"] == "llm-engine"
    ]
    assert config_map.inputs["metadata"]["name"] == prod.values["aws"]["configMap"]["name"]
    parser = configparser.ConfigParser()
    parser.read_string(config_map.inputs["data"]["config"])
    inference = prod.infra["profile_ml_inference_worker"]
    control_plane = prod.values["aws"]["profileName"]
    assert inference != control_plane
    assert parser[f"profile {inference}"]["role_arn"] == prod.out(
        ROLE, "platform-identity-inference", "arn"
    )
    assert parser[f"profile {control_plane}"]["role_arn"] == prod.out(
        ROLE, "platform-identity-model-engine", "arn"
    )
    for section in parser.sections():
        assert parser[section]["web_identity_token_file"] == (
            "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
        )
    assert "system:serviceaccount:llm-engine:model-engine-inference" in _subjects(
        prod, "platform-identity-inference"
    )
    # The Release waits for it: endpoint pods mount it by name.
    assert config_map.urn in prod.run.release.dependencies


def test_without_isolation_the_batch_orchestrator_account_exists_in_the_endpoint_namespace(
    config: dict[str, Any],
) -> None:
    set_path(config, "isolation", {"enabled": False, "disabledBecause": "a test"})
    values = run_aws(config).values
    # The orchestration (/v1/batch-jobs) runs as the control plane's account there; the
    # inference pods never use it.
    assert values["serviceAccount"]["namespaces"] == ["llm-engine"]


def test_addons_that_call_aws_get_their_own_roles(prod: AwsRun) -> None:
    keda_role = prod.out(ROLE, "platform-identity-keda", "arn")
    assert _subjects(prod, "platform-identity-keda") == ["system:serviceaccount:keda:keda-operator"]
    keda_secret = prod.out("aws:secretsmanager/secret:Secret", "platform-cache-keda", "arn")
    assert _grants(prod.policy("platform-identity-keda")) == {
        ("secretsmanager:GetSecretValue", keda_secret),
        ("kms:Decrypt", prod.out(*KEY)),
    }
    keda = prod.one("kubernetes:helm.sh/v3:Release", "addons-keda-release").inputs["values"]
    assert keda["serviceAccount"]["operator"]["annotations"] == {ROLE_ANNOTATION: keda_role}

    assert _subjects(prod, "platform-identity-cluster-autoscaler") == [
        "system:serviceaccount:kube-system:cluster-autoscaler"
    ]
    policy = prod.policy("platform-identity-cluster-autoscaler")
    [write] = [s for s in policy["Statement"] if "autoscaling:SetDesiredCapacity" in s["Action"]]
    assert write["Condition"] == {
        "StringEquals": {
            "aws:ResourceTag/k8s.io/cluster-autoscaler/model-engine-customer-prod": "owned"
        }
    }
    autoscaler = prod.one("kubernetes:helm.sh/v3:Release", "addons-cluster-autoscaler-release")
    assert autoscaler.inputs["values"]["rbac"]["serviceAccount"]["annotations"] == {
        ROLE_ANNOTATION: prod.out(ROLE, "platform-identity-cluster-autoscaler", "arn")
    }


def test_inference_pods_have_their_own_role(prod: AwsRun) -> None:
    assert _subjects(prod, "platform-identity-inference") == [
        "system:serviceaccount:llm-engine:model-engine-inference"
    ]
    # ... and the control plane's role does not trust the inference account: a user container
    # reading the chart's AWS config file (which names the control-plane role) is refused.
    assert "system:serviceaccount:llm-engine:model-engine-inference" not in _subjects(
        prod, "platform-identity-model-engine"
    )


def test_inference_policy_is_what_forwarders_and_models_need(prod: AwsRun) -> None:
    bucket = prod.out("aws:s3/bucket:Bucket", "platform-storage-bucket", "arn")
    queues = f"arn:aws:sqs:{REGION}:{ACCOUNT}:launch-endpoint-id-*"
    consume = [
        "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl", "sqs:ReceiveMessage",
    ]  # fmt: skip
    expected = (
        {(a, queues) for a in consume}
        | {("s3:GetObject", f"{bucket}/*"), ("s3:ListBucket", bucket)}
        | {("s3:PutObject", f"{bucket}/tmp/*"), ("s3:PutObject", f"{bucket}/fine_tuned_weights/*")}
        | {("kms:Decrypt", prod.out(*KEY)), ("kms:GenerateDataKey", prod.out(*KEY))}
    )
    grants = _grants(prod.policy("platform-identity-inference"))
    assert grants == expected
    # Never the control plane's: queue management, deletes, the registry, the Redis secret.
    actions = {a for a, _ in grants}
    assert not actions & {"sqs:CreateQueue", "sqs:DeleteQueue", "sqs:ListQueues"}
    assert "s3:DeleteObject" not in actions and "secretsmanager:GetSecretValue" not in actions


def test_auto_scaling_may_use_the_key_for_node_volumes(prod: AwsRun) -> None:
    policy = json.loads(prod.one("aws:kms/key:Key", "platform-data-key").inputs["policy"])
    account = computed_aws.account_id()  # getCallerIdentity
    asg = (
        f"arn:aws:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling"
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["AccountAdministersAndUsesThroughIam"]["Principal"] == {
        "AWS": f"arn:aws:iam::{account}:root"
    }
    use = by_sid["AutoScalingUsesForNodeVolumes"]
    assert use["Condition"]["StringEquals"]["aws:PrincipalArn"] == asg
    assert {"kms:Decrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"} <= set(use["Action"])
    grant = by_sid["AutoScalingGrantsForNodeVolumes"]
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"]["StringEquals"]["aws:PrincipalArn"] == asg
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
