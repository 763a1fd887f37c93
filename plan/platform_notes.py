"""What the plan says about the cloud's own guardrails, read from the recorded resources: who
may reach what, when the cloud upgrades, what stays behind on destroy. One line each, so a
reviewer sees the decision without reading the resource inputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plan.simulator import ProgramRun, RecordedResource


def _firewall(r: RecordedResource) -> str | None:
    i = r.inputs
    if i.get("direction") != "INGRESS":
        return None
    ports = ",".join(p for a in i.get("allows") or [] for p in a.get("ports") or [])
    sources = ",".join(i.get("sourceRanges") or [])
    return f"firewall {i.get('name')}: tcp {ports} from {sources} to the nodes"


def _cluster(r: RecordedResource) -> str | None:
    i = r.inputs
    policy = i.get("maintenancePolicy") or {}
    window = policy.get("recurringWindow") or {}
    holds = [
        (e.get("exclusionOptions") or {}).get("scope", "")
        for e in policy.get("maintenanceExclusions") or []
    ]
    encryption = (i.get("databaseEncryption") or {}).get("state", "DECRYPTED")
    return (
        f"GKE {i.get('name')}: version {i.get('minMasterVersion') or 'channel default'}, "
        f"held by {', '.join(holds) or 'nothing'}; window {window.get('recurrence', 'any time')} "
        f"{str(window.get('startTime', ''))[11:16]}-{str(window.get('endTime', ''))[11:16]} UTC; "
        f"datapath {i.get('datapathProvider', 'LEGACY_DATAPATH')}; Secrets {encryption}"
    )


def _ccnp(r: RecordedResource) -> str | None:
    spec: dict[str, Any] = r.inputs.get("spec") or {}
    expressions = (spec.get("endpointSelector") or {}).get("matchExpressions") or []
    allowed = [v for e in expressions if e.get("operator") == "NotIn" for v in e["values"]]
    denied = [
        f"{cidr}:{p['port']}"
        for rule in spec.get("egressDeny") or []
        for cidr in rule.get("toCIDR") or []
        for ports in rule.get("toPorts") or []
        for p in ports.get("ports") or []
    ]
    return f"cluster policy {r.name}: {', '.join(denied)} only from {', '.join(allowed)}"


def _connection(r: RecordedResource) -> str | None:
    return f"private services connection: {r.inputs.get('deletionPolicy', 'DELETE')} on destroy"


NOTES: dict[str, Callable[[RecordedResource], str | None]] = {
    "gcp:compute/firewall:Firewall": _firewall,
    "gcp:container/cluster:Cluster": _cluster,
    "kubernetes:cilium.io/v2:CiliumClusterwideNetworkPolicy": _ccnp,
    "gcp:servicenetworking/connection:Connection": _connection,
}


def notes(run: ProgramRun) -> list[str]:
    lines = [line for typ, note in NOTES.items() for r in run.of_type(typ) if (line := note(r))]
    services = run.of_type("gcp:projects/service:Service")
    if services:
        kept = all(s.inputs.get("disableOnDestroy") is False for s in services)
        names = ", ".join(sorted(str(s.inputs["service"]).split(".")[0] for s in services))
        lines.insert(0, f"APIs enabled first{', kept on destroy' if kept else ''}: {names}")
    return lines
