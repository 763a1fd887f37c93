"""The end-to-end test's prerequisites: the server's and the tools' virtualenvs (built by
tests/e2e/install_venvs.sh, which `make e2e` runs) and a machine it can run on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.chart.support import in_ci
from tests.e2e.sandbox import usable

SERVER_SOURCE = Path(__file__).resolve().parents[2].parent / "shared/reference/model-engine-server"
SERVER_SOURCE_ENV = "MODEL_ENGINE_SERVER_SOURCE"


def need(reason: str | None) -> None:
    """Skip for `reason`; with CI=true the e2e test must run, so fail instead."""
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"the end-to-end test must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server_source() -> Path:
    path = Path(os.environ.get(SERVER_SOURCE_ENV) or SERVER_SOURCE)
    need(None if (path / "model_engine_server").is_dir() else
         f"no server source at {path} (set {SERVER_SOURCE_ENV} to the server's model-engine/ "
         "folder at the pinned commit)")
    return path


@pytest.fixture(scope="session")
def venvs() -> tuple[Path, Path]:
    server, tools = os.environ.get("E2E_SERVER_VENV"), os.environ.get("E2E_TOOLS_VENV")
    need(None if server and tools else
         "E2E_SERVER_VENV/E2E_TOOLS_VENV unset: run `make e2e` (it builds them)")
    need(usable())
    return Path(server or ""), Path(tools or "")
