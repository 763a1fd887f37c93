"""Alerts on AWS: the stack's SNS topic (and its e-mail subscriptions), and the CloudWatch
alarms each data component creates beside the resource it watches.

The topic is encrypted with its own KMS key, because CloudWatch may only publish to an
encrypted topic whose key policy lets cloudwatch.amazonaws.com use the key, and the platform
data key (which encrypts the database) should not grant that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.common import child, lift, policy_document
from components.operations import Alerts, Thresholds

# Alarm data points are 5-minute aggregates: RDS and ElastiCache publish every minute, but a
# 5-minute period keeps one noisy minute from paging anyone.
PERIOD_SECONDS = 300
# CloudWatch alarm names: up to 255 characters.
ALARM_NAME_LIMIT = 255


def evaluation_periods(thresholds: Thresholds) -> int:
    return max(1, -(-thresholds.evaluation_minutes * 60 // PERIOD_SECONDS))


def topic_key_policy(partition: str, account: str) -> str:
    """The account administers the key through IAM; CloudWatch (from this account only) may
    encrypt alarm notifications with it (SNS Developer Guide, "Configure AWS KMS permissions
    for AWS services")."""
    return policy_document(
        [
            {
                "Sid": "AccountAdministersAndUsesThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchAndEventSourcesPublish",
                "Effect": "Allow",
                "Principal": {
                    "Service": [
                        "cloudwatch.amazonaws.com",
                        "events.rds.amazonaws.com",
                        "elasticache.amazonaws.com",
                    ]
                },
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
        ]
    )


@dataclass
class AlertTopicArgs:
    # e.g. model-engine-customer-prod
    base: str
    alerts: Alerts
    partition: pulumi.Input[str]
    account: pulumi.Input[str]


class AlertTopic(pulumi.ComponentResource):
    """The stack's alert target: an existing topic the stack names, or a new encrypted topic
    with the stack's e-mail subscriptions."""

    arn: pulumi.Output[str]
    # The topic's own KMS key; None for a topic the stack names (its key is the owner's).
    key_arn: pulumi.Output[str] | None = None

    def __init__(self, name: str, args: AlertTopicArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:aws:AlertTopic", name, None, opts)
        if args.alerts.sns_topic_arn:
            self.arn = pulumi.Output.from_input(args.alerts.sns_topic_arn)
        else:
            key = aws.kms.Key(
                f"{name}-key",
                description=f"{args.base}: alert notifications",
                enable_key_rotation=True,
                policy=lift(topic_key_policy, args.partition, args.account),
                opts=child(self),
            )
            topic = aws.sns.Topic(
                f"{name}-topic",
                name=f"{args.base}-alerts",
                kms_master_key_id=key.arn,
                opts=child(self),
            )
            self.arn = topic.arn
            self.key_arn = key.arn
        for i, address in enumerate(args.alerts.emails):
            # Each address confirms the subscription from the e-mail AWS sends it.
            aws.sns.TopicSubscription(
                f"{name}-email-{i}",
                topic=self.arn,
                protocol="email",
                endpoint=address,
                opts=child(self),
            )
        self.register_outputs({"arn": self.arn})


@dataclass(frozen=True)
class Alarm:
    """One CloudWatch alarm on one metric of one resource."""

    suffix: str
    namespace: str
    metric: str
    dimensions: Mapping[str, pulumi.Input[str]]
    comparison: str
    threshold: float
    statistic: str
    description: str


@dataclass
class AlarmTarget:
    topic_arn: pulumi.Input[str]
    thresholds: Thresholds


def create_alarms(
    parent: pulumi.Resource,
    name: str,
    alarm_prefix: str,
    alarms: Sequence[Alarm],
    target: AlarmTarget,
    depends_on: Sequence[pulumi.Resource] = (),
) -> list[aws.cloudwatch.MetricAlarm]:
    """The alarms of one component, each notifying the stack's topic when it fires and when
    it clears. Missing data is not breaching: a stopped engine is reported by its events."""
    periods = evaluation_periods(target.thresholds)
    created = []
    for alarm in alarms:
        alarm_name = f"{alarm_prefix}-{alarm.suffix}"[:ALARM_NAME_LIMIT]
        created.append(
            aws.cloudwatch.MetricAlarm(
                f"{name}-alarm-{alarm.suffix}",
                name=alarm_name,
                alarm_description=alarm.description,
                namespace=alarm.namespace,
                metric_name=alarm.metric,
                dimensions=dict(alarm.dimensions),
                statistic=alarm.statistic,
                period=PERIOD_SECONDS,
                evaluation_periods=periods,
                comparison_operator=alarm.comparison,
                threshold=alarm.threshold,
                treat_missing_data="notBreaching",
                alarm_actions=[target.topic_arn],
                ok_actions=[target.topic_arn],
                opts=child(parent, depends_on=list(depends_on)),
            )
        )
    return created
