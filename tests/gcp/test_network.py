"""The network: a VPC with the pods/services secondary ranges, Cloud NAT and private services
access, or an existing network; and the GCP SDK loads only for GCP stacks."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT
from tests.gcp.helpers import CLUSTER, PROJECT_ID, GcpRun, run_gcp
from tests.helpers import set_path

SUBNET = "gcp:compute/subnetwork:Subnetwork"
ADDRESS = "gcp:compute/globalAddress:GlobalAddress"
PEERING = "gcp:servicenetworking/connection:Connection"


def test_new_vpc_has_secondary_ranges_nat_and_private_services(prod: GcpRun) -> None:
    subnet = prod.one(SUBNET).inputs
    assert subnet["ipCidrRange"] == "10.40.0.0/20"
    assert subnet["privateIpGoogleAccess"] is True
    assert {r["rangeName"]: r["ipCidrRange"] for r in subnet["secondaryIpRanges"]} == {
        "pods": "10.64.0.0/14",
        "services": "10.68.0.0/20",
    }
    nat = prod.one("gcp:compute/routerNat:RouterNat").inputs
    assert nat["sourceSubnetworkIpRangesToNat"] == "ALL_SUBNETWORKS_ALL_IP_RANGES"
    reserved = prod.one(ADDRESS).inputs
    assert (reserved["purpose"], reserved["addressType"]) == ("VPC_PEERING", "INTERNAL")
    assert (reserved["address"], reserved["prefixLength"]) == ("10.70.0.0", 16)
    peering = prod.one(PEERING).inputs
    assert peering["service"] == "servicenetworking.googleapis.com"
    assert peering["reservedPeeringRanges"] == [
        prod.state(ADDRESS, "platform-network-private-services", "name")
    ]
    cluster = prod.one(CLUSTER).inputs
    assert cluster["subnetwork"] == (
        f"projects/{PROJECT_ID}/regions/us-central1/subnetworks/{subnet['name']}"
    )


def test_existing_network_is_used_as_is(config: dict) -> None:
    set_path(config, "gcp.network.existingNetwork", "shared-vpc")
    set_path(config, "gcp.network.existingSubnetwork", "gke-nodes")
    set_path(config, "gcp.network.privateServicesAccessExists", True)
    run = run_gcp(config)
    for typ in ("gcp:compute/network:Network", SUBNET, "gcp:compute/router:Router", PEERING):
        assert run.of_type(typ) == [], typ
    cluster = run.one(CLUSTER).inputs
    assert cluster["network"] == f"projects/{PROJECT_ID}/global/networks/shared-vpc"
    assert (
        cluster["subnetwork"] == f"projects/{PROJECT_ID}/regions/us-central1/subnetworks/gke-nodes"
    )
    sql = run.one("gcp:sql/databaseInstance:DatabaseInstance").inputs
    assert sql["settings"]["ipConfiguration"]["privateNetwork"] == cluster["network"]
    # The firewall that keeps Redis to the nodes and the control plane's webhook rule are
    # still there.
    assert {f.name for f in run.of_type("gcp:compute/firewall:Firewall")} == {
        "platform-network-data-from-nodes",
        "platform-network-data-from-others",
        "platform-network-webhooks",
    }


def test_existing_network_without_private_services_access_gets_it(config: dict) -> None:
    set_path(config, "gcp.network.existingNetwork", "shared-vpc")
    set_path(config, "gcp.network.existingSubnetwork", "gke-nodes")
    run = run_gcp(config)
    assert run.one(PEERING).inputs["network"] == f"projects/{PROJECT_ID}/global/networks/shared-vpc"


def test_other_platforms_do_not_load_the_gcp_resource_modules() -> None:
    """The offline plan of an AWS or existing stack pays nothing for pulumi-gcp's resources."""
    code = (
        "import sys, components.program\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pulumi_gcp.compute.', "
        "'pulumi_gcp.container.', 'pulumi_gcp.sql.'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_gcp_stack_loads_only_the_resource_modules_it_uses() -> None:
    code = (
        "import sys\nimport plan\nfrom components.gcp import platform\n"
        "print(len([m for m in sys.modules if m.startswith('pulumi_gcp.compute.')]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    # network, subnetwork, router, router_nat, global_address, firewall, _inputs, outputs
    # (of several hundred modules in the package).
    assert int(out.stdout.strip()) <= 10
