"""InClusterServices (components/incluster/services.py): the order the in-cluster services
start in on an existing cluster."""

from __future__ import annotations

import copy

from tests.conftest import stack_file
from tests.helpers import run_stack, set_path

CNPG_CLUSTER = ("kubernetes:postgresql.cnpg.io/v1:Cluster", "platform-data-postgres-cluster")
STORE = ("kubernetes:helm.sh/v3:Release", "platform-data-object-store-release")


def test_postgres_with_backups_waits_for_the_object_store() -> None:
    """CloudNativePG archives WAL from its first minute; a store that is not up yet fails the
    archive and holds the cluster's first backup."""
    config = copy.deepcopy(stack_file("local"))
    set_path(config, "existing.database.install.backups", {})
    run = run_stack(config, stack="local")
    store = run.one(*STORE)
    assert "backup" in run.one(*CNPG_CLUSTER).inputs["spec"]
    assert store.urn in run.upstream(run.one(*CNPG_CLUSTER))


def test_postgres_without_backups_does_not_wait_for_the_store() -> None:
    run = run_stack(copy.deepcopy(stack_file("local")), stack="local")
    store = run.one(*STORE)
    assert "backup" not in run.one(*CNPG_CLUSTER).inputs["spec"]
    assert store.urn not in run.upstream(run.one(*CNPG_CLUSTER))
