"""PostgreSQL: private, encrypted, TLS-only, backed up RDS; credentials reach the chart only
through a Secret (Kubernetes, or Secrets Manager by setting)."""

from __future__ import annotations

import json
from typing import Any

from tests.aws.helpers import AwsRun, run_aws
from tests.helpers import set_path

RDS = "aws:rds/instance:Instance"
PASSWORD = ("random:index/randomPassword:RandomPassword", "platform-database-password")


def test_instance_is_private_encrypted_and_backed_up(prod: AwsRun) -> None:
    db = prod.one(RDS, "platform-database-postgres")
    i = db.inputs
    assert i["engine"] == "postgres" and int(i["engineVersion"]) >= 14
    assert i["multiAz"] is True
    assert i["storageEncrypted"] is True
    assert i["kmsKeyId"] == prod.out("aws:kms/key:Key", "platform-data-key", "arn")
    assert i["backupRetentionPeriod"] >= 7
    assert i["deletionProtection"] is True
    assert i["skipFinalSnapshot"] is False and i["finalSnapshotIdentifier"]
    assert i["publiclyAccessible"] is False
    assert i["parameterGroupName"] == prod.out(
        "aws:rds/parameterGroup:ParameterGroup", "platform-database-params", "name"
    )
    params = prod.one("aws:rds/parameterGroup:ParameterGroup").inputs
    assert params["family"] == "postgres16"
    assert {(p["name"], p["value"]) for p in params["parameters"]} == {("rds.force_ssl", "1")}
    # The password is generated and travels only as a secret.
    assert i["password"] == prod.out(*PASSWORD, "result")
    assert "password" in db.secret_inputs
    assert db.protect and prod.options[(RDS, db.name)].retain_on_delete


def test_only_the_cluster_nodes_reach_it(prod: AwsRun) -> None:
    sg = prod.one("aws:ec2/securityGroup:SecurityGroup", "platform-database-sg")
    assert "ingress" not in sg.inputs and "egress" not in sg.inputs
    [rule] = [
        r
        for r in prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == prod.out(sg.type, sg.name, "id")
    ]
    assert rule.inputs["referencedSecurityGroupId"] == prod.out(
        "aws:eks/cluster:Cluster", "platform-cluster-eks", "vpcConfig.clusterSecurityGroupId"
    )
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (5432, 5432)
    assert "cidrIpv4" not in rule.inputs
    assert prod.one(RDS).inputs["vpcSecurityGroupIds"] == [prod.out(sg.type, sg.name, "id")]


def test_chart_gets_the_kubernetes_secret_route(prod: AwsRun) -> None:
    assert prod.values["secrets"] == {"kubernetesDatabaseSecretName": "model-engine-database"}
    host = prod.out(RDS, "platform-database-postgres", "address")
    for ns in ("release", "endpoints"):
        secret = prod.one("kubernetes:core/v1:Secret", f"model-engine-database-{ns}")
        assert secret.secret_inputs == ["stringData"]
        url = secret.inputs["stringData"]["database_url"]
        assert url.startswith("postgresql://llm_engine:")
        assert f"@{host}:5432/llm_engine?sslmode=require" in url
    assert prod.of_type("aws:secretsmanager/secret:Secret") != []  # Redis only
    assert all("database" not in s.name for s in prod.of_type("aws:secretsmanager/secret:Secret"))


def test_secrets_manager_route_by_setting(config: dict[str, Any]) -> None:
    set_path(config, "aws.database.useSecretsManagerRoute", True)
    run = run_aws(config)
    secret = run.one("aws:secretsmanager/secret:Secret", "platform-database-secret")
    assert run.values["secrets"] == {"cloudDatabaseSecretName": secret.inputs["name"]}
    assert secret.inputs["kmsKeyId"] == run.out("aws:kms/key:Key", "platform-data-key", "arn")
    version = run.one("aws:secretsmanager/secretVersion:SecretVersion", "platform-database-secret")
    assert version.secret_inputs == ["secretString"]
    body = json.loads(version.inputs["secretString"])
    host = run.out(RDS, "platform-database-postgres", "address")
    assert body == {
        "username": "llm_engine",
        "password": run.out(*PASSWORD, "result"),
        "clusterHost": host,
        "clusterHostRo": host,
        "port": 5432,
        "dbname": "llm_engine",
    }
    # No Kubernetes database Secret then, and the pods may read exactly this secret.
    assert not [s for s in run.of_type("kubernetes:core/v1:Secret") if "database" in s.name]
    [secrets] = [
        s
        for s in run.policy("platform-identity-model-engine")["Statement"]
        if s["Sid"] == "Secrets"
    ]
    assert (
        run.out("aws:secretsmanager/secret:Secret", "platform-database-secret", "arn")
        in (secrets["Resource"])
    )


def test_single_az_and_unprotected_when_chosen(config: dict[str, Any]) -> None:
    set_path(config, "aws.database.multiAz", False)
    set_path(config, "protect", False)
    run = run_aws(config)
    db = run.one(RDS)
    assert db.inputs["multiAz"] is False
    assert db.inputs["deletionProtection"] is False  # follows `protect` unless set
    assert not db.protect and not run.options[(RDS, db.name)].retain_on_delete
    # Still encrypted and backed up: those are not choices.
    assert db.inputs["storageEncrypted"] is True and db.inputs["backupRetentionPeriod"] >= 7
