"""Derived, not typed: every AWS fact in the chart values comes from a lookup or a resource
output, and the example stack holds only genuine choices."""

from __future__ import annotations

import re
from typing import Any

import yaml

from components.aws import PLATFORM
from components.aws import facts as aws_facts
from components.contract import is_deferred
from components.model_engine.chart_facts import repository_name_problem
from components.program import check
from plan import computed_aws
from tests.aws.helpers import STACK, AwsRun, prod_config, run_aws
from tests.conftest import ROOT
from tests.helpers import set_path, settings_from


def test_account_region_and_cluster_come_from_aws(prod: AwsRun) -> None:
    infra = prod.infra
    assert infra["cloud_provider"] == "aws"
    # getCallerIdentity: a string, never a number.
    assert infra["ml_account_id"] == computed_aws.account_id()
    assert isinstance(infra["ml_account_id"], str)
    assert infra["default_region"] == "us-west-2"  # getRegion on the stack's provider
    assert infra["k8s_cluster_name"] == prod.one("aws:eks/cluster:Cluster").inputs["name"]
    assert prod.values["config"]["values"]["launch"]["endpoint_namespace"] == "llm-engine"


def test_a_new_region_changes_every_derived_value(config: dict[str, Any]) -> None:
    set_path(config, "aws.region", "eu-west-1")
    run = run_aws(config)
    assert run.one("pulumi:providers:aws").inputs["region"] == "eu-west-1"
    assert run.infra["default_region"] == "eu-west-1"
    account = computed_aws.account_id()
    assert run.infra["docker_repo_prefix"] == f"{account}.dkr.ecr.eu-west-1.amazonaws.com"
    assert ":sqs:eu-west-1:" in run.launch["sqs_queue_policy_template"]
    env = {e["name"]: e.get("value") for e in run.values["extraEnvVars"]}
    assert env["AWS_REGION"] == "eu-west-1"
    assert "us-west-2" not in str(run.values["config"])


def test_stack_file_holds_no_derived_value() -> None:
    text = (ROOT / "stacks" / f"Pulumi.{STACK}.yaml").read_text()
    config = yaml.safe_load(text)["config"]
    assert config["model-engine-infra:cloud"] == "aws"
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"\b\d{12}\b", body), "an account id"
    for derived in ("arn:", ".dkr.ecr.", ".amazonaws.com", "rediss://", "s3://", "sg-", "subnet-"):
        assert derived not in body, derived
    # The only secrets the platform needs it generates itself.
    assert not [k for k, v in config.items() if isinstance(v, dict) and "secure" in v]


def test_preview_facts_mark_what_only_a_deploy_knows() -> None:
    settings = settings_from(prod_config())
    facts = aws_facts.preview_facts(settings)
    assert facts.cloud_provider == "aws" and facts.broker.kind == "sqs"
    assert facts.cache.tls is True and facts.cache.auth is True
    assert facts.cluster_name == "model-engine-customer-prod"
    assert facts.region == "us-west-2"
    for unknown in (
        facts.account_id,
        facts.database.host,
        facts.cache.host,
        facts.registry.prefix,
        facts.identities.aws_role_arn,
    ):
        assert is_deferred(unknown), unknown
    # Repository names are the program's own choice, known before deploy (and relative).
    for key, name in facts.registry.repositories.items():
        assert not is_deferred(name) and repository_name_problem(name) is None, key
    # No secret env: facts.py states none, so the interface's default gives none.
    assert list(PLATFORM.secret_env_keys(settings)) == []
    # The preflight judges the chart values from them without error.
    findings = check(settings)
    assert not [f for f in findings if f.level == "error"]
