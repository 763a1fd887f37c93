"""The AWS platform (EKS, RDS, ElastiCache, SQS, ECR, S3).

PLATFORM is what the program knows of it (components/platform.py describes the interface and
the package's layout); this module imports no provider SDK."""

from __future__ import annotations

from collections.abc import Callable

from components.aws.catalog import CATALOG
from components.platform import Platform, PlatformArgs, PlatformComponent, PlatformFactsModule


class Aws(Platform):
    cloud = "aws"
    cloud_provider = "aws"
    catalog = CATALOG
    # Managed node groups grow (and start from zero) only through the cluster autoscaler.
    needs_cluster_autoscaler = True
    # EKS runs neither metrics-server nor a GPU device plugin unless asked to.
    # The VPC CNI enforces NetworkPolicy with its network policy agent, which the cluster's
    # vpc-cni add-on switches on (cluster.py VPC_CNI_CONFIGURATION).
    enforces_network_policy = True

    def facts(self) -> PlatformFactsModule:
        from components.aws import facts

        return facts

    def component(self) -> Callable[[str, PlatformArgs], PlatformComponent]:
        from components.aws.platform import AwsPlatform

        return AwsPlatform


PLATFORM = Aws()
