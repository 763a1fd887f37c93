"""One example stack's server, run for real on its derived configuration.

`ServerRun.start` derives and renders the stack, starts the backing services in a sandbox,
runs the migration hook's command, starts the gateway and the service builder with their
rendered commands; the test drives the API through `request` and reads what the builder
asked of Kubernetes through `kube_objects`.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from plan.render import K8sObject
from tests.e2e import services, workloads
from tests.e2e.deployed import Deployed
from tests.e2e.sandbox import Sandbox

HERE = Path(__file__).resolve().parent
MIGRATION_TIMEOUT_S = 300.0
# 4 gunicorn workers importing the server: 45-110 s on 2 idle cores, over 5 min at load 13.
GATEWAY_READY_TIMEOUT_S = 900.0
HTTP_TIMEOUT_S = 60.0
USER = "e2e-user"  # without an identity service the gateway trusts any basic-auth user


@dataclass
class Response:
    status: int
    body: Any


@dataclass
class ServerRun:
    deployed: Deployed
    box: Sandbox
    fs: Path
    server_venv: Path
    tools_venv: Path
    kube_record: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    gateway_port: int = 0
    kube_port: int = 0
    postgres: services.Postgres | None = None
    migration_rc: int | None = None
    aws: tuple[str, str] = ("", "")  # the emulator's URL and the region, on AWS

    def variant(self, deployed: Deployed, image: Path, label: str) -> ServerRun:
        """A run of `deployed` (this one's deploy with a value broken on purpose) in this run's
        sandbox: the same backing services, Kubernetes stand-in and pod identity; its own
        image files, since its mounted ConfigMaps differ."""
        fs = self.box.root / f"fs-{label}"
        workloads.install_image_fs(fs, image)
        return ServerRun(
            deployed,
            self.box,
            fs,
            self.server_venv,
            self.tools_venv,
            self.kube_record,
            extra_env=dict(self.extra_env),  # the kubeconfig, the pod identity, the CA bundle
            kube_port=self.kube_port,
            postgres=self.postgres,
            aws=self.aws,
        )

    # --- reading the rendered control plane -------------------------------------------------

    def workload(self, kind: str, name: str, ordinal: int = 0) -> workloads.Workload:
        obj = self.deployed.rendered.get(kind, name)
        return workloads.rebuild(self.deployed, obj, self.fs, ordinal=ordinal)

    def env_of(self, workload: workloads.Workload) -> dict[str, str]:
        return workloads.process_env(workload, self.fs, self.server_venv, self.extra_env)

    @property
    def database_name(self) -> str:
        gateway = self.workload("Deployment", self.deployed.rendered.release_name)
        return urlsplit(gateway.env["ML_INFRA_DATABASE_URL"]).path.lstrip("/")

    # --- the Kubernetes stand-in ----------------------------------------------------------------

    def start_kube(self) -> None:
        port = self.box.free_port()
        self.box.start(
            "kube-apiserver",
            ["python3", str(HERE / "kube_recorder.py"), str(port), str(self.kube_record)],
            env={"PATH": "/usr/bin:/bin"},
        )
        services.wait_port(self.box, "kube-apiserver", port)
        kubeconfig = self.fs / "kubeconfig"
        kubeconfig.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "e2e",
                    "clusters": [
                        {"name": "e2e", "cluster": {"server": f"http://127.0.0.1:{port}"}}
                    ],
                    "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "e2e"}}],
                    "users": [{"name": "e2e", "user": {"token": "e2e"}}],
                }
            )
        )
        # A pod reaches its API server through in-cluster config; outside a pod the server
        # falls back to a kubeconfig (k8s_endpoint_resource_delegate.maybe_load_kube_config).
        self.extra_env["KUBECONFIG"] = str(kubeconfig)
        self.kube_port = port
        self._install_chart_objects()

    def _install_chart_objects(self) -> None:
        """What `helm install` created before the server starts (the server reads its
        ConfigMaps through the API: the framework tags, the recommended hardware)."""
        for obj in self.deployed.rendered.objects:
            if obj.kind == "ConfigMap":
                self.kube_create(obj)

    def kube_create(self, obj: K8sObject) -> None:
        body = json.loads(json.dumps(obj.body))
        body["metadata"]["namespace"] = obj.namespace
        path = f"/api/v1/namespaces/{obj.namespace}/configmaps"
        status, _ = self._http("POST", f"http://127.0.0.1:{self.kube_port}{path}", body, {})
        if status != 201:
            raise RuntimeError(f"the Kubernetes stand-in refused {obj.kind} {obj.name}: {status}")

    def kube_requests(self) -> list[dict[str, Any]]:
        """Every request the stand-in answered, in order (verb, path, code, body)."""
        return [json.loads(line) for line in self.kube_record.read_text().splitlines()]

    def kube_objects(self, kind_path: str) -> list[dict[str, Any]]:
        """Objects the server created, e.g. kind_path='deployments'."""
        out = []
        for entry in self.kube_requests():
            created = entry["verb"] == "POST" and entry.get("code") == 201
            if created and entry["path"].split("?")[0].rstrip("/").endswith("/" + kind_path):
                out.append(entry["body"])
        return out

    # --- the control plane ----------------------------------------------------------------------

    def migrate(self, name: str = "migration") -> int:
        job = self.workload("Job", migration_job(self.deployed))
        return self.box.run(
            name, job.argv, env=self.env_of(job), cwd=self.cwd, timeout=MIGRATION_TIMEOUT_S
        )

    @property
    def cwd(self) -> Path:
        return self.fs / workloads.IMAGE_ROOT.lstrip("/")

    def start_gateway(self, name: str = "gateway") -> None:
        gateway = self.workload("Deployment", self.deployed.rendered.release_name)
        obj = self.deployed.rendered.get("Deployment", self.deployed.rendered.release_name)
        self.gateway_port = obj.body["spec"]["template"]["spec"]["containers"][0]["ports"][0][
            "containerPort"
        ]
        services.require_free(self.box, name, self.gateway_port)
        # The rendered command, unchanged; gunicorn also reads GUNICORN_CMD_ARGS, and
        # --preload imports the app once and forks the 4 workers from it instead of importing
        # it 4 times (the server's import-time logger setup walks the stack per module: on two
        # cores shared with other work, 4 imports took over 10 minutes). Nothing derived
        # changes: each worker still serves the same app with the same env and files.
        env = {**self.env_of(gateway), "GUNICORN_CMD_ARGS": "--preload"}
        self.box.start(name, gateway.argv, env=env, cwd=self.cwd)

        def ready() -> bool:
            try:
                return self.request("GET", "/readyz", auth=False).status == 200
            except OSError:
                return False

        proc = self.box.procs[name]
        services.wait_until(
            name,
            ready,
            GATEWAY_READY_TIMEOUT_S,
            lambda: proc.poll() is None,
            lambda: self.box.log(name),
        )

    def start_builder(self, name: str = "builder") -> None:
        deployment = f"{self.deployed.rendered.release_name}-endpoint-builder"
        builder = self.workload("Deployment", deployment)
        self.box.start(name, builder.argv, env=self.env_of(builder), cwd=self.cwd)

    # --- the API --------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> Response:
        headers = {}
        if auth:
            token = base64.b64encode(f"{USER}:".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        status, data = self._http(
            method, f"http://127.0.0.1:{self.gateway_port}{path}", body, headers
        )
        return Response(status, data)

    def _http(self, method: str, url: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        def call() -> tuple[int, Any]:
            data = None if body is None else json.dumps(body).encode()
            req = urllib.request.Request(
                url,
                data=data,
                method=method,
                headers={"Content-Type": "application/json", **headers},
            )
            try:
                with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as resp:
                    return resp.status, _json(resp.read())
            except urllib.error.HTTPError as err:
                return err.code, _json(err.read())

        return self.box.call(call)

    def wait_for(
        self, what: str, found: Any, timeout: float, watch: tuple[str, ...] = ("gateway", "builder")
    ) -> Any:
        """Poll `found()` until it returns something truthy (bounded); fail early if one of
        the `watch` processes exited."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = found()
            if value:
                return value
            for name in watch:
                proc = self.box.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"the {name} exited:\n{self.box.log(name)[-4000:]}")
            time.sleep(1)
        last = watch[-1]  # the process the wait is about
        log = self.box.log(last)[-4000:]
        raise TimeoutError(f"{what} after {timeout:.0f}s; {last} log:\n{log}")


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def migration_job(deployed: Deployed) -> str:
    jobs = [o.name for o in deployed.rendered.of_kind("Job") if "migration" in o.name]
    if len(jobs) != 1:
        raise LookupError(f"expected one migration Job in the chart, found {jobs}")
    return jobs[0]


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


def derived_host_names(deployed: Deployed, env: dict[str, str]) -> set[str]:
    """The in-cluster and managed-service names the derived configuration points at (the
    database, Redis, the object store): the sandbox's /etc/hosts sends them to 127.0.0.1."""
    names = {env.get("REDIS_HOST", ""), deployed.infra.get("redis_host", "")}
    for value in [*env.values(), *deployed.launch.values()]:
        for url in re.findall(r"\b(?:postgres(?:ql)?|rediss?|https?)://[^\s\"']+", str(value)):
            names.add(host_of(url))
    return {
        n
        for n in names
        if n
        and not re.fullmatch(r"[\d.]+", n)
        and (not n.endswith(".amazonaws.com") or _managed_endpoint(n))
    }


def _managed_endpoint(name: str) -> bool:
    """RDS and ElastiCache endpoints are hosts the server connects to directly; every other
    *.amazonaws.com name is an AWS API, which goes to the emulator through AWS_ENDPOINT_URL."""
    return name.endswith((".rds.amazonaws.com", ".cache.amazonaws.com"))
