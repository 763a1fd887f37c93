"""The fourth platform's node catalog: three made-up T4 node types, small enough that a test
can work out their allocatable by hand (components/instances.py describes the rows).

Its kubelet keeps a flat reservation and one node agent runs on every GPU node, so the fit
model's share (capacity, eviction thresholds, the sum) is all that remains to check."""

from __future__ import annotations

from components.instances import GIB, Catalog, NodeType, Reservation

NODES = {
    "f1.8x": NodeType(vcpus=8, memory_gib=64, local_disk_gb=0, network_gbps=10),
    "f1.32x": NodeType(vcpus=32, memory_gib=256, local_disk_gb=1000, network_gbps=40, disks=2),
    "f1.64x": NodeType(vcpus=64, memory_gib=512, local_disk_gb=0, network_gbps=100),
}


def reserved(node: NodeType, disk_gib: float, on_local_disk: bool) -> Reservation:
    """200m CPU and 1 GiB memory on every node; 2 GiB of the root disk, 4 GiB of local disk."""
    return Reservation(cpu_m=200, memory_mi=GIB, storage_mi=(4 if on_local_disk else 2) * GIB)


CATALOG = Catalog(
    source="tests/fourth_platform/catalog.py",
    accelerators={"t4": {"f1.8x": 1, "f1.32x": 4, "f1.64x": 8}},
    nodes=NODES,
    root_disk="fourth root",
    local_disk="fourth local",
    max_root_disk_gb=1000,
    root_disk_mbps=lambda size_gb, provisioned: 100.0,
    local_disk_mbps=lambda node: 200.0 * node.disks,
    reserved=reserved,
    daemonsets=(("fourth-node-agent", 150, 256),),
    held_capacity={"reservation": "a fourth reservation", "capacity-block": "a fourth block"},
)
