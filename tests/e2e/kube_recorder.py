"""A Kubernetes API stand-in that records: run as a script in the sandbox.

It answers as an API server would for what the service builder does on a fresh cluster: a
create returns the object with the fields the server sets (uid, resourceVersion,
creationTimestamp); a read of something never created is a 404 Status; a list returns what
was created; a replace/patch/delete of a created object applies. It decides nothing: every
request and created object is appended to a JSON-lines file the test asserts on.

usage: python kube_recorder.py PORT RECORD_FILE
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STORE: dict[str, dict[str, Any]] = {}  # collection path + "/" + name -> object
LOCK = threading.Lock()
RECORD = ""
# The version this stand-in answers as: a current Kubernetes release.
VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0",
    "gitCommit": "0" * 40,
    "gitTreeState": "clean",
    "buildDate": "2024-08-13T07:28:49Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def _record(entry: dict[str, Any]) -> None:
    with LOCK, open(RECORD, "a") as f:
        f.write(json.dumps(entry) + "\n")


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
    }


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the record file is the log
        pass

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null") if length else None

    def _send(self, code: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/")

    def do_GET(self) -> None:
        path = self._path()
        _record({"verb": "GET", "path": self.path})
        if path == "/version":  # the server picks API versions by it (autoscaling/v2 from 1.26)
            return self._send(200, VERSION)
        with LOCK:
            if path in STORE:
                return self._send(200, STORE[path])
            items = [o for k, o in STORE.items() if k.rsplit("/", 1)[0] == path]
        if items or _is_collection(path):
            return self._send(
                200,
                {
                    "kind": "List",
                    "apiVersion": "v1",
                    "metadata": {"resourceVersion": "1"},
                    "items": items,
                },
            )
        self._send(404, _status(404, "NotFound", f"{path} not found"))

    def do_POST(self) -> None:
        path, body = self._path(), self._body()
        if not isinstance(body, dict):
            return self._send(400, _status(400, "BadRequest", "no object"))
        meta = body.setdefault("metadata", {})
        key = f"{path}/{meta.get('name', '')}"
        with LOCK:
            if key in STORE:
                _record({"verb": "POST", "path": self.path, "code": 409, "body": body})
                return self._send(409, _status(409, "AlreadyExists", f"{key} already exists"))
            meta.update(
                uid=str(uuid.uuid4()),
                resourceVersion="1",
                creationTimestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
            STORE[key] = body
        _record({"verb": "POST", "path": self.path, "code": 201, "body": body})
        self._send(201, body)

    def _update(self, verb: str) -> None:
        path, body = self._path(), self._body()
        with LOCK:
            if path not in STORE:
                _record({"verb": verb, "path": self.path, "code": 404, "body": body})
                return self._send(404, _status(404, "NotFound", f"{path} not found"))
            if verb == "PUT" and isinstance(body, dict):
                STORE[path] = body
            elif isinstance(body, dict):
                STORE[path] = _merge(STORE[path], body)
            obj = STORE[path]
        _record({"verb": verb, "path": self.path, "code": 200, "body": body})
        self._send(200, obj)

    def do_PUT(self) -> None:
        self._update("PUT")

    def do_PATCH(self) -> None:
        self._update("PATCH")

    def do_DELETE(self) -> None:
        path = self._path()
        with LOCK:
            found = STORE.pop(path, None)
        _record({"verb": "DELETE", "path": self.path, "code": 200 if found else 404})
        if found is None:
            return self._send(404, _status(404, "NotFound", f"{path} not found"))
        self._send(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})


def _is_collection(path: str) -> bool:
    """/api/v1/namespaces/NS/configmaps, /apis/G/V/namespaces/NS/R, /apis/G/V/R."""
    parts = path.strip("/").split("/")
    base = 2 if parts[:1] == ["api"] else 3
    rest = parts[base:]
    return len(rest) == 1 or (len(rest) == 3 and rest[0] == "namespaces")


def _merge(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        out = dict(old)
        for k, v in new.items():
            out[k] = _merge(old.get(k), v) if v is not None else None
        return {k: v for k, v in out.items() if v is not None}
    return new


def main() -> None:
    global RECORD
    port, RECORD = int(sys.argv[1]), sys.argv[2]
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
