"""How long the first `pulumi up` takes, and which chain of resources sets the total.

The plan records every resource the program registers with its dependencies; Pulumi creates
a resource as soon as everything it depends on exists, so the total is the longest path
through that graph, weighted by how long each resource takes to create (DURATIONS, one table
with its sources). Two paths are computed:
- the total, over every edge the program declares;
- the unavoidable chain, over the edges a resource cannot do without: its inputs' sources
  (property dependencies), its provider, and the orderings in REQUIRED_ORDER (CRDs before
  the objects that use them, nodes before pods).
Their ratio is 1.0 when no explicit ordering lengthens the critical path; every explicit
edge that does is a finding, as is a database or cache that waits for the cluster.
"""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from components import waits
from plan.simulator import RecordedResource, package, packages

# type -> (fastest, slowest seconds to create, source). Commonly observed ranges, from the
# providers' documentation where it states one; a type not listed is a plain API call.
DURATIONS: Mapping[str, tuple[int, int, str]] = {
    "aws:eks/cluster:Cluster": (
        480,
        900,
        "EKS user guide: a cluster takes 10-15 minutes to create",
    ),
    "aws:eks/nodeGroup:NodeGroup": (120, 600, "EKS managed node groups: 2-5 min, GPU AMIs longer"),
    "aws:eks/addon:Addon": (30, 300, "EKS add-ons: about 1 minute; CSI driver waits for nodes"),
    "aws:rds/instance:Instance": (600, 2400, "RDS: Multi-AZ PostgreSQL commonly 15-40 minutes"),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        600,
        1500,
        "ElastiCache: a Multi-AZ replication group with TLS commonly 10-25 minutes",
    ),
    "aws:ec2/natGateway:NatGateway": (
        60,
        180,
        "VPC user guide: NAT gateways become available in minutes",
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (60, 180, "interface/gateway endpoints: 1-3 minutes"),
    "aws:kms/key:Key": (2, 20, "API call"),
    "aws:iam/role:Role": (2, 15, "API call; IAM is eventually consistent"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (2, 10, "API call"),
    "aws:s3/bucket:Bucket": (2, 15, "API call"),
    "aws:secretsmanager/secret:Secret": (2, 10, "API call"),
    # Azure: the portal and docs give no figure; commonly observed ranges.
    "azure-native:containerservice:ManagedCluster": (
        300,
        900,
        "AKS: the control plane and system pool, commonly 5-15 minutes",
    ),
    "azure-native:containerservice:AgentPool": (
        180,
        600,
        "AKS node pools: commonly 3-10 minutes, GPU node images longer",
    ),
    "azure-native:dbforpostgresql:Server": (
        300,
        1200,
        "PostgreSQL flexible server: commonly 5-15 minutes, zone-redundant HA longer",
    ),
    "azure-native:redisenterprise:RedisEnterprise": (
        600,
        1800,
        "Azure Managed Redis: commonly 10-30 minutes",
    ),
    "azure-native:redisenterprise:Database": (60, 600, "Managed Redis database: minutes"),
    "azure-native:servicebus:Namespace": (60, 600, "Service Bus: Standard 1-2 min, Premium longer"),
    "azure-native:network:PrivateEndpoint": (30, 180, "private endpoints: 1-3 minutes"),
    "azure-native:keyvault:Vault": (10, 60, "Key Vault: under a minute"),
    "azure-native:containerregistry:Registry": (30, 120, "ACR: 1-2 minutes"),
    "azure-native:storage:StorageAccount": (20, 90, "storage accounts: under a minute or two"),
    # GCP: commonly observed ranges.
    "gcp:container/cluster:Cluster": (
        300,
        900,
        "GKE Standard: commonly 5-10 minutes, regional clusters longer",
    ),
    "gcp:container/nodePool:NodePool": (
        120,
        600,
        "GKE node pools: commonly 2-5 minutes, GPU pools longer",
    ),
    "gcp:sql/databaseInstance:DatabaseInstance": (
        300,
        1200,
        "Cloud SQL: commonly 5-15 minutes, HA with private IP longer",
    ),
    "gcp:redis/instance:Instance": (
        300,
        900,
        "Memorystore for Redis: commonly 5-15 minutes (Standard tier)",
    ),
    "gcp:servicenetworking/connection:Connection": (
        60,
        300,
        "private services access peering: 1-5 minutes",
    ),
    "gcp:compute/routerNat:RouterNat": (10, 60, "Cloud NAT: under a minute"),
    "gcp:projects/service:Service": (
        20,
        180,
        "Service Usage: enabling an API is a long-running operation, usually under a minute",
    ),
    # In-cluster services (the `existing` platform's `install` choices).
    "kubernetes:postgresql.cnpg.io/v1:Cluster": (
        60,
        420,
        "CloudNativePG: image pull, initdb, then the primary's readiness (waited for)",
    ),
    "kubernetes:helm.sh/v3:Release": (
        30,
        300,
        "Helm install with --wait: image pulls and readiness",
    ),
    "kubernetes:batch/v1:Job": (60, 900, "the warm-up Job pulls multi-GB inference images"),
    "kubernetes:core/v1:Namespace": (1, 5, "API call"),
    "kubernetes:core/v1:Secret": (1, 3, "API call"),
}
_RBAC_HOLD_S = int(waits.RBAC_PROPAGATION.total_seconds())
_GKE_KEY_HOLD_S = int(waits.GCP_IAM_PROPAGATION.total_seconds())
_GKE_LOW_S, _GKE_HIGH_S, _ = DURATIONS["gcp:container/cluster:Cluster"]
# Releases, a role assignment and a cluster that wait on more than their own creation, by
# logical name.
RELEASE_DURATIONS: Mapping[str, tuple[int, int, str]] = {
    "platform-cluster-deployer-admin": (
        _RBAC_HOLD_S,
        _RBAC_HOLD_S,
        "Azure RBAC for Kubernetes applies a new assignment within about five minutes: the "
        "kubeconfig is held back six (components/azure/kubeconfig.py)",
    ),
    # Its before_create hook holds it until the key grant it depends on has propagated.
    "platform-cluster-gke": (
        _GKE_KEY_HOLD_S + _GKE_LOW_S,
        _GKE_KEY_HOLD_S + _GKE_HIGH_S,
        f"GKE waits until the service agent's grant on the Secrets key is "
        f"{_GKE_KEY_HOLD_S // 60} minutes old (IAM propagation, components/gcp/cluster.py), "
        f"then takes {_GKE_LOW_S // 60}-{_GKE_HIGH_S // 60} minutes",
    ),
    "model-engine-chart": (
        240,
        1200,
        "the chart's pre-install hooks (the migration's 600 s deadline), then the control plane",
    ),
    "addons-prometheus-server": (60, 420, "Prometheus waits for its persistent volume"),
    "addons-istio-gateway": (60, 300, "the gateway Service waits for its load balancer"),
}
API_CALL = (1, 5, "API call")
# Provider packages whose resources are made without a cloud API (random values): API_CALL
# is their time, not a missing row.
LOCAL_PACKAGES = frozenset({"random"})

# Explicit orderings a resource cannot do without: (dependent, dependency) logical-name globs
# with the reason. Anything else declared with depends_on is a choice the estimate judges.
REQUIRED_ORDER: tuple[tuple[str, str, str], ...] = (
    ("*", "*-nodes-*", "pods and load balancers need nodes"),
    ("*-eks", "*-role-*", "EKS needs its role's policies before it creates (and until it is gone)"),
    ("*-nodes-*", "*-role-*", "node groups need their role's policies before nodes join"),
    ("*-nodes-*", "*-vpc-cni", "nodes join with the managed VPC CNI and its own IAM role"),
    ("*-nodes-*", "*-kube-proxy", "nodes join with the managed kube-proxy"),
    # AKS: one write on a managed cluster at a time (409 "Another operation is in progress").
    ("*-nodes-*", "*-cluster-maintenance-*", "AKS takes one write on a cluster at a time"),
    (
        "*-cluster-maintenance-*",
        "*-cluster-maintenance-*",
        "AKS takes one write on a cluster at a time",
    ),
    (
        "*-ns",
        "addons-keda-release",
        "teardown: KEDA must outlive the namespaces its finalized objects live in",
    ),
    ("*", "*-block-storage-*", "persistent volumes need the CSI driver and StorageClass"),
    ("*", "*-ns-*", "objects need their namespace"),
    ("*", "*-release-ns", "objects need their namespace"),
    ("*", "*-endpoint-ns", "objects need their namespace"),
    ("addons-istio-istiod", "addons-istio-base", "istiod needs Istio's CRDs"),
    ("addons-istio-gateway", "addons-istio-istiod", "the gateway's sidecar injection needs istiod"),
    ("model-engine-chart", "addons-istio-*", "the chart renders Istio objects"),
    ("model-engine-chart", "addons-keda-release", "the chart renders KEDA objects"),
    ("model-engine-chart", "addons-vpa-release", "the chart renders VPAs"),
    ("model-engine-chart", "model-engine-*", "the chart names these Secrets"),
    ("model-engine-chart", "*-warm-up", "the cacher reads the batch image at start"),
    ("*-warm-up", "*-pull-through-*", "the kubelet needs leave to pull through the cache"),
    ("*-warm-up", "*-upstream", "the cache rule must exist before the pull"),
    (
        "*-postgres-cluster",
        "*-postgres-operator",
        "a Cluster needs CloudNativePG's CRDs and webhook",
    ),
    ("*-postgres-cluster", "*-postgres-owner", "initdb reads the owner's Secret"),
    ("model-engine-chart", "*-data-*", "the migration hook and the pods need the data services"),
    ("*", "*-apis-*", "a Google API must be enabled before its first resource is created"),
    ("*-gke", "*-secrets-key-gke", "GKE checks that its agent may use the Secrets key at create"),
    ("*", "*-cache-clients-policy", "no pod starts before the fence around the AUTH-less Redis"),
)
# Waiting for these is never a choice: whatever runs under a role needs its permissions first.
REQUIRED_DEPENDENCY_TYPES = frozenset(
    {"aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/rolePolicy:RolePolicy"}
)
CLUSTERS = (
    "aws:eks/cluster:Cluster",
    "azure-native:containerservice:ManagedCluster",
    "gcp:container/cluster:Cluster",
)
DATA_SERVICES = (
    "aws:rds/instance:Instance",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "azure-native:dbforpostgresql:Server",
    "azure-native:redisenterprise:RedisEnterprise",
    "gcp:sql/databaseInstance:DatabaseInstance",
    "gcp:redis/instance:Instance",
)


@dataclass(frozen=True)
class Step:
    name: str
    type: str
    low: int
    high: int


@dataclass(frozen=True)
class Estimate:
    low: int
    high: int
    critical_path: tuple[Step, ...]
    unavoidable_high: int
    findings: tuple[str, ...]

    @property
    def ratio(self) -> float:
        return self.high / self.unavoidable_high if self.unavoidable_high else 1.0


def duration(r: RecordedResource) -> tuple[int, int]:
    if not r.custom or r.type.startswith("pulumi:providers:"):
        return (0, 0)
    low, high, _ = RELEASE_DURATIONS.get(r.name) or DURATIONS.get(r.type, API_CALL)
    return low, high


def _required(dependent: str, dependency: str) -> bool:
    return any(
        fnmatch.fnmatchcase(dependent, a) and fnmatch.fnmatchcase(dependency, b)
        for a, b, _ in REQUIRED_ORDER
    )


class Graph:
    def __init__(self, resources: Sequence[RecordedResource]):
        self.by_urn = {r.urn: r for r in resources}
        children: dict[str, list[str]] = {}
        for r in resources:
            if r.parent:
                children.setdefault(r.parent, []).append(r.urn)
        self._children = children

    def _custom(self, urn: str) -> Iterable[str]:
        """A dependency on a component waits for every custom resource under it."""
        r = self.by_urn.get(urn)
        if r is None:
            return
        if r.custom:
            yield urn
            return
        for child in self._children.get(urn, []):
            yield from self._custom(child)

    def edges(self, r: RecordedResource) -> dict[str, bool]:
        """Dependency URN -> whether the edge is unavoidable."""
        out: dict[str, bool] = {}
        data = {u for deps in r.property_dependencies.values() for u in deps}
        # A provider reference is `URN::ID`, and every URN contains `::`: cut at the last.
        provider = r.provider.rsplit("::", 1)[0] if r.provider else None
        for dep in r.dependencies:
            unavoidable_dep = dep in data
            for urn in self._custom(dep):
                target = self.by_urn[urn]
                out[urn] = (
                    out.get(urn, False)
                    or unavoidable_dep
                    or target.type in REQUIRED_DEPENDENCY_TYPES
                    or _required(r.name, target.name)
                )
        if provider and provider in self.by_urn:
            out[provider] = True
        return out


def estimate(resources: Sequence[RecordedResource]) -> Estimate:
    graph = Graph(resources)
    custom = [r for r in resources if r.custom]
    edges = {r.urn: graph.edges(r) for r in custom}

    @cache
    def finish(urn: str, which: int, unavoidable_only: bool) -> int:
        r = graph.by_urn[urn]
        before = [
            finish(dep, which, unavoidable_only)
            for dep, needed in edges[urn].items()
            if needed or not unavoidable_only
        ]
        return max(before, default=0) + duration(r)[which]

    def path(end: str) -> list[str]:
        chain = [end]
        while True:
            deps = edges[chain[-1]]
            if not deps:
                return list(reversed(chain))
            chain.append(max(deps, key=longest))

    # Ties go to the name, so that two plans of the same stack print the same path.
    def longest(urn: str) -> tuple[int, str]:
        return finish(urn, 1, False), graph.by_urn[urn].name

    end = max((r.urn for r in custom), key=longest)
    critical = tuple(
        Step(graph.by_urn[u].name, graph.by_urn[u].type, *duration(graph.by_urn[u]))
        for u in path(end)
    )
    high = finish(end, 1, False)
    unavoidable = max(finish(r.urn, 1, True) for r in custom)
    findings = [*untimed(resources), *_findings(graph, edges, critical)]
    return Estimate(
        low=max(finish(r.urn, 0, False) for r in custom),
        high=high,
        critical_path=critical,
        unavoidable_high=unavoidable,
        findings=tuple(findings),
    )


def untimed(resources: Sequence[RecordedResource]) -> list[str]:
    """A provider package DURATIONS has no row for (a new platform's, until its rows are
    added) is timed as API calls, which makes the total too short: a finding, not silence."""
    timed = {package(typ) for typ in DURATIONS} | LOCAL_PACKAGES
    low, high, _ = API_CALL
    return [
        f"DURATIONS (plan/estimate.py) times no {name} resource: its {count} resources count "
        f"as API calls ({low}-{high} s), so the total is too short; add their rows"
        for name, count in sorted(packages(resources).items())
        if name not in timed
    ]


def _findings(
    graph: Graph, edges: Mapping[str, Mapping[str, bool]], critical: Sequence[Step]
) -> Iterable[str]:
    clusters = {u for u, r in graph.by_urn.items() if r.type in CLUSTERS}
    for urn, r in graph.by_urn.items():
        if r.type not in DATA_SERVICES:
            continue
        seen: set[str] = set()
        todo = list(edges.get(urn, {}))
        while todo:
            dep = todo.pop()
            if dep in seen:
                continue
            seen.add(dep)
            todo.extend(edges.get(dep, {}))
        if seen & clusters:
            yield f"{r.name} waits for the cluster; it could be created alongside it"
    names = [s.name for s in critical]
    by_name = {r.name: u for u, r in graph.by_urn.items()}
    for before, after in itertools.pairwise(names):
        if not edges[by_name[after]].get(by_name[before], True):
            yield (
                f"{after} waits for {before} only because the program says so (depends_on), "
                "and that ordering is on the critical path; drop it or add it to REQUIRED_ORDER "
                "with its reason"
            )


def report(e: Estimate) -> list[str]:
    minutes = lambda s: f"{s / 60:.0f}"  # noqa: E731
    lines = [
        f"first `pulumi up`: {minutes(e.low)}-{minutes(e.high)} min "
        f"(unavoidable chain {minutes(e.unavoidable_high)} min, ratio {e.ratio:.2f})",
        "critical path:",
    ]
    lines += [
        f"  {s.name} ({s.type}): {minutes(s.low)}-{minutes(s.high)} min"
        for s in e.critical_path
        if s.high
    ]
    lines += [f"finding: {f}" for f in e.findings]
    return lines
