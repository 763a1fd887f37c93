"""Alarms on what the server creates or the cloud fails at, on the stack's topic: the
builder's queue and every queue of the region (async endpoint queues exist only at run time),
and GPU node groups that cannot launch a node."""

from __future__ import annotations

import fnmatch
import json

import pytest

from components.aws import alerts
from tests.aws.helpers import AwsRun, prod_config, run_aws
from tests.helpers import set_path

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
POLICY = "aws:sns/topicPolicy:TopicPolicy"
TOPIC = "aws:sns/topic:Topic"
NODES = "aws:eks/nodeGroup:NodeGroup"
EVENTS = "events.amazonaws.com"


@pytest.fixture(scope="module")
def prod() -> AwsRun:
    return run_aws(prod_config())


def test_builder_queue_age_alarm_on_the_charts_queue(prod: AwsRun) -> None:
    alarm = prod.one(ALARM, "platform-platform-alarms-alarm-builder-queue-age").inputs
    assert alarm["namespace"] == "AWS/SQS"
    assert alarm["metricName"] == "ApproximateAgeOfOldestMessage"
    assert alarm["dimensions"] == {"QueueName": "model-engine-service-builder"}
    assert alarm["threshold"] == 900
    topic = prod.out(TOPIC, "platform-alerts-topic", "arn")
    assert alarm["alarmActions"] == [topic]


def test_every_queue_of_the_region_is_watched_and_the_threshold_is_a_setting() -> None:
    config = prod_config()
    set_path(config, "operations.alerts.thresholds.queueAgeSeconds", 1800)
    run = run_aws(config)
    alarm = run.one(ALARM, "platform-platform-alarms-alarm-queues-age").inputs
    (query,) = alarm["metricQueries"]
    assert query["expression"] == alerts.QUEUES_OLDEST_QUERY
    assert "ApproximateAgeOfOldestMessage" in query["expression"]
    assert query["returnData"] is True
    assert alarm["threshold"] == 1800


def test_gpu_launch_failures_reach_the_topic(prod: AwsRun) -> None:
    rule = prod.one(RULE, "platform-platform-alarms-gpu-launch-failures")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["source"] == ["aws.autoscaling"]
    assert pattern["detail-type"] == ["EC2 Instance Launch Unsuccessful"]
    gpu = [g for g in prod.of_type(NODES) if "-gpu-" in g.name]
    assert gpu
    # Exactly the GPU groups' Auto Scaling groups.
    assert pattern["detail"]["AutoScalingGroupName"] == sorted(
        prod.out(NODES, g.name, "autoscalingGroups[0].name") for g in gpu
    )
    topic = prod.out(TOPIC, "platform-alerts-topic", "arn")
    target = prod.one(TARGET, "platform-platform-alarms-gpu-launch-failures").inputs
    assert target["arn"] == topic
    # The topic admits EventBridge for the stack's rules only, and its key lets it use it.
    policy = json.loads(prod.one(POLICY).inputs["policy"])
    (events,) = [s for s in policy["Statement"] if s["Principal"].get("Service") == EVENTS]
    # EventBridge rule ARN: arn:<partition>:events:<region>:<account>:rule/<name>.
    account = events["Condition"]["StringEquals"]["aws:SourceAccount"]
    rule = prod.one(RULE, "platform-platform-alarms-gpu-launch-failures").inputs["name"]
    pattern = events["Condition"]["ArnLike"]["aws:SourceArn"]
    assert fnmatch.fnmatchcase(f"arn:aws:events:us-west-2:{account}:rule/{rule}", pattern)
    assert not fnmatch.fnmatchcase(f"arn:aws:events:us-west-2:{account}:rule/other", pattern)
    key = json.loads(prod.one("aws:kms/key:Key", "platform-alerts-key").inputs["policy"])
    assert any(s["Principal"].get("Service") == "events.amazonaws.com" for s in key["Statement"])


def test_an_existing_topic_keeps_its_own_policy() -> None:
    config = prod_config()
    set_path(config, "operations.alerts.snsTopicArn", "arn:aws:sns:us-west-2:123456789012:oncall")
    run = run_aws(config)
    assert run.of_type(POLICY) == []
    target = run.one(TARGET, "platform-platform-alarms-gpu-launch-failures").inputs
    assert target["arn"] == "arn:aws:sns:us-west-2:123456789012:oncall"


def _admitted(policy: dict, service: str) -> dict:
    (statement,) = [s for s in policy["Statement"] if s["Principal"].get("Service") == service]
    assert statement["Action"] == "sns:Publish"
    return statement


