"""Redis: a non-cluster ElastiCache group with TLS, AUTH and snapshots; the token reaches the
server and KEDA only through Secrets Manager and Kubernetes Secrets, never chart values."""

from __future__ import annotations

import json
from typing import Any

from tests.aws.helpers import AwsRun, run_aws
from tests.helpers import set_path

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
TOKEN = ("random:index/randomPassword:RandomPassword", "platform-cache-auth-token", "result")


def test_replication_group_is_encrypted_authenticated_and_kept(prod: AwsRun) -> None:
    group = prod.one(GROUP, "platform-cache-redis")
    g = group.inputs
    assert g["engine"] == "redis"
    assert g.get("clusterMode") == "disabled" and "numNodeGroups" not in g
    assert g["parameterGroupName"] == "default.redis7"  # cluster-enabled off
    assert g["transitEncryptionEnabled"] is True and g["transitEncryptionMode"] == "required"
    assert g["atRestEncryptionEnabled"] is True
    assert g["kmsKeyId"] == prod.out("aws:kms/key:Key", "platform-data-key", "arn")
    assert g["authToken"] == prod.out(*TOKEN) and "authToken" in group.secret_inputs
    assert g["numCacheClusters"] == 2
    assert g["automaticFailoverEnabled"] is True and g["multiAzEnabled"] is True
    assert g["snapshotRetentionLimit"] == 7 and g["finalSnapshotIdentifier"]
    assert group.protect and prod.options[(GROUP, group.name)].retain_on_delete


def test_no_failover_without_multi_az(config: dict[str, Any]) -> None:
    set_path(config, "aws.redis", {"multiAz": False, "replicas": 0})
    g = run_aws(config).one(GROUP).inputs
    assert g["numCacheClusters"] == 1
    assert g["automaticFailoverEnabled"] is False and g["multiAzEnabled"] is False


def test_only_the_cluster_nodes_reach_it(prod: AwsRun) -> None:
    sg = prod.out("aws:ec2/securityGroup:SecurityGroup", "platform-cache-sg", "id")
    [rule] = [
        r
        for r in prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == sg
    ]
    assert rule.inputs["referencedSecurityGroupId"] == prod.out(
        "aws:eks/cluster:Cluster", "platform-cluster-eks", "vpcConfig.clusterSecurityGroupId"
    )
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (6379, 6379)
    assert prod.one(GROUP).inputs["securityGroupIds"] == [sg]


def test_chart_values_come_from_the_replication_group_and_secrets(prod: AwsRun) -> None:
    host = prod.out(GROUP, "platform-cache-redis", "primaryEndpointAddress")
    assert prod.infra["redis_host"] == host
    url_secret = prod.one(SECRET, "platform-cache-cache-url")
    assert prod.launch["cache_redis_aws_secret_name"] == url_secret.inputs["name"]
    assert "cache_redis_aws_url" not in prod.launch  # the URL holds the token
    redis = prod.values["redis"]
    assert redis["enableTLS"] is True and redis["enableAuth"] is True
    assert redis["kedaSecretName"] == prod.one(SECRET, "platform-cache-keda").inputs["name"]
    assert redis["authSecretName"] == "model-engine-redis-auth"
    assert "auth" not in redis
    assert "randomPassword" not in json.dumps(prod.values)


def test_cache_url_secret_has_tls_token_and_nothing_after_db_15(prod: AwsRun) -> None:
    version = prod.one(VERSION, "platform-cache-cache-url")
    assert version.secret_inputs == ["secretString"]
    host = prod.out(GROUP, "platform-cache-redis", "primaryEndpointAddress")
    assert json.loads(version.inputs["secretString"]) == {
        "cache-url": f"rediss://:{prod.out(*TOKEN)}@{host}:6379/15"
    }
    secret = prod.one(SECRET, "platform-cache-cache-url").inputs
    assert secret["kmsKeyId"] == prod.out("aws:kms/key:Key", "platform-data-key", "arn")


def test_keda_secret_is_the_bare_token(prod: AwsRun) -> None:
    # The chart's TriggerAuthentication passes the whole secret string as the password.
    version = prod.one(VERSION, "platform-cache-keda")
    assert version.inputs["secretString"] == prod.out(*TOKEN)
    assert version.secret_inputs == ["secretString"]


def test_token_reaches_pods_as_a_kubernetes_secret(prod: AwsRun) -> None:
    for ns in ("release", "endpoints"):
        secret = prod.one("kubernetes:core/v1:Secret", f"model-engine-redis-auth-{ns}")
        assert secret.inputs["stringData"] == {"auth_token": prod.out(*TOKEN)}
        assert secret.secret_inputs == ["stringData"]


def test_redis_6_uses_its_real_family_and_no_transit_mode(config: dict[str, Any]) -> None:
    # ElastiCache parameter-group families: redis6.x covers every 6.x; the transit
    # encryption mode arrived with Redis OSS 7.0.5.
    set_path(config, "aws.redis.engineVersion", "6.2")
    g = run_aws(config).one(GROUP).inputs
    assert g["parameterGroupName"] == "default.redis6.x"
    assert g["transitEncryptionEnabled"] is True
    assert "transitEncryptionMode" not in g
