"""Alarms on what the server creates or the cloud fails at, on the stack's topic: the
builder's queue and every queue of the region (async endpoint queues exist only at run time),
and GPU node groups that cannot launch a node."""

from __future__ import annotations

import json

import pytest

from components.aws import alarms
from tests.aws.helpers import AwsRun, prod_config, run_aws
from tests.helpers import set_path

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
POLICY = "aws:sns/topicPolicy:TopicPolicy"
TOPIC = "aws:sns/topic:Topic"
NODES = "aws:eks/nodeGroup:NodeGroup"


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
    assert query["expression"] == alarms.QUEUES_OLDEST_QUERY
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
    # The topic admits EventBridge for this rule only, and its key lets EventBridge use it.
    policy = json.loads(prod.one(POLICY).inputs["policy"])
    events = [s for s in policy["Statement"] if s["Principal"].get("Service")]
    assert events[0]["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        prod.out(RULE, "platform-platform-alarms-gpu-launch-failures", "arn")
    ]
    key = json.loads(prod.one("aws:kms/key:Key", "platform-alerts-key").inputs["policy"])
    assert any(s["Principal"].get("Service") == "events.amazonaws.com" for s in key["Statement"])


def test_an_existing_topic_keeps_its_own_policy() -> None:
    config = prod_config()
    set_path(config, "operations.alerts.snsTopicArn", "arn:aws:sns:us-west-2:123456789012:oncall")
    run = run_aws(config)
    assert run.of_type(POLICY) == []
    target = run.one(TARGET, "platform-platform-alarms-gpu-launch-failures").inputs
    assert target["arn"] == "arn:aws:sns:us-west-2:123456789012:oncall"