def test_every_publisher_wired_to_the_topic_is_admitted(prod: AwsRun) -> None:
    """The topic policy replaces SNS's default: each service the stack points at the topic
    must be named in it, from this account, or its notifications are dropped."""
    topic = prod.one(TOPIC, "platform-alerts-topic").urn
    policy_resource = prod.one(POLICY)
    policy = json.loads(policy_resource.inputs["policy"])
    account = _admitted(policy, EVENTS)["Condition"]["StringEquals"]["aws:SourceAccount"]
    wired = {
        "aws:cloudwatch/metricAlarm:MetricAlarm": ("alarmActions", "cloudwatch.amazonaws.com"),
        "aws:rds/eventSubscription:EventSubscription": ("snsTopic", "events.rds.amazonaws.com"),
        TARGET: ("arn", EVENTS),
    }
    seen = set()
    for kind, (field, service) in wired.items():
        for r in prod.of_type(kind):
            if topic in r.property_dependencies.get(field, []):
                statement = _admitted(policy, service)
                assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == account
                seen.add(kind)
    assert seen == set(wired)
    # ElastiCache cannot publish to an encrypted topic: the program's topic is not given to it.
    cache = prod.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert not cache.inputs.get("notificationTopicArn")
    # RDS checks its permission when the subscription is made: it waits for the policy.
    subscription = prod.one("aws:rds/eventSubscription:EventSubscription")
    assert policy_resource.urn in subscription.dependencies


def test_a_named_topic_takes_elasticache_events() -> None:
    config = prod_config()
    set_path(config, "operations.alerts.snsTopicArn", "arn:aws:sns:us-west-2:123456789012:oncall")
    cache = run_aws(config).one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert cache.inputs["notificationTopicArn"] == "arn:aws:sns:us-west-2:123456789012:oncall"


def test_failed_cache_backups_reach_the_encrypted_topic_through_eventbridge(prod: AwsRun) -> None:
    """ElastiCache cannot publish to the program's encrypted topic, so its backup failures
    go through an EventBridge rule, named where the topic's policy admits the stack's rules."""
    cache = prod.one("aws:elasticache/replicationGroup:ReplicationGroup")
    group = cache.inputs["replicationGroupId"]
    (rule,) = [r for r in prod.of_type(RULE) if "elasticache" in r.inputs["eventPattern"]]
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["detail-type"] == [
        "Snapshot Creation Failed",
        "Snapshot Export Failed",
        "Snapshot Copy Failed",
    ]
    assert pattern["detail"]["SourceIdentifier"] == [group, {"prefix": f"{group}-00"}]
    (target,) = [t for t in prod.of_type(TARGET) if rule.urn in t.property_dependencies["rule"]]
    topic = prod.one(TOPIC, "platform-alerts-topic")
    assert topic.urn in target.property_dependencies["arn"]
    policy = json.loads(prod.one(POLICY).inputs["policy"])
    admitted = _admitted(policy, EVENTS)["Condition"]["ArnLike"]["aws:SourceArn"]
    # The policy admits this account's rules by name pattern (`...:rule/<base>-*`).
    assert fnmatch.fnmatch(rule.inputs["name"], admitted.split(":rule/", 1)[1])


def test_a_named_topic_gets_elasticache_events_directly_not_a_rule() -> None:
    config = prod_config()
    set_path(config, "operations.alerts.snsTopicArn", "arn:aws:sns:us-west-2:123456789012:oncall")
    rules = run_aws(config).of_type(RULE)
    assert rules
    assert not [r for r in rules if "elasticache" in str(r.inputs.get("eventPattern"))]


def test_event_rules_fit_and_stay_apart_and_admitted_at_the_longest_environment() -> None:
    """EventBridge names are at most 64 characters; for an environment of 63 characters the
    rules must still be two names the topic's policy admits, and another long environment
    sharing the first characters must not get the same names."""
    config = prod_config()
    set_path(config, "environment", "e" * 63)
    run = run_aws(config)
    names = [r.inputs["name"] for r in run.of_type(RULE)]
    assert len(names) == 2 and len(set(names)) == 2, names
    assert all(len(n) <= 64 for n in names), names
    policy = json.loads(run.one(POLICY).inputs["policy"])
    admitted = _admitted(policy, EVENTS)["Condition"]["ArnLike"]["aws:SourceArn"]
    assert all(fnmatch.fnmatch(n, admitted.split(":rule/", 1)[1]) for n in names), names
    other = prod_config()
    set_path(other, "environment", "e" * 62 + "f")
    assert not set(names) & {r.inputs["name"] for r in run_aws(other).of_type(RULE)}
