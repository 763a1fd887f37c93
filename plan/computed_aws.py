"""Simulated AWS: computed outputs of AWS resources and answers to AWS invokes.

Outputs AWS assigns at create time (addresses, endpoints, ARNs, repository URLs, the OIDC
issuer) are `deferred(...)` placeholders that name the resource output, so a chart value
derived from one shows where it comes from. Lookups (account, region, partition, AZs, an
existing cluster) answer with plausible fixed values, as a real preview would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-west-2"
PARTITION = "aws"
DNS_SUFFIX = "amazonaws.com"
# An existing cluster's lookups (getCluster) answer with these.
EXISTING_CLUSTER_SECURITY_GROUP = "sg-0123456789abcdef0"
EXISTING_OIDC_ID = "EXAMPLED539D4633E53DE1B71EXAMPLE"

Rule = Callable[[str, dict[str, Any]], dict[str, Any]]

# Like the real provider, invokes answer for the region the AWS provider was configured
# with; the provider's registration records it here.
_provider = {"region": DEFAULT_REGION}


def _deferred(typ: str, name: str, attr: str) -> str:
    from plan.simulator import deferred

    return deferred(typ, name, attr)


def _outputs(typ: str, *attrs: str, named: str | None = None) -> Rule:
    """Each attr a placeholder; `named`: the physical-name input, a placeholder when the
    program lets AWS (auto-naming) choose it."""

    def rule(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        out = {attr: _deferred(typ, name, attr) for attr in attrs}
        if named and not inputs.get(named):
            out[named] = _deferred(typ, name, named)
        return out

    return rule


def _provider_rule(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    region = inputs.get("region")
    _provider["region"] = region if isinstance(region, str) and region else DEFAULT_REGION
    return {}


def _eks_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    typ = "aws:eks/cluster:Cluster"
    vpc = dict(inputs.get("vpcConfig") or {})
    vpc["clusterSecurityGroupId"] = _deferred(typ, name, "vpcConfig.clusterSecurityGroupId")
    vpc.setdefault("vpcId", _deferred(typ, name, "vpcConfig.vpcId"))
    return {
        "arn": _deferred(typ, name, "arn"),
        "endpoint": _deferred(typ, name, "endpoint"),
        "certificateAuthority": {"data": _deferred(typ, name, "certificateAuthority.data")},
        "identities": [
            {"oidcs": [{"issuer": _deferred(typ, name, "identities[0].oidcs[0].issuer")}]}
        ],
        "vpcConfig": vpc,
        "status": "ACTIVE",
    }


def _node_group(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    typ = "aws:eks/nodeGroup:NodeGroup"
    return {
        "arn": _deferred(typ, name, "arn"),
        "nodeGroupName": inputs.get("nodeGroupName") or _deferred(typ, name, "nodeGroupName"),
        "resources": [
            {"autoscalingGroups": [{"name": _deferred(typ, name, "autoscalingGroups[0].name")}]}
        ],
        "status": "ACTIVE",
    }


def _rds_instance(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    typ = "aws:rds/instance:Instance"
    return {
        "address": _deferred(typ, name, "address"),
        "endpoint": _deferred(typ, name, "endpoint"),
        "arn": _deferred(typ, name, "arn"),
        "port": inputs.get("port", 5432),
    }


RESOURCES: dict[str, Rule] = {
    "pulumi:providers:aws": _provider_rule,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:eks/accessEntry:AccessEntry": _outputs(
        "aws:eks/accessEntry:AccessEntry", "accessEntryArn"
    ),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _outputs(
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "arn"
    ),
    "aws:iam/role:Role": _outputs("aws:iam/role:Role", "arn", "uniqueId", named="name"),
    "aws:kms/key:Key": _outputs("aws:kms/key:Key", "arn", "keyId"),
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/subnetGroup:SubnetGroup": _outputs(
        "aws:rds/subnetGroup:SubnetGroup", "arn", named="name"
    ),
    "aws:rds/parameterGroup:ParameterGroup": _outputs(
        "aws:rds/parameterGroup:ParameterGroup", "arn", named="name"
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": _outputs(
        "aws:elasticache/subnetGroup:SubnetGroup", "arn", named="name"
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": _outputs(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "arn",
        "primaryEndpointAddress",
        "readerEndpointAddress",
    ),
    "aws:ecr/repository:Repository": _outputs(
        "aws:ecr/repository:Repository", "arn", "repositoryUrl", "registryId"
    ),
    "aws:secretsmanager/secret:Secret": _outputs(
        "aws:secretsmanager/secret:Secret", "arn", named="name"
    ),
    "aws:s3/bucket:Bucket": _outputs("aws:s3/bucket:Bucket", "arn", named="bucket"),
    "aws:cloudwatch/logGroup:LogGroup": _outputs("aws:cloudwatch/logGroup:LogGroup", "arn"),
    "aws:ec2/launchTemplate:LaunchTemplate": _outputs(
        "aws:ec2/launchTemplate:LaunchTemplate", "arn", "latestVersion"
    ),
    "aws:ec2/securityGroup:SecurityGroup": _outputs(
        "aws:ec2/securityGroup:SecurityGroup", "arn", named="name"
    ),
}


def _caller_identity(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/deployer",
        "id": ACCOUNT_ID,
        "userId": "AIDAEXAMPLEDEPLOYER",
    }


def _region(args: dict[str, Any]) -> dict[str, Any]:
    region = args.get("region") or _provider["region"]
    return {
        "region": region,
        "name": region,
        "id": region,
        "endpoint": f"ec2.{region}.{DNS_SUFFIX}",
        "description": region,
    }


def _partition(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "partition": PARTITION,
        "dnsSuffix": DNS_SUFFIX,
        "id": PARTITION,
        "reverseDnsPrefix": "com.amazonaws",
    }


def _availability_zones(args: dict[str, Any]) -> dict[str, Any]:
    region = args.get("region") or _provider["region"]
    names = [f"{region}{suffix}" for suffix in "abcd"]
    return {
        "id": region,
        "names": names,
        "zoneIds": [f"usw2-az{i + 1}" for i in range(len(names))],
        "groupNames": [region],
        "state": args.get("state"),
    }


def oidc_issuer(region: str) -> str:
    return f"https://oidc.eks.{region}.{DNS_SUFFIX}/id/{EXISTING_OIDC_ID}"


def _get_cluster(args: dict[str, Any]) -> dict[str, Any]:
    name = args["name"]
    region = _provider["region"]
    return {
        "id": name,
        "name": name,
        "arn": f"arn:{PARTITION}:eks:{region}:{ACCOUNT_ID}:cluster/{name}",
        "endpoint": f"https://{EXISTING_OIDC_ID}.gr7.{region}.eks.{DNS_SUFFIX}",
        "certificateAuthorities": [{"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="}],
        "identities": [{"oidcs": [{"issuer": oidc_issuer(region)}]}],
        "vpcConfig": {
            "clusterSecurityGroupId": EXISTING_CLUSTER_SECURITY_GROUP,
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
            "publicAccessCidrs": [],
            "securityGroupIds": [],
            "subnetIds": [],
            "vpcId": "vpc-0123456789abcdef0",
        },
        "version": "1.33",
        "status": "ACTIVE",
    }


def _get_oidc_provider(args: dict[str, Any]) -> dict[str, Any]:
    url = str(args.get("url", ""))
    host = url.removeprefix("https://")
    return {
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:oidc-provider/{host}",
        "id": host,
        "url": host,
        "clientIdLists": ["sts.amazonaws.com"],
        "thumbprintLists": [],
    }


CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:eks/getCluster:getCluster": _get_cluster,
    "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": _get_oidc_provider,
}
