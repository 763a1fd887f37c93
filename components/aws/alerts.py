"""Alerts on AWS: the stack's SNS topic (and its e-mail subscriptions), and the CloudWatch
alarms each data component creates beside the resource it watches.

The topic is encrypted with its own KMS key, because CloudWatch may only publish to an
encrypted topic whose key policy lets cloudwatch.amazonaws.com use the key, and the platform
data key (which encrypts the database) should not grant that.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.common import child, lift, policy_document
from components.naming import unique_trim
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
            {
                # EventBridge rules (GPU launch failures) publish to the topic; AWS's key
                # policy for encrypted SNS targets names no condition, and the topic policy
                # admits the stack's rules only.
                "Sid": "EventBridgePublishes",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
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
    # The topic's policy (None for a topic the stack names: its policy is the owner's).
    # Publishers that check their permission when they are created (RDS event
    # subscriptions) depend on it.
    policy: aws.sns.TopicPolicy | None = None

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
            self.policy = aws.sns.TopicPolicy(
                f"{name}-topic-policy",
                arn=topic.arn,
                policy=pulumi.Output.all(topic.arn, args.partition, args.account).apply(
                    lambda a: topic_policy(a[0], a[1], a[2], args.base)
                ),
                opts=child(self),
            )
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
    # The topic's policy, when this program sets it: RDS event subscriptions wait for it.
    policy: pulumi.Resource | None = None
    # Whether ElastiCache may publish its events there: not to the program's topic, which
    # is encrypted; a topic the stack names must be unencrypted and admit ElastiCache
    # with aws:SourceOwner (README, Alerts).
    takes_cache_events: bool = True
    # The stack's base name: its EventBridge rules are named event_rule_name(base, ...),
    # which the topic's policy admits.
    rule_prefix: str = ""


# EventBridge: ElastiCache sends these straight to EventBridge (EventBridge events
# reference, "Amazon ElastiCache events"), which can publish to the encrypted topic that
# ElastiCache itself cannot.
CACHE_BACKUP_FAILURES = (
    "Snapshot Creation Failed",
    "Snapshot Export Failed",
    "Snapshot Copy Failed",
)


def cache_backup_failure_pattern(replication_group_id: str) -> str:
    # The events name the group or one of its nodes (`<group>-001`, `-002`, ...); a bare
    # prefix would also match another stack's group whose name starts with this one.
    return json.dumps(
        {
            "source": ["aws.elasticache"],
            "detail-type": list(CACHE_BACKUP_FAILURES),
            "detail": {
                "SourceIdentifier": [replication_group_id, {"prefix": f"{replication_group_id}-00"}]
            },
        }
    )


# EventBridge rule names: at most 64 characters. Every rule of the stack is
# `<prefix>-<suffix>`, the prefix cut (with a hash, so that two long environment names stay
# apart) so that the longest suffix fits; the topic's policy admits `rule/<prefix>-*`.
EVENT_RULE_NAME_LIMIT = 64
EVENT_RULE_SUFFIXES = ("gpu-launch-failures", "cache-backup-failures")
EVENT_RULE_PREFIX_LIMIT = EVENT_RULE_NAME_LIMIT - 1 - max(map(len, EVENT_RULE_SUFFIXES))


def event_rule_prefix(base: str) -> str:
    return unique_trim(base, EVENT_RULE_PREFIX_LIMIT)


def event_rule_name(base: str, suffix: str) -> str:
    assert suffix in EVENT_RULE_SUFFIXES, suffix
    return f"{event_rule_prefix(base)}-{suffix}"


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


# The builder's Celery queue on SQS when the chart's serviceBuilderQueue is unset
# (templates/endpoint_builder_deployment.yaml `--queues=model-engine-service-builder`).
BUILDER_QUEUE = "model-engine-service-builder"
# Async endpoints' queues, created by the server at run time (queue_endpoint_resource_delegate
# endpoint_id_to_queue_name): `launch-endpoint-id-<id>`, without a dead-letter queue.
ENDPOINT_QUEUE_PREFIX = "launch-endpoint-id-"
# CloudWatch Metrics Insights: the oldest message of every SQS queue of the region. Insights
# has no prefix filter, so the endpoint queues (unknown before they exist) are watched with
# every other queue of the account's region.
QUEUES_OLDEST_QUERY = 'SELECT MAX(ApproximateAgeOfOldestMessage) FROM SCHEMA("AWS/SQS", QueueName)'
# EventBridge: an Auto Scaling group could not launch an instance (no capacity, quota,
# a bad launch template). Source and detail type: "Amazon EC2 Auto Scaling events".
LAUNCH_UNSUCCESSFUL = "EC2 Instance Launch Unsuccessful"


def launch_failure_pattern(group_names: Sequence[str]) -> str:
    return json.dumps(
        {
            "source": ["aws.autoscaling"],
            "detail-type": [LAUNCH_UNSUCCESSFUL],
            "detail": {"AutoScalingGroupName": sorted(group_names)},
        }
    )


# Who publishes to the stack's topic (SNS Developer Guide, "Amazon SNS access policy
# examples" and each service's guide): CloudWatch alarms, RDS event subscriptions, and the
# stack's EventBridge rules. ElastiCache is not among them: it cannot publish to an encrypted
# topic (ElastiCache User Guide, "Event Notifications and Amazon SNS"), see CacheArgs.
CLOUDWATCH = "cloudwatch.amazonaws.com"
RDS_EVENTS = "events.rds.amazonaws.com"
EVENTBRIDGE = "events.amazonaws.com"


def topic_policy(topic_arn: str, partition: str, account: str, base: str) -> str:
    """The topic's policy, which replaces SNS's default: the account manages it; CloudWatch
    alarms and RDS events of this account publish; EventBridge publishes for the stack's
    rules only (their names start with the stack's base name)."""

    def publisher(sid: str, service: str, source_arn: str | None) -> dict[str, object]:
        condition: dict[str, object] = {"StringEquals": {"aws:SourceAccount": account}}
        if source_arn:
            condition["ArnLike"] = {"aws:SourceArn": source_arn}
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": condition,
        }

    return policy_document(
        [
            {
                "Sid": "AccountOwns",
                "Effect": "Allow",
                "Principal": {"AWS": account},
                "Action": ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes"],
                "Resource": topic_arn,
            },
            publisher(
                "CloudWatchAlarmsPublish",
                CLOUDWATCH,
                f"arn:{partition}:cloudwatch:*:{account}:alarm:*",
            ),
            publisher("RdsEventsPublish", RDS_EVENTS, None),
            publisher(
                "EventBridgeRulesPublish",
                EVENTBRIDGE,
                f"arn:{partition}:events:*:{account}:rule/{event_rule_prefix(base)}-*",
            ),
        ]
    )


