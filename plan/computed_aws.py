"""Simulated AWS: computed outputs of AWS resources and answers to AWS invokes.

Outputs AWS assigns at create time (ids, addresses, endpoints, ARNs, repository URLs, the
OIDC issuer) are `deferred(...)` placeholders that name the resource output, so a chart
value derived from one shows where it comes from. Lookups answer with what they can know
offline: the region and partition from the provider; the account is a placeholder (only
the deployer's credentials know it). An existing EKS cluster is found only if the run's
`Existing` world holds it; otherwise every attribute of the lookup is a placeholder, so
the plan never pretends to know a cluster it has not seen. Concrete ids invented here have
the cloud's own shapes (`vpc-` and 17 hex digits, ARNs with the service's resource path).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_REGION = "us-west-2"
PARTITION = "aws"
DNS_SUFFIX = "amazonaws.com"
CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
GET_CLUSTER = "aws:eks/getCluster:getCluster"


@dataclass(frozen=True)
class ExistingCluster:
    """An EKS cluster that exists before the program runs: what getCluster finds."""

    vpc_id: str
    version: str
    security_group_id: str = "sg-0c0ffee0ddba11a00"
    # The 32-hex-digit id in the cluster's OIDC issuer and API endpoint host.
    oidc_id: str = "5E1F0C2B9A7D4E3F8A6B1C0D2E4F6A8B"


@dataclass(frozen=True)
class Existing:
    """What exists in the simulated account before the program runs."""

    clusters: Mapping[str, ExistingCluster] = field(default_factory=dict)


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
    "aws:cloudwatch/eventRule:EventRule": _outputs("aws:cloudwatch/eventRule:EventRule", "arn"),
    "aws:eks/accessEntry:AccessEntry": _outputs(
        "aws:eks/accessEntry:AccessEntry", "accessEntryArn"
    ),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _outputs(
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "arn"
    ),
    "aws:iam/role:Role": _outputs("aws:iam/role:Role", "arn", "uniqueId", named="name"),
    "aws:iam/policy:Policy": _outputs("aws:iam/policy:Policy", "arn", "policyId", named="name"),
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
    "aws:sns/topic:Topic": _outputs("aws:sns/topic:Topic", "arn", named="name"),
    "aws:ec2/launchTemplate:LaunchTemplate": _outputs(
        "aws:ec2/launchTemplate:LaunchTemplate", "arn", "latestVersion"
    ),
    "aws:ec2/securityGroup:SecurityGroup": _outputs(
        "aws:ec2/securityGroup:SecurityGroup", "arn", named="name"
    ),
}


def account_id() -> str:
    """The account: whoever deploys with their credentials; unknowable offline."""
    return _deferred(CALLER_IDENTITY, "lookup", "accountId")


def _caller_identity(args: dict[str, Any], world: Existing) -> dict[str, Any]:
    return {
        "accountId": account_id(),
        "arn": _deferred(CALLER_IDENTITY, "lookup", "arn"),
        "id": account_id(),
        "userId": _deferred(CALLER_IDENTITY, "lookup", "userId"),
    }


def _region(args: dict[str, Any], world: Existing) -> dict[str, Any]:
    region = args.get("region") or _provider["region"]
    return {
        "region": region,
        "name": region,
        "id": region,
        "endpoint": f"ec2.{region}.{DNS_SUFFIX}",
        "description": region,
    }


def _partition(args: dict[str, Any], world: Existing) -> dict[str, Any]:
    return {
        "partition": PARTITION,
        "dnsSuffix": DNS_SUFFIX,
        "id": PARTITION,
        "reverseDnsPrefix": "com.amazonaws",
    }


_DIRECTIONS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}


def zone_id_prefix(region: str) -> str:
    """AWS's short region code in zone ids: us-west-2 -> usw2, ap-southeast-1 -> apse1."""
    *words, number = region.split("-")
    area, *rest = words
    return area + "".join(_DIRECTIONS.get(w, w[:1]) for w in rest) + number


def _availability_zones(args: dict[str, Any], world: Existing) -> dict[str, Any]:
    region = args.get("region") or _provider["region"]
    names = [f"{region}{suffix}" for suffix in "abcd"]
    return {
        "id": region,
        "names": names,
        "zoneIds": [f"{zone_id_prefix(region)}-az{i + 1}" for i in range(len(names))],
        "groupNames": [region],
        "state": args.get("state"),
    }


def oidc_issuer(region: str, oidc_id: str) -> str:
    return f"https://oidc.eks.{region}.{DNS_SUFFIX}/id/{oidc_id}"


def _get_cluster(args: dict[str, Any], world: Existing) -> dict[str, Any]:
    name = args["name"]
    region = _provider["region"]
    found = world.clusters.get(name)
    if found is None:
        return _unseen_cluster(name)
    return {
        "id": name,
        "name": name,
        "arn": f"arn:{PARTITION}:eks:{region}:{account_id()}:cluster/{name}",
        "endpoint": f"https://{found.oidc_id}.gr7.{region}.eks.{DNS_SUFFIX}",
        "certificateAuthorities": [{"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="}],
        "identities": [{"oidcs": [{"issuer": oidc_issuer(region, found.oidc_id)}]}],
        "vpcConfig": {
            "clusterSecurityGroupId": found.security_group_id,
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
            "publicAccessCidrs": [],
            "securityGroupIds": [],
            "subnetIds": [],
            "vpcId": found.vpc_id,
        },
        "version": found.version,
        "status": "ACTIVE",
    }


def _unseen_cluster(name: str) -> dict[str, Any]:
    """A cluster the simulated account does not hold: every attribute a placeholder."""

    def unknown(attr: str) -> str:
        return _deferred(GET_CLUSTER, name, attr)

    return {
        "id": name,
        "name": name,
        "arn": unknown("arn"),
        "endpoint": unknown("endpoint"),
        "certificateAuthorities": [{"data": unknown("certificateAuthorities[0].data")}],
        "identities": [{"oidcs": [{"issuer": unknown("identities[0].oidcs[0].issuer")}]}],
        "vpcConfig": {
            "clusterSecurityGroupId": unknown("vpcConfig.clusterSecurityGroupId"),
            "vpcId": unknown("vpcConfig.vpcId"),
        },
        "version": unknown("version"),
        "status": "ACTIVE",
    }


def _get_oidc_provider(args: dict[str, Any], world: Existing) -> dict[str, Any]:
    url = str(args.get("url", ""))
    host = url.removeprefix("https://")
    return {
        "arn": f"arn:{PARTITION}:iam::{account_id()}:oidc-provider/{host}",
        "id": host,
        "url": host,
        "clientIdLists": ["sts.amazonaws.com"],
        "thumbprintLists": [],
    }


CallRule = Callable[[dict[str, Any], Existing], dict[str, Any]]

CALLS: dict[str, CallRule] = {
    CALLER_IDENTITY: _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    GET_CLUSTER: _get_cluster,
    "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": _get_oidc_provider,
}
