"""The registry's config as the component writes it, served by a real Distribution binary.

The component installs plain objects, not a chart, so there is nothing to render; what can
go wrong offline is the config file the pod serves. With REGISTRY_BINARY naming a
Distribution `registry` binary (a release tarball's, or Debian's `docker-registry`), this
starts it on exactly `registry_config()` (only the data directory and listen address moved
to a temporary place), pushes an image over plain HTTP, pulls it back, and checks that the
API refuses deletes. Skipped otherwise (CI has no such binary).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from components.incluster import registry

BINARY_ENV = "REGISTRY_BINARY"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _binary() -> str:
    value = os.environ.get(BINARY_ENV, "").strip()
    if not value:
        pytest.skip(f"{BINARY_ENV} is unset: name a Distribution registry binary to run it")
    return value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    binary = _binary()
    port = _free_port()
    config = registry.registry_config(registry.RegistryInstall())
    config["storage"]["filesystem"]["rootdirectory"] = str(tmp_path / "data")
    config["http"]["addr"] = f"127.0.0.1:{port}"
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.Popen(
        [binary, "serve", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"{base}/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _call(
    url: str, method: str = "GET", data: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str]]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return int(resp.status), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return int(err.code), dict(err.headers)


def _request(url: str, method: str = "GET", data: bytes | None = None, **headers: str) -> int:
    return _call(url, method, data, **headers)[0]


def _push_blob(base: str, repo: str, blob: bytes) -> str:
    """The distribution spec's POST-then-PUT upload."""
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    status, headers = _call(f"{base}/v2/{repo}/blobs/uploads/", "POST", b"")
    assert status == 202, status
    location = headers["Location"]
    location = location if location.startswith("http") else base + location
    sep = "&" if "?" in location else "?"
    status = _request(
        f"{location}{sep}digest={digest}",
        "PUT",
        blob,
        **{"Content-Type": "application/octet-stream"},
    )
    assert status == 201, status
    return digest


def test_push_pull_over_plain_http_and_no_deletes(served: str) -> None:
    repo = "llm-engine/batch-infer-vllm"
    assert _request(f"{served}/v2/") == 200
    layer = b"layer"
    config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": _push_blob(served, repo, config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": _push_blob(served, repo, layer),
                    "size": len(layer),
                }
            ],
        }
    ).encode()
    url = f"{served}/v2/{repo}/manifests/v1"
    assert _request(url, "PUT", manifest, **{"Content-Type": MANIFEST}) == 201
    assert _request(url, Accept=MANIFEST) == 200
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    # storage.delete.enabled false: the API answers 405 Unsupported.
    assert _request(f"{served}/v2/{repo}/manifests/{digest}", "DELETE") == 405
    assert _request(url, Accept=MANIFEST) == 200
