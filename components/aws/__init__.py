"""The AWS platform (EKS, RDS, ElastiCache, SQS, ECR, S3).

PLATFORM is what the program knows of it (components/platform.py describes the interface and
the package's layout); this module imports no provider SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.aws.catalog import CATALOG
from components.platform import Platform

if TYPE_CHECKING:
    # Only for the type checker (the quoted type argument below): PLATFORM.settings_block
    # imports it when first asked for, so listing the platforms creates no settings class.
    from components.aws.settings import AwsSettings  # noqa: F401


class Aws(Platform["AwsSettings"]):
    cloud = "aws"
    cloud_provider = "aws"
    catalog = CATALOG
    # Managed node groups grow (and start from zero) only through the cluster autoscaler.
    needs_cluster_autoscaler = True
    # EKS runs neither metrics-server nor a GPU device plugin unless asked to.
    # The VPC CNI enforces NetworkPolicy with its network policy agent, which the cluster's
    # vpc-cni add-on switches on (cluster.py VPC_CNI_CONFIGURATION).
    enforces_network_policy = True
    # Its CloudWatch alarms publish to the stack's SNS topic (or this one), and Alertmanager
    # publishes model-engine's Prometheus alerts to the same topic itself.
    alert_target = "sns_topic_arn"
    alertmanager_delivers = True


PLATFORM = Aws()
