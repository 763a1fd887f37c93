"""A control-plane workload's process, rebuilt from the rendered manifests.

The image's file system is a folder here (`fs`): the server's source where the image puts it
(/workspace/model-engine), with every ConfigMap volume written over its mount path as the
kubelet would (a mount hides what the image had there). Paths under a mount or /workspace in
the rendered env and args are read in that folder; every other value is the rendered one.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plan.render import K8sObject
from tests.e2e.deployed import Deployed

IMAGE_ROOT = "/workspace"  # the image's WORKDIR; PYTHONPATH=/workspace and the source below it
SOURCE_IN_IMAGE = "/workspace/model-engine"
# The image's entrypoint wrapper (PID 1 signal forwarding): not needed outside a container.
ENTRY_WRAPPER = ["dumb-init", "--"]


@dataclass
class Workload:
    name: str
    argv: list[str]
    env: dict[str, str]
    service_account: str


def install_image_fs(fs: Path, server_source: Path) -> None:
    """The image's files: the server's source (byte-compiled) at /workspace/model-engine;
    copy2 keeps the times the bytecode was compiled against."""
    shutil.copytree(server_source, fs / SOURCE_IN_IMAGE.lstrip("/"), dirs_exist_ok=True)


def _in_fs(fs: Path, value: str, prefixes: list[str]) -> str:
    for prefix in prefixes:
        if value == prefix or value.startswith(prefix.rstrip("/") + "/"):
            return str(fs) + value
    return value


def _configmap_files(deployed: Deployed, namespace: str, volume: dict[str, Any]) -> dict[str, str]:
    source = volume["configMap"]
    data = deployed.rendered.get("ConfigMap", source["name"], namespace).body.get("data") or {}
    items = source.get("items")
    if items is None:
        return dict(data)
    return {item["path"]: data[item["key"]] for item in items}


def _env_value(
    deployed: Deployed, namespace: str, item: dict[str, Any], pod_name: str
) -> str | None:
    if "value" in item:
        return str(item["value"])
    ref = item.get("valueFrom")
    if ref is None:
        return ""  # `- name: X` alone: set and empty, as Kubernetes does
    if "secretKeyRef" in ref:
        key = ref["secretKeyRef"]
        return deployed.secret_data(namespace, key["name"])[key["key"]]
    if "configMapKeyRef" in ref:
        key = ref["configMapKeyRef"]
        cm = deployed.rendered.get("ConfigMap", key["name"], namespace)
        return str(cm.body["data"][key["key"]])
    if ref.get("fieldRef", {}).get("fieldPath") in ("status.hostIP", "status.podIP"):
        return "127.0.0.1"  # the node and the pod are this machine
    if ref.get("fieldRef", {}).get("fieldPath") == "metadata.name":
        return pod_name
    raise NotImplementedError(f"env {item['name']}: {ref} is not rebuilt by the e2e test")


def rebuild(
    deployed: Deployed, obj: K8sObject, fs: Path, container: int = 0, ordinal: int = 0
) -> Workload:
    """The rendered workload's command, env and mounted ConfigMaps, in the folder `fs`; a
    StatefulSet's pod is the one with this `ordinal` (its name ends in it)."""
    pod_name = f"{obj.name}-{ordinal}" if obj.kind == "StatefulSet" else f"{obj.name}-e2e"
    pod = obj.body["spec"]["template"]["spec"]
    spec = pod["containers"][container]
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    prefixes = [IMAGE_ROOT]
    for mount in spec.get("volumeMounts") or []:
        volume = volumes[mount["name"]]
        if "configMap" not in volume:
            continue  # emptyDir (/dev/shm) and the like: nothing to carry
        target = fs / mount["mountPath"].lstrip("/")
        files = _configmap_files(deployed, obj.namespace, volume)
        if mount.get("subPath"):  # one file of the volume at the mount path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(files[mount["subPath"]])
        else:
            shutil.rmtree(target, ignore_errors=True)  # the mount hides the image's folder
            target.mkdir(parents=True)
            for path, text in files.items():
                (target / path).write_text(text)
        prefixes.append(mount["mountPath"])
    env: dict[str, str] = {}
    for item in spec.get("env") or []:
        value = _env_value(deployed, obj.namespace, item, pod_name)
        if value is not None:
            env[item["name"]] = _in_fs(fs, value, prefixes)
    command = list(spec.get("command") or [])
    if command[: len(ENTRY_WRAPPER)] == ENTRY_WRAPPER:
        command = command[len(ENTRY_WRAPPER) :]
    argv = [_in_fs(fs, a, prefixes) for a in command + list(spec.get("args") or [])]
    return Workload(obj.name, argv, env, pod.get("serviceAccountName", "default"))


def process_env(workload: Workload, fs: Path, venv: Path, extra: dict[str, str]) -> dict[str, str]:
    """What the container's process sees: the image's PATH and PYTHONPATH, then the pod's env."""
    return {
        "PATH": f"{venv}/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "PYTHONPATH": f"{fs}{IMAGE_ROOT}:{fs}{SOURCE_IN_IMAGE}",  # + `pip install -e .`
        "HOME": str(fs / "root"),
        "LANG": "C.UTF-8",
        **workload.env,
        **extra,
    }