@dataclass
class PlatformAlarmsArgs:
    # e.g. model-engine-customer-prod: alarm and rule names start with it.
    base: str
    target: AlarmTarget
    # The GPU node groups' Auto Scaling group names.
    gpu_groups: Mapping[str, pulumi.Input[str]]
    builder_queue: str = BUILDER_QUEUE


class PlatformAlarms(pulumi.ComponentResource):
    """Alarms on what no data component owns: the broker's queues (the server makes them)
    and the GPU node groups that cannot launch a node."""

    def __init__(
        self, name: str, args: PlatformAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:aws:PlatformAlarms", name, None, opts)
        t = args.target.thresholds
        topic = args.target.topic_arn
        create_alarms(
            self,
            name,
            f"{args.base}-builder-queue",
            [
                Alarm(
                    "builder-queue-age",
                    "AWS/SQS",
                    "ApproximateAgeOfOldestMessage",
                    {"QueueName": args.builder_queue},
                    "GreaterThanThreshold",
                    t.queue_age_seconds,
                    "Maximum",
                    f"The endpoint builder's oldest task waits more than {t.queue_age_seconds}s",
                )
            ],
            args.target,
        )
        aws.cloudwatch.MetricAlarm(
            f"{name}-alarm-queues-age",
            name=f"{args.base}-sqs-queues-age"[:ALARM_NAME_LIMIT],
            alarm_description=(
                f"An SQS queue of this region (async endpoints' {ENDPOINT_QUEUE_PREFIX}* among "
                f"them) has a message older than {t.queue_age_seconds}s"
            ),
            metric_queries=[
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="oldest",
                    expression=QUEUES_OLDEST_QUERY,
                    period=PERIOD_SECONDS,
                    return_data=True,
                )
            ],
            evaluation_periods=evaluation_periods(t),
            comparison_operator="GreaterThanThreshold",
            threshold=t.queue_age_seconds,
            treat_missing_data="notBreaching",
            alarm_actions=[topic],
            ok_actions=[topic],
            opts=child(self),
        )
        if args.gpu_groups:
            rule = aws.cloudwatch.EventRule(
                f"{name}-gpu-launch-failures",
                name=event_rule_name(args.base, "gpu-launch-failures"),
                description="A GPU node group could not launch a node (capacity, quota)",
                event_pattern=pulumi.Output.all(*args.gpu_groups.values()).apply(
                    lambda names: launch_failure_pattern([str(n) for n in names])
                ),
                opts=child(self),
            )
            aws.cloudwatch.EventTarget(
                f"{name}-gpu-launch-failures",
                rule=rule.name,
                arn=topic,
                opts=child(self),
            )
        self.register_outputs({})
