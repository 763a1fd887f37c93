"""Fixtures for the Azure platform tests: the example stack, run once per module."""

from __future__ import annotations

from typing import Any

import pytest

from tests.azure.helpers import AzureRun, azure_config, run_azure


@pytest.fixture(scope="session")
def prod() -> AzureRun:
    """The azure-prod example stack as `pulumi up` would run it."""
    return run_azure(azure_config())


@pytest.fixture
def config() -> dict[str, Any]:
    return azure_config()
