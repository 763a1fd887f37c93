"""Names GCP accepts for any environment name, and a teardown that finishes."""

from __future__ import annotations

import re

import pytest

from tests.gcp.helpers import ACCOUNT, CLUSTER, NODE_POOL, REDIS, SQL, GcpRun, run_gcp
from tests.helpers import set_path

PEERING = "gcp:servicenetworking/connection:Connection"
FIREWALL = "gcp:compute/firewall:Firewall"
SERVICE = "gcp:projects/service:Service"
ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
RING = "gcp:kms/keyRing:KeyRing"
REPOSITORY = "gcp:artifactregistry/repository:Repository"
# An RFC 1035 label of at most n characters.
LABEL = r"[a-z]([-a-z0-9]*[a-z0-9])?"
LONGEST = "a" * 50 + "-environment"  # 62 characters, a valid Kubernetes name
ODD = "9-lives--x"  # starts with a digit, double hyphen


def _name_rules(run: GcpRun) -> list[tuple[str, str, int, str]]:
    """(what, physical name, limit, pattern) of every name GCP limits."""
    rules = [
        ("cluster", run.one(CLUSTER).inputs["name"], 40, LABEL),
        ("memorystore", run.one(REDIS).inputs["name"], 40, LABEL),
        ("cloud sql", run.one(SQL).inputs["name"], 63, LABEL),
        ("key ring", run.one(RING).inputs["name"], 63, r"[a-zA-Z0-9_-]+"),
        ("role", run.one(ROLE).inputs["roleId"], 64, r"[a-zA-Z0-9_.]{3,}"),
    ]
    rules += [(p.name, p.inputs["name"], 40, LABEL) for p in run.of_type(NODE_POOL)]
    rules += [
        (a.name, a.inputs["accountId"], 30, r"[a-z][-a-z0-9]{4,28}[a-z0-9]")
        for a in run.of_type(ACCOUNT)
    ]
    rules += [(f.name, f.inputs["name"], 63, LABEL) for f in run.of_type(FIREWALL)]
    rules += [(r.name, r.inputs["repositoryId"], 63, LABEL) for r in run.of_type(REPOSITORY)]
    for typ in ("gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork"):
        rules += [(r.name, r.inputs["name"], 63, LABEL) for r in run.of_type(typ)]
    rules.append(
        (
            "bucket",
            run.one("gcp:storage/bucket:Bucket").inputs["name"],
            63,
            r"[a-z0-9][-a-z0-9_.]*[a-z0-9]",
        )
    )
    return rules


def _run(environment: str, pool: str = "t4") -> GcpRun:
    from tests.gcp.helpers import gcp_config

    config = gcp_config()
    set_path(config, "environment", environment)
    set_path(config, "gpu.pools[0].name", pool)
    return run_gcp(config)


@pytest.mark.parametrize(
    ("environment", "pool"),
    [
        (LONGEST, "t4-" + "x" * 55),  # a 58-character pool name: gpu-<name> is 62
        (ODD, "t4"),
    ],
    ids=["longest", "odd"],
)
def test_every_name_is_one_gcp_accepts(environment: str, pool: str) -> None:
    run = _run(environment, pool)
    found = _name_rules(run)
    assert found
    for what, name, limit, pattern in found:
        assert len(name) <= limit, (what, name)
        assert re.fullmatch(pattern, name), (what, name)


def test_two_long_environments_never_share_a_name() -> None:
    """Two environments that differ only past the limit must not collide in one project."""
    first = {what: name for what, name, *_ in _name_rules(_run(LONGEST))}
    second = {what: name for what, name, *_ in _name_rules(_run(LONGEST[:-1] + "x"))}
    shared = {what for what in first if first[what] == second.get(what)}
    # Node pool names live inside their cluster (which differs); the repositories are named
    # by the stack (gcp.registry.repositoryId); nothing else may repeat.
    own = ("platform-nodes-", "platform-registry-")
    assert shared and not {w for w in shared if not w.startswith(own)}, shared


def test_short_names_are_kept_as_they_are(prod: GcpRun) -> None:
    assert prod.one(CLUSTER).inputs["name"] == "model-engine-gcp-prod"
    assert {p.inputs["name"] for p in prod.of_type(NODE_POOL)} == {
        "system",
        "cpu",
        "gpu-t4",
        "gpu-h100",
    }
    assert prod.email("platform-identity-control-plane").startswith("me-gcp-prod-ctl@")


def test_teardown_leaves_the_private_services_connection_and_the_apis(prod: GcpRun) -> None:
    peering = prod.one(PEERING)
    # Service Networking refuses to delete a connection its producers (a retained Cloud SQL
    # instance) still use; abandoning it lets `pulumi destroy` finish.
    assert peering.inputs["deletionPolicy"] == "ABANDON"
    # Destroy runs in reverse dependency order: the instances go (or are released) before
    # the connection, which goes before its reserved range.
    for typ in (SQL, REDIS):
        assert peering.urn in prod.upstream(prod.one(typ)), typ
    address = prod.one("gcp:compute/globalAddress:GlobalAddress")
    assert address.urn in prod.upstream(peering)
    # No API is switched off under a retained resource.
    services = prod.of_type(SERVICE)
    assert services
    assert all(s.inputs["disableOnDestroy"] is False for s in services)
