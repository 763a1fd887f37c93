"""Pod Security Admission: the level each namespace the program creates enforces, and the
baseline check the tests run on the rendered chart.

- The release and endpoint namespaces with Istio sidecar injection: the injected istio-init
  container adds NET_ADMIN and NET_RAW to redirect the pod's traffic through the sidecar,
  which `baseline` forbids; only `privileged` admits it (the Istio CNI plugin would move that
  into a node DaemonSet and let these namespaces enforce `baseline`; the add-on does not run
  it: it must be chained with each cloud's CNI). They warn and audit at `baseline`, so every
  other violation (a user image asking for host access) is still reported.
- Without injection, their pods (the chart's and the server's templates: no host namespaces,
  hostPath, hostPort, privilege or added capability) pass `baseline`; `restricted` fails on
  them (no runAsNonRoot, no seccompProfile), so it only warns.
- Add-on namespaces: nvidia and monitoring are privileged (the GPU operator's driver and
  node-exporter use the host); the others run controllers that need none of it: `baseline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PREFIX = "pod-security.kubernetes.io"
# Capabilities `baseline` admits (Pod Security Standards).
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
# What istio-init (the sidecar injector's init container without the Istio CNI plugin) adds.
ISTIO_INIT_CAPABILITIES = ("NET_ADMIN", "NET_RAW")


def labels(enforce: str, report: str) -> dict[str, str]:
    return {f"{PREFIX}/enforce": enforce, f"{PREFIX}/warn": report, f"{PREFIX}/audit": report}


def model_engine_namespace(istio_injection: bool) -> dict[str, str]:
    return labels("privileged", "baseline") if istio_injection else labels("baseline", "restricted")


def baseline_violations(pod_spec: Mapping[str, Any]) -> list[str]:
    """What in a pod spec `baseline` refuses (the checks the chart's pods can trip)."""
    out = []
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod_spec.get(key):
            out.append(key)
    for volume in pod_spec.get("volumes") or []:
        if "hostPath" in volume:
            out.append(f"hostPath volume {volume.get('name')}")
    containers = [*(pod_spec.get("initContainers") or []), *(pod_spec.get("containers") or [])]
    for c in containers:
        ctx = c.get("securityContext") or {}
        if ctx.get("privileged"):
            out.append(f"{c.get('name')}: privileged")
        added = set((ctx.get("capabilities") or {}).get("add") or []) - BASELINE_CAPABILITIES
        if added:
            out.append(f"{c.get('name')}: adds {', '.join(sorted(added))}")
        for port in c.get("ports") or []:
            if port.get("hostPort"):
                out.append(f"{c.get('name')}: hostPort {port['hostPort']}")
    return out
