"""A private loopback and /etc/hosts for the server and its backing services.

Every process of a run starts in one mount and network namespace (held by an `unshare`
process): its own 127.0.0.1, so the derived ports (5432, 6379, ...) never collide with the
machine's, and its own /etc/hosts (a bind mount) that points the derived host names at
127.0.0.1, so no value is edited and every client (psycopg, redis-py, botocore) resolves them
the ordinary way. The test's own clients join the network namespace from one worker thread.
Needs root (CI runs as root). Every process is started and stopped by PID, in its own
process group; nothing is left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
STOP_GRACE_S = 10.0


def usable() -> str | None:
    """Why a sandbox cannot be made here, or None."""
    if os.geteuid() != 0:
        return "the end-to-end test needs root (private mount and network namespaces)"
    for tool in ("unshare", "nsenter", "ip"):
        if not any((Path(d) / tool).exists() for d in os.get_exec_path()):
            return f"the end-to-end test needs `{tool}` (util-linux, iproute2)"
    return None


class Sandbox:
    def __init__(self, root: Path, host_names: Iterable[str]):
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        hosts = root / "hosts"
        names = " ".join(sorted(set(host_names)))
        hosts.write_text(f"127.0.0.1 localhost {names}\n::1 localhost\n")
        # /var/run/secrets (what the kubelet projects into a pod: the IRSA token) is a folder
        # of the run, on a tmpfs over /run that only the sandbox sees.
        self.pod_secrets = root / "pod-secrets"
        self.pod_secrets.mkdir()
        script = (
            f"ip link set lo up && mount --bind {hosts} /etc/hosts && "
            f"mount -t tmpfs e2e-run /run && mkdir /run/secrets && "
            f"mount --bind {self.pod_secrets} /run/secrets && exec sleep infinity"
        )
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--net", "--propagation", "private", "sh", "-c", script],
            start_new_session=True,
        )
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._wait_holder_ready(hosts)
        self._net = ThreadPoolExecutor(max_workers=1, initializer=self._join_net)

    def _wait_holder_ready(self, hosts: Path) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.holder.poll() is not None:
                raise RuntimeError("could not make the namespaces (unshare exited)")
            if hosts.read_text() in self._read_ns_file("/etc/hosts"):
                return
            time.sleep(0.1)
        raise RuntimeError("the namespaces' /etc/hosts never appeared")

    def _read_ns_file(self, path: str) -> str:
        out = subprocess.run(
            ["nsenter", "-t", str(self.holder.pid), "-m", "cat", path],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout

    def _join_net(self) -> None:
        """Move the (one) client thread into the network namespace: its sockets reach the
        services on the namespace's 127.0.0.1."""
        libc = ctypes.CDLL(None, use_errno=True)
        with open(f"/proc/{self.holder.pid}/ns/net") as ns:
            if libc.setns(ns.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns(net) failed")

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a client call inside the network namespace."""
        return self._net.submit(fn, *args, **kwargs).result()

    def port_free(self, port: int) -> bool:
        def probe() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) != 0

        return self.call(probe)

    def free_port(self) -> int:
        def pick() -> int:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                return int(s.getsockname()[1])

        return self.call(pick)

    def start(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str],
        cwd: Path | None = None,
        user: str | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start a process in the namespaces, in its own process group, logging to logs/."""
        if name in self.procs:
            raise RuntimeError(f"{name} already started")
        ns = ["nsenter", "-t", str(self.holder.pid), "--mount", "--net"]
        if user:
            import pwd

            entry = pwd.getpwnam(user)
            ns += ["--setuid", str(entry.pw_uid), "--setgid", str(entry.pw_gid)]
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [*ns, "--", *argv],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs[name] = proc
        return proc

    def run(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str],
        timeout: float,
        cwd: Path | None = None,
        user: str | None = None,
    ) -> int:
        """Run a process to completion (a Job): its exit code; killed after `timeout`."""
        proc = self.start(name, argv, env=env, cwd=cwd, user=user)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(name)
            raise

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is not None:
            _stop_group(proc)

    def close(self) -> None:
        for name in reversed(list(self.procs)):
            self.stop(name)
        self._net.shutdown(wait=False, cancel_futures=True)
        _stop_group(self.holder)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL what is left after a grace period."""
    if proc.poll() is None:
        _signal_group(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=STOP_GRACE_S)
    _signal_group(proc.pid, signal.SIGKILL)  # children may outlive a leader that exited
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=STOP_GRACE_S)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
