"""TLS at the internal gateway: off by default; with an ACM certificate the gateway's NLB
terminates TLS on 443 and the exported gateway URLs are https:// (the chart's in-cluster
GATEWAY_URL stays plain HTTP: the gateway Service behind the NLB speaks HTTP)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from plan.simulator import RecordedResource, run_program
from tests.aws.helpers import AwsRun, run_aws
from tests.helpers import set_path

CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
GATEWAY = ("kubernetes:helm.sh/v3:Release", "addons-istio-gateway")


def _service(run: AwsRun) -> dict[str, Any]:
    return run.one(*GATEWAY).inputs["values"]["service"]


def test_off_by_default(prod: AwsRun) -> None:
    service = _service(prod)
    assert not any("ssl" in k for k in service["annotations"])
    assert "ports" not in service
    assert prod.values["hostDomain"]["prefix"] == "http://"


def test_acm_certificate_terminates_tls_at_the_gateway(config: dict[str, Any]) -> None:
    set_path(config, "aws.gatewayCertificateArn", CERT)
    set_path(config, "istio.hostPrefix", "https://")
    run = run_aws(config)
    service = _service(run)
    assert service["annotations"]["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"] == CERT
    assert service["annotations"]["service.beta.kubernetes.io/aws-load-balancer-ssl-ports"] == "443"
    # Still internal.
    assert service["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"] == (
        "internal"
    )
    https = next(p for p in service["ports"] if p["port"] == 443)
    assert https["targetPort"] == 80  # the NLB hands plain HTTP to the gateway's listener
    assert run.values["hostDomain"]["prefix"] == "http://"
    urls = run.run.exports["gateway_urls"]
    assert urls
    assert all(url.startswith("https://") for url in urls)


def _rejected(config: dict[str, Any]) -> str:
    registered: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as failure:
        run_program(config, recorded=registered)
    assert registered == []
    return str(failure.value)


def test_host_prefix_must_follow_the_certificate(config: dict[str, Any]) -> None:
    set_path(config, "aws.gatewayCertificateArn", CERT)
    message = _rejected(config)
    assert "model-engine-infra:istio.hostPrefix" in message and "https://" in message


def test_certificate_from_another_region_is_rejected(config: dict[str, Any]) -> None:
    set_path(config, "aws.gatewayCertificateArn", CERT.replace("us-west-2", "us-east-1"))
    set_path(config, "istio.hostPrefix", "https://")
    message = _rejected(config)
    assert "model-engine-infra:aws" in message and "its own region" in message
