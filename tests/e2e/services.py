"""The real backing services, started in the sandbox on the derived host names' ports.

PostgreSQL 15 (Debian) accepts only TLS and scram-sha-256 over TCP, like the managed and
in-cluster databases the program derives URLs for; Redis (Debian) serves TLS and AUTH when the
derived URL asks for them; moto's server mode is the AWS emulator (and the S3-compatible store).
"""

from __future__ import annotations

import glob
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.e2e.sandbox import Sandbox

START_TIMEOUT_S = 60.0


def wait_until(
    what: str,
    ready: Callable[[], bool],
    timeout: float,
    alive: Callable[[], bool],
    log: Callable[[], str],
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"{what} exited while starting:\n{log()[-4000:]}")
        if ready():
            return
        time.sleep(0.5)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s:\n{log()[-4000:]}")


def wait_port(box: Sandbox, name: str, port: int, timeout: float = START_TIMEOUT_S) -> None:
    def open_() -> bool:
        def probe() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0

        return box.call(probe)

    proc = box.procs[name]
    wait_until(name, open_, timeout, lambda: proc.poll() is None, lambda: box.log(name))


def require_free(box: Sandbox, name: str, port: int, grace: float = 15.0) -> None:
    """Refuse to start `name` on a port something else answers on (waiting for the port
    would then see the other process, not this one); a process stopped just before may take
    a moment to let go of it (`grace`)."""
    deadline = time.monotonic() + grace
    while not box.port_free(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}: port {port} is already taken in the sandbox")
        time.sleep(0.5)


def self_signed_cert(folder: Path, host: str) -> tuple[Path, Path]:
    """A certificate for `host` (the service's derived name); clients that verify need it."""
    key, cert = folder / f"{host}.key", folder / f"{host}.crt"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=e2e",  # a CN holds at most 64 characters; the SAN names the host
            "-addext",
            f"subjectAltName=DNS:{host}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


def _pg_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not found:
        raise FileNotFoundError(f"PostgreSQL's {tool} (Debian package postgresql)")
    return found[-1]


@dataclass
class Postgres:
    socket_dir: Path
    port: int

    def psql(self, database: str, sql: str) -> str:
        out = subprocess.run(
            [
                "psql",
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-tAc",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {out.stderr.strip()}")
        return out.stdout.strip()


def start_postgres(box: Sandbox, folder: Path, database_url: str) -> Postgres:
    """PostgreSQL with the URL's database and owner; TCP only with TLS and scram-sha-256."""
    url = urlsplit(database_url)
    host, port = url.hostname or "", url.port or 5432
    data, run = folder / "data", folder / "run"
    data.mkdir(parents=True)
    run.mkdir()
    key, cert = self_signed_cert(folder, host)
    shutil.chown(folder, "postgres")
    for path in (data, run, key, cert):
        shutil.chown(path, "postgres")
    key.chmod(0o600)
    init = subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            _pg_bin("initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=reject",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if init.returncode != 0:
        raise RuntimeError(
            f"initdb failed (the run's folder must be readable by postgres): {init.stderr[-2000:]}"
        )
    (data / "pg_hba.conf").write_text(
        "local all postgres trust\n"  # the test's own administration, over the socket
        "hostssl all all 127.0.0.1/32 scram-sha-256\n"  # clients: TLS and a password only
    )
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{run}'\n"
            f"ssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\n"
            "password_encryption = 'scram-sha-256'\nfsync = off\n"
        )
    require_free(box, "postgres", port)
    box.start("postgres", [_pg_bin("postgres"), "-D", str(data)], env={}, user="postgres")
    wait_port(box, "postgres", port)
    pg = Postgres(run, port)
    user, password = unquote(url.username or ""), unquote(url.password or "")
    database = url.path.lstrip("/")
    pg.psql("postgres", f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{password}'")
    pg.psql("postgres", f'CREATE DATABASE "{database}" OWNER "{user}"')
    return pg


def start_redis(
    box: Sandbox, folder: Path, host: str, port: int, tls: bool, password: str | None
) -> Path | None:
    """Redis on the derived port; with TLS on that port (and no plain one) when the derived
    URL says rediss://, and with AUTH when the derivation gives a token."""
    folder.mkdir(parents=True)
    conf = ["bind 127.0.0.1", f"dir {folder}", "save ''", "appendonly no"]
    cert = None
    if tls:
        key, cert = self_signed_cert(folder, host)
        conf += [
            "port 0",
            f"tls-port {port}",
            f"tls-cert-file {cert}",
            f"tls-key-file {key}",
            "tls-auth-clients no",
        ]
    else:
        conf += [f"port {port}"]
    if password:
        conf += [f"requirepass {password}"]
    (folder / "redis.conf").write_text("\n".join(conf) + "\n")
    require_free(box, "redis", port)
    box.start("redis", ["redis-server", str(folder / "redis.conf")], env={})
    wait_port(box, "redis", port)
    return cert


def trust_bundle(folder: Path, certificates: list[Path]) -> Path:
    """The system's CAs plus these certificates: what a client trusts where a managed
    service's certificate is signed by a public CA (ElastiCache's by Amazon's)."""
    bundle = folder / "ca-bundle.pem"
    system = Path("/etc/ssl/certs/ca-certificates.crt")
    parts = [system.read_text()] if system.exists() else []
    bundle.write_text("".join(parts + [c.read_text() for c in certificates]))
    return bundle


def start_moto(box: Sandbox, tools_venv: Path, port: int, name: str = "moto") -> str:
    """moto's server mode on 127.0.0.1:port (every AWS service on one port); its URL."""
    require_free(box, name, port)
    box.start(
        name,
        [f"{tools_venv}/bin/python", "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={"PATH": "/usr/bin:/bin"},
    )
    wait_port(box, name, port)
    return f"http://127.0.0.1:{port}"
