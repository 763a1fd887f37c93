"""Policy pack entry point: `pulumi preview --policy-pack policy`."""

from pulumi_policy import PolicyPack
from rules import POLICIES

PolicyPack(name="model-engine-infra", policies=POLICIES)
