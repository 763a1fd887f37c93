"""components/naming.py: reading an in-cluster Service address."""

from __future__ import annotations

import pytest

from components.naming import service_namespace


@pytest.mark.parametrize(
    ("address", "namespace"),
    [
        ("http://seaweedfs-all-in-one.data.svc:8333", "data"),
        ("http://prometheus-server.metrics.svc.cluster.local:80", "metrics"),
        ("http://prometheus.monitoring.svc.corp.example:9090", "monitoring"),
        ("valkey.redis.svc:6379", "redis"),
        ("https://s3.us-west-2.amazonaws.com", None),
        ("http://minio.example.com:9000", None),
        ("http://localhost:9000", None),
    ],
)
def test_service_namespace(address: str, namespace: str | None) -> None:
    assert service_namespace(address) == namespace
