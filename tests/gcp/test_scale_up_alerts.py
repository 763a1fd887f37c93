"""GKE pools that cannot grow reach the notification channel: a log-based metric counts the
cluster autoscaler's failed scale-ups, and a policy fires on any."""

from __future__ import annotations

from tests.gcp.helpers import CLUSTER, PROJECT_ID, GcpRun

METRIC = "gcp:logging/metric:Metric"
POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"


def test_failed_scale_ups_are_counted_and_alerted(prod: GcpRun) -> None:
    metric = prod.one(METRIC).inputs
    cluster = prod.state(CLUSTER, "platform-cluster-gke", "name")
    assert f'resource.labels.cluster_name="{cluster}"' in metric["filter"]
    assert (
        f'logName="projects/{PROJECT_ID}/logs/container.googleapis.com%2Fcluster-autoscaler-'
        'visibility"' in metric["filter"]
    )
    assert 'errorMsg.messageId=~"^scale.up.error"' in metric["filter"]
    assert metric["metricDescriptor"] == {"metricKind": "DELTA", "valueType": "INT64"}

    policy = prod.one(POLICY, "platform-alerts-gke-scale-up-errors")
    (condition,) = policy.inputs["conditions"]
    threshold = condition["conditionThreshold"]
    assert f'metric.type="logging.googleapis.com/user/{metric["name"]}"' in threshold["filter"]
    assert threshold["comparison"] == "COMPARISON_GT" and threshold.get("thresholdValue", 0) == 0
    # The policy names a metric that must exist first.
    assert prod.one(METRIC).urn in policy.dependencies
    sql = prod.one(POLICY, "platform-alerts-database-cpu").inputs
    assert policy.inputs["notificationChannels"] == sql["notificationChannels"]
