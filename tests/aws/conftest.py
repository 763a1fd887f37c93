"""Fixtures for the AWS platform tests: the example stack, run once per module."""

from __future__ import annotations

from typing import Any

import pytest

from tests.aws.helpers import AwsRun, prod_config, run_aws


@pytest.fixture(scope="session")
def prod() -> AwsRun:
    """The customer-prod example stack as `pulumi up` would run it."""
    return run_aws(prod_config())


@pytest.fixture
def config() -> dict[str, Any]:
    """The customer-prod stack's config map, free to mutate."""
    return prod_config()
