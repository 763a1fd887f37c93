"""Fixtures for the GCP platform tests: the example stack, run once per module."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gcp.helpers import GcpRun, gcp_config, run_gcp


@pytest.fixture(scope="session")
def prod() -> GcpRun:
    """The gcp-prod example stack as `pulumi up` would run it."""
    return run_gcp(gcp_config())


@pytest.fixture
def config() -> dict[str, Any]:
    """The gcp-prod stack's config map, free to mutate."""
    return gcp_config()
