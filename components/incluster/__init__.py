"""Backing services installed in the cluster, for the `existing` platform.

For clusters with no managed PostgreSQL, Redis, object store or registry (on-prem, air-gapped,
kind/k3s): each service is either the operator's own (the `existing` block's host keys) or
installed here (the block's `install` key). Every module keeps its settings model next to its
component and a pure `address`-style function, so the platform derives the chart values from
the stack file alone, before any resource exists, exactly as for an external service.
"""
