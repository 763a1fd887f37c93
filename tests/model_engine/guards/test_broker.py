"""The guards on the Celery broker (components/model_engine/guards/broker.py): each
rejects the pitfall it was written for."""

from __future__ import annotations

from collections.abc import Callable

from tests.model_engine.guards.cases import INFRA, LAUNCH, Case, both, drop, on_aws, put

CASES: dict[str, list[Case]] = {
    "broker_type": [
        Case(
            "elasticache",
            put("celeryBrokerType", "elasticache"),
            "celeryBrokerType",
            "forwarders raise",
        ),
        Case(
            "wrong-cloud",
            put("celeryBrokerType", "sqs"),
            "celeryBrokerType",
            "does not work with cloud_provider 'onprem'",
        ),
        Case(
            "redis-flag",
            drop("celery_broker_type_redis"),
            "celery_broker_type_redis",
            "listens on SQS",
        ),
        Case(
            "unknown-cloud",
            put(f"{INFRA}.cloud_provider", "openstack"),
            f"{INFRA}.cloud_provider",
            "'openstack' is not one of",
        ),
    ],
    "sqs_templates": [
        Case(
            "policy-without-queue-name",
            both(
                on_aws,
                put(
                    f"{LAUNCH}.sqs_queue_policy_template",
                    '{"Resource": "arn:aws:sqs:us-east-1:111122223333:queue"}',
                ),
            ),
            f"{LAUNCH}.sqs_queue_policy_template",
            "${queue_name}",
        ),
        Case(
            "tags-not-json",
            both(on_aws, put(f"{LAUNCH}.sqs_queue_tag_template", '{"id": "${endpoint_id}"')),
            f"{LAUNCH}.sqs_queue_tag_template",
            "not a JSON string.Template",
        ),
        Case(
            "unknown-placeholder",
            both(on_aws, put(f"{LAUNCH}.sqs_queue_tag_template", '{"t": "${owner}"}')),
            f"{LAUNCH}.sqs_queue_tag_template",
            "unknown placeholders ['owner']",
        ),
    ],
    "redis_broker_results": [
        Case("no-result-backend", drop("celeryResultBackend"), "celeryResultBackend", "boto3"),
        Case(
            "result-backend-on-a-broker-db",
            put("celeryResultBackend", "redis://redis.data.acme.internal:6379/3"),
            "celeryResultBackend",
            "used by the broker",
        ),
        Case(
            "celery-autoscaler-on-redis",
            put("celery_autoscaler.enabled", True),
            "celery_autoscaler.enabled",
            "must be false",
        ),
    ],
}


def test_guard_rejects(rejects: Callable[[str, Case], None], guard: str, case: Case) -> None:
    rejects(guard, case)
