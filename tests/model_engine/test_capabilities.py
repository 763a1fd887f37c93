"""Each capability row asserted on its own, from the chart values that decide it; the README
tables (tests/test_server_values.py) only check that the table is carried."""

from __future__ import annotations

import fnmatch
from typing import Any

from components.model_engine import capabilities
from components.model_engine import chart_facts as cf
from components.model_engine.capabilities import Capability
from tests.server_source import server_file


def _values(
    cloud: str,
    registry: str,
    *,
    broker: str = "sqs",
    region: str = "us-east-1",
    cacher: int = 1,
    **top: Any,
) -> dict[str, Any]:
    """The few chart values the rows read, for a stack with a GPU pool and Prometheus."""
    return {
        "config": {
            "values": {
                "infra": {
                    "cloud_provider": cloud,
                    "docker_registry_type": registry,
                    "docker_repo_prefix": "registry.example/me",
                    "default_region": region,
                    "prometheus_server_address": "http://prometheus:9090",
                },
                "launch": {},
            }
        },
        "celeryBrokerType": broker,
        "replicaCount": {"cacher": cacher},
        "recommendedHardware": {"byGpuMemoryGb": [{"gpu_memory_le": 80}]},
        **top,
    }


def _rows(values: dict[str, Any], **kwargs: Any) -> dict[str, Capability]:
    rows = capabilities.capabilities(values, **kwargs)
    assert rows
    return {r.feature: r for r in rows}


FILES_API = "Files API (uploads; fine-tuning from file ids)"
DOWNLOAD_URLS = "Download URLs (Files API, model download)"
CACHER = "Cacher (endpoint state cache, image pre-pull)"
STORAGE = "Batch jobs and fine-tuning on object storage"
IMAGE_BUILDS = "Image builds (custom bundles, kaniko)"
SCALE_FROM_ZERO = "Scale from zero (KEDA)"


def test_azure_has_no_files_api_and_a_cacher_whose_token_expires() -> None:
    rows = _rows(
        _values("azure", "acr", broker="servicebus", azure={"identity": "x"}),
        servicebus_sku="Premium",
    )
    assert rows[FILES_API].works == "no"
    assert "NotImplementedError" in rows[FILES_API].why
    assert rows[CACHER].works == "partly"
    assert "never refreshed" in rows[CACHER].why
    # Only Azure's storage gateway lacks the Files API.
    assert FILES_API not in _rows(_values("aws", "ecr", aws={"profile": "x"}))


def test_gcp_download_urls_and_job_storage_are_limited() -> None:
    rows = _rows(_values("gcp", "gar", broker="redis"))
    assert rows[DOWNLOAD_URLS].works == "no"
    assert "cannot sign" in rows[DOWNLOAD_URLS].why
    assert rows[STORAGE].works == "partly"
    assert "objectCreator" in rows[STORAGE].operator
    # GAR's newest-tag lookup tolerates an empty repository.
    assert rows[CACHER].works == "yes"
    assert DOWNLOAD_URLS not in _rows(_values("aws", "ecr", aws={"profile": "x"}))


def test_aws_builds_images_with_kaniko_and_names_the_region_caveat() -> None:
    west = _rows(_values("aws", "ecr", region="us-west-2", aws={"profile": "x"}))
    assert west[IMAGE_BUILDS].works == "partly"
    assert "hard-coded" not in west[IMAGE_BUILDS].why
    east = _rows(_values("aws", "ecr", region="eu-west-1", aws={"profile": "x"}))
    assert "hard-coded us-west-2, not eu-west-1" in east[IMAGE_BUILDS].why
    # Job pods write with the inference role, which writes only under its prefixes.
    assert east[STORAGE].works == "partly"
    assert "AccessDenied" in east[STORAGE].why
    assert _rows(_values("azure", "acr"))[IMAGE_BUILDS].works == "no"


