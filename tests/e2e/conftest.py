"""The end-to-end test's prerequisites, built by tests/e2e/install_venvs.sh (`make e2e` runs
it): the server's virtualenv, its byte-compiled source (the image's files), the tools' venv,
and a machine it can run on (root)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.sandbox import usable

BUILT_BY = "run `make e2e` (tests/e2e/run.sh builds them)"


@dataclass(frozen=True)
class Prerequisites:
    server_venv: Path
    tools_venv: Path
    image: Path  # the server's source at the pinned commit, byte-compiled


def need(reason: str | None) -> None:
    """Skip for `reason`; with E2E_REQUIRED=true (.ci/run) the e2e test must run: fail."""
    if reason is None:
        return
    if os.environ.get("E2E_REQUIRED") == "true":
        pytest.fail(f"the end-to-end test must run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def prerequisites() -> Prerequisites:
    names = ("E2E_SERVER_VENV", "E2E_TOOLS_VENV", "E2E_SERVER_IMAGE")
    unset = [n for n in names if not os.environ.get(n)]
    need(f"{', '.join(unset)} unset: {BUILT_BY}" if unset else None)
    need(usable())
    server, tools, image = (Path(os.environ[n]) for n in names)
    need(None if (image / "model_engine_server").is_dir() else f"no server source at {image}")
    return Prerequisites(server, tools, image)


@pytest.fixture(scope="session", autouse=True)
def stop_servers_on_sigterm() -> Iterator[None]:
    """A CI timeout or `kill` sends SIGTERM, which would end pytest without its teardowns and
    leave the servers running (each is in its own session, so nothing else stops them): turn
    it into the interrupt pytest tears down on, which stops every process by its PID."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    yield
    signal.signal(signal.SIGTERM, previous)
