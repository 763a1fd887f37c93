"""The pinned model-engine server source, for tests that hold a claim to the code it cites.

Found through MODEL_ENGINE_SERVER_SOURCE (a checkout of scaleapi/llm-engine's model-engine
folder at the pinned commit; `.ci/run` and tests/e2e/run.sh point it at the reference copy
beside the repository). Without it the tests skip and say so; with CI=true they fail instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import ROOT

SERVER_ENV = "MODEL_ENGINE_SERVER_SOURCE"
# Where CI keeps the reference copy: beside the clone.
BESIDE = ROOT.parent / "shared" / "reference" / "model-engine-server"


def server_root() -> Path:
    named = os.environ.get(SERVER_ENV, "").strip()
    root = Path(named) if named else BESIDE
    if (root / "model_engine_server").is_dir():
        return root
    reason = f"no server source at {root} (set {SERVER_ENV} to the pinned model-engine folder)"
    if named or os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def server_file(relative: str) -> str:
    """The text of a file under model_engine_server/, e.g. "core/docker/ecr.py"."""
    return (server_root() / "model_engine_server" / relative).read_text()
