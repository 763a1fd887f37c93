"""Guards on the Celery broker: its type for the cloud, the SQS templates, and what a Redis
broker needs (a result backend of its own, no celery autoscaler)."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator

from components.contract import is_deferred
from components.model_engine import chart_facts as cf
from components.model_engine.guards import Context, Finding, error, guard, warning


@guard
def broker_type(ctx: Context) -> Iterator[Finding]:
    kind = ctx.get("celeryBrokerType")
    cloud = ctx.infra.get("cloud_provider")
    if kind == "elasticache":
        yield error(
            ctx,
            "celeryBrokerType",
            "`elasticache` is not a broker type the server knows: async forwarders raise "
            "with it; use `redis` for a Redis broker",
        )
        return
    if kind not in cf.BROKER_TYPES:
        yield error(ctx, "celeryBrokerType", f"{kind!r} is not one of {', '.join(cf.BROKER_TYPES)}")
        return
    allowed = cf.BROKERS_FOR_CLOUD.get(str(cloud), ())
    if kind not in allowed:
        yield error(
            ctx,
            "celeryBrokerType",
            f"{kind!r} does not work with cloud_provider {cloud!r}; use {' or '.join(allowed)}",
        )
    if kind == "redis" and ctx.get("celery_broker_type_redis") is not True:
        yield error(
            ctx,
            "celery_broker_type_redis",
            "must be true with a Redis broker: the endpoint builder otherwise listens on SQS",
        )
    if cloud not in cf.CLOUD_PROVIDERS:
        yield error(
            ctx,
            "config.values.infra.cloud_provider",
            f"{cloud!r} is not one of {', '.join(cf.CLOUD_PROVIDERS)}",
        )


@guard
def sqs_templates(ctx: Context) -> Iterator[Finding]:
    if ctx.get("celeryBrokerType") != "sqs":
        return
    for key, needed in (
        ("sqs_queue_policy_template", {"queue_name"}),
        ("sqs_queue_tag_template", set()),
    ):
        path = f"config.values.launch.{key}"
        template = ctx.launch.get(key)
        if not isinstance(template, str) or is_deferred(template):
            continue
        try:
            names = {
                m.group("named") or m.group("braced")
                for m in string.Template.pattern.finditer(template)
                if m.group("named") or m.group("braced")
            }
            sample = string.Template(template).safe_substitute(
                queue_name="q",
                team="t",
                endpoint_id="e",
                endpoint_name="n",
                endpoint_created_by="u",
            )
            json.loads(sample)
        except (ValueError, json.JSONDecodeError) as e:
            yield error(ctx, path, f"is not a JSON string.Template: {e}")
            continue
        missing = needed - names
        if missing:
            yield error(ctx, path, f"must use ${{{', '.join(sorted(missing))}}}")
        unknown = names - {
            "queue_name",
            "team",
            "endpoint_id",
            "endpoint_name",
            "endpoint_created_by",
        }
        if unknown:
            yield error(ctx, path, f"uses unknown placeholders {sorted(unknown)}")


@guard
def redis_broker_results(ctx: Context) -> Iterator[Finding]:
    if ctx.get("celeryBrokerType") != "redis":
        return
    backend = ctx.get("celeryResultBackend")
    if not backend:
        yield error(
            ctx,
            "celeryResultBackend",
            "required with a Redis broker: the server's default result backend off AWS and "
            "Azure is S3, which raises 'Missing boto3 session' on the first task, so endpoint "
            "creation fails",
        )
    elif isinstance(backend, str) and not is_deferred(backend):
        match = re.fullmatch(r"rediss?://([^/@]+)/(\d+)(\?.*)?", backend)
        if not match:
            yield error(
                ctx,
                "celeryResultBackend",
                f"{backend!r} must be redis://host:port/DB (no credentials: it is plaintext in "
                "the release)",
            )
        elif int(match.group(2)) in (*cf.CELERY_BROKER_DB_INDEXES, cf.CACHE_DB_INDEX):
            yield error(
                ctx,
                "celeryResultBackend",
                f"DB {match.group(2)} is used by the broker (0-3) or the cache "
                f"({cf.CACHE_DB_INDEX}); give results a DB of their own",
            )
    if ctx.get("celery_autoscaler.enabled") is True:
        yield error(
            ctx,
            "celery_autoscaler.enabled",
            "must be false with a Redis broker: the autoscaler reads queue depth only from SQS "
            "and Service Bus and would loop on errors",
        )
    elif ctx.settings.autoscaling.celery.enabled:
        yield warning(
            ctx,
            "celery_autoscaler.enabled",
            "off: the celery autoscaler works only with SQS and Service Bus at the pinned "
            "server, so async endpoints stay at min_workers on a Redis broker",
        )
