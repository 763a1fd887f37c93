"""Running the GCP example stack against the simulated cloud, and reading what it made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.helpers import StackRun, example_config, run_stack

STACK = "gcp-prod"
PROJECT_ID = "customer-llm-prod"
REGION = "us-central1"

SQL = "gcp:sql/databaseInstance:DatabaseInstance"
REDIS = "gcp:redis/instance:Instance"
REPOSITORY = "gcp:artifactregistry/repository:Repository"
BUCKET = "gcp:storage/bucket:Bucket"
ACCOUNT = "gcp:serviceaccount/account:Account"
CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"


def gcp_config() -> dict[str, Any]:
    """The GCP example stack, free to mutate."""
    return example_config(STACK)


@dataclass
class GcpRun(StackRun):
    def state(self, typ: str, name: str, attr: str) -> Any:
        """An output as the (simulated) cloud computed it for that one resource."""
        return self.one(typ, name).state[attr]

    def email(self, account: str) -> str:
        return self.state(ACCOUNT, account, "email")


def run_gcp(config: dict[str, Any]) -> GcpRun:
    return GcpRun(**vars(run_stack(config)))