def test_scale_from_zero_needs_prometheus_and_a_readable_redis_password() -> None:
    values = _values("onprem", "onprem", broker="redis")
    assert _rows(values)[SCALE_FROM_ZERO].works == "yes"
    redis: dict[str, Any] = {"enableAuth": True}
    values["redis"] = redis
    assert _rows(values)[SCALE_FROM_ZERO].works == "no"
    redis["kedaSecretName"] = "keda-redis"
    assert _rows(values)[SCALE_FROM_ZERO].works == "yes"
    del values["config"]["values"]["infra"]["prometheus_server_address"]
    assert _rows(values)[SCALE_FROM_ZERO].works == "no"


def test_s3_compatible_stores_sign_urls_only_where_clients_reach_them() -> None:
    inside = _values(
        "onprem", "onprem", s3EndpointUrl="http://seaweedfs.store.svc.cluster.local:8333"
    )
    assert _rows(inside)[DOWNLOAD_URLS].works == "no"
    outside = _values("onprem", "onprem", s3EndpointUrl="https://s3.example.com")
    assert _rows(outside)[DOWNLOAD_URLS].works == "partly"
    keys = _values("onprem", "onprem", extraPodEnvFrom=[{"secretRef": {"name": "s3"}}])
    assert _rows(keys)[STORAGE].works == "partly"


ASYNC = "Async endpoints"


def test_working_async_rows_name_the_record_cache_and_the_wait() -> None:
    # Wherever async tasks reach a queue (SQS, Service Bus of either tier), the first seconds
    # after READY still race the gateway's per-process record cache: the row says so, and
    # what becomes of such a task on that broker.
    for rows, fate in (
        (_rows(_values("aws", "ecr", aws={"profile": "x"})), "the request fails"),
        (
            _rows(_values("azure", "acr", broker="servicebus"), servicebus_sku="Premium"),
            "the endpoint never sees it",
        ),
        (
            _rows(_values("azure", "acr", broker="servicebus"), servicebus_sku="Standard"),
            "the endpoint never sees it",
        ),
    ):
        row = rows[ASYNC]
        assert row.works in ("yes", "partly"), row
        assert "caches endpoint records for 15 s" in row.why, row
        assert "queue UNKNOWN" in row.why and fate in row.why, row
        assert "wait 15 s after READY" in row.operator, row
        # Sending a task again would run it twice: a routed task is PENDING too until a
        # worker takes it.
        assert "PENDING" not in row.operator, row
    # Where async does not work at all the caveat would only distract.
    assert "UNKNOWN" not in _rows(_values("gcp", "gar", broker="redis"))[ASYNC].why


def test_the_sqs_row_rests_on_the_roles_queue_grant() -> None:
    """The SQS row says the request fails because the model-engine role may not create queue
    UNKNOWN: its SQS grant names only the endpoints' queues and the builder's."""
    from components.aws.identity import queue_arns

    arns = queue_arns("aws", "us-east-1", "123456789012")
    assert all(
        not fnmatch.fnmatchcase("arn:aws:sqs:us-east-1:123456789012:UNKNOWN", a) for a in arns
    )


def test_record_cache_ttl_is_the_servers() -> None:
    # The row's 15 s and the e2e test's wait are this fact; the server's source holds it.
    repository = server_file(cf.ENDPOINT_RECORD_CACHE_SOURCE)
    assert f"CACHE_TTL_SECONDS = {cf.ENDPOINT_RECORD_CACHE_TTL_S}" in repository
    assert "cache: TTLCache = TTLCache(maxsize=CACHE_SIZE, ttl=CACHE_TTL_SECONDS)" in repository
    # The record says UNKNOWN until the build writes the queue; a task goes where it says.
    service = server_file("infra/services/live_model_endpoint_service.py")
    assert 'destination="UNKNOWN",' in service
    use_case = server_file("domain/use_cases/async_inference_use_cases.py")
    assert "topic=model_endpoint.record.destination," in use_case
