"""Queues: SQS is the Celery broker on AWS; the server creates `launch-endpoint-id-*` queues
with a policy and tags built from templates derived from the account, region and role."""

from __future__ import annotations

import json
import string

from plan import computed_aws
from tests.aws.helpers import AwsRun

ROLE = ("aws:iam/role:Role", "platform-identity-model-engine", "arn")


def test_broker_is_sqs(prod: AwsRun) -> None:
    assert prod.values["celeryBrokerType"] == "sqs"
    assert "celery_broker_type_redis" not in prod.values


def test_queue_policy_template_names_the_account_region_and_role(prod: AwsRun) -> None:
    template = prod.launch["sqs_queue_policy_template"]
    policy = json.loads(string.Template(template).substitute(queue_name="launch-endpoint-id-e1"))
    account = computed_aws.account_id()  # getCallerIdentity
    queue = f"arn:aws:sqs:us-west-2:{account}:launch-endpoint-id-e1"
    owner, engine = policy["Statement"]
    assert owner["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
    assert owner["Resource"] == queue
    assert engine["Principal"] == {"AWS": prod.out(*ROLE)}
    assert engine["Resource"] == queue
    assert "sqs:*" not in engine["Action"]


def test_queue_tag_template_fills_endpoint_fields(prod: AwsRun) -> None:
    template = prod.launch["sqs_queue_tag_template"]
    tags = json.loads(
        string.Template(template).substitute(
            endpoint_id="e1", endpoint_name="llama", endpoint_created_by="alice"
        )
    )
    assert sorted(tags.values()) == ["alice", "e1", "llama"]


def test_every_control_plane_pod_gets_the_region(prod: AwsRun) -> None:
    env = {e["name"]: e.get("value") for e in prod.values["extraEnvVars"]}
    assert env["AWS_REGION"] == "us-west-2"
