"""The e2e run leaves nothing behind when it is stopped from outside (a CI timeout's SIGTERM):
every process of a sandbox runs in its own session, so only the test's teardown stops it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import need
from tests.e2e.sandbox import usable

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent(
    """
    import os, time
    from pathlib import Path
    from tests.e2e.sandbox import Sandbox

    def test_hold(tmp_path):
        box = Sandbox(tmp_path / "box", [])
        try:
            sleeper = box.start("sleeper", ["sleep", "300"], env={"PATH": "/usr/bin:/bin"})
            Path(os.environ["E2E_PIDS"]).write_text(f"{sleeper.pid} {box.holder.pid}")
            time.sleep(300)
        finally:
            box.close()
    """
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(FileNotFoundError):  # a zombie has exited
        if Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z"):
            return False
    return True


def test_sigterm_stops_every_process_of_the_run(tmp_path: Path) -> None:
    need(usable())
    test = tmp_path / "test_hold.py"
    test.write_text(HOLDER)
    pids = tmp_path / "pids"
    inner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.e2e.conftest",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(test),
        ],
        cwd=REPO,
        env={**os.environ, "E2E_PIDS": str(pids), "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not pids.exists() or not pids.read_text():
        assert inner.poll() is None, inner.communicate()[0].decode()
        assert time.monotonic() < deadline, "the inner run never started its sandbox"
        time.sleep(0.2)
    started = [int(p) for p in pids.read_text().split()]
    assert all(alive(p) for p in started)
    inner.send_signal(signal.SIGTERM)
    output = inner.communicate(timeout=60)[0].decode()
    left = [p for p in started if alive(p)]
    for pid in left:  # the run left them: stop them here, then fail
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    assert not left, f"processes left running after SIGTERM: {left}\n{output[-2000:]}"
