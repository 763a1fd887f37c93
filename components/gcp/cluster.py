"""GKE Standard: private nodes, Workload Identity, a release channel, no default node pool,
and a Kubernetes provider that authenticates with gke-gcloud-auth-plugin (no stored token)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from pulumi_gcp.container import Cluster as GkeCluster
from pulumi_gcp.container import (
    ClusterAddonsConfigArgs,
    ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs,
    ClusterIpAllocationPolicyArgs,
    ClusterMasterAuthorizedNetworksConfigArgs,
    ClusterMasterAuthorizedNetworksConfigCidrBlockArgs,
    ClusterNodeConfigArgs,
    ClusterNodeConfigShieldedInstanceConfigArgs,
    ClusterNodeConfigWorkloadMetadataConfigArgs,
    ClusterPrivateClusterConfigArgs,
    ClusterReleaseChannelArgs,
    ClusterWorkloadIdentityConfigArgs,
)

from components.gcp import settings as gcp_settings
from components.gcp.common import GKE_TIMEOUTS, PART_OF_LABEL, child

OAUTH_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
# Pods see only the GKE metadata server, which hands out their Workload Identity.
WORKLOAD_METADATA = "GKE_METADATA"


def workload_pool(project: str) -> str:
    return f"{project}.svc.id.goog"


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str) -> str:
    """A kubeconfig that authenticates with gke-gcloud-auth-plugin (no credential stored)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {
                        "server": f"https://{endpoint}",
                        "certificate-authority-data": ca_data,
                    },
                }
            ],
            "contexts": [
                {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
            ],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "gke-gcloud-auth-plugin",
                            "provideClusterInfo": True,
                            "interactiveMode": "Never",
                            "installHint": ("gcloud components install gke-gcloud-auth-plugin"),
                        }
                    },
                }
            ],
        }
    )


@dataclass
class ClusterArgs:
    settings: gcp_settings.Cluster
    name: str
    project: str
    location: str
    network: pulumi.Input[str]
    subnetwork: pulumi.Input[str]
    pods_range_name: str
    services_range_name: str
    node_service_account: pulumi.Input[str]
    labels: dict[str, str]
    protect: bool


class Cluster(pulumi.ComponentResource):
    cluster: GkeCluster
    name: pulumi.Output[str]
    provider: k8s.Provider

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:gcp:Cluster", name, None, opts)
        cfg = args.settings
        authorized = cfg.master_authorized_networks
        self.cluster = GkeCluster(
            f"{name}-gke",
            name=args.name,
            project=args.project,
            location=args.location,
            network=args.network,
            subnetwork=args.subnetwork,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=args.pods_range_name,
                services_secondary_range_name=args.services_range_name,
            ),
            # Node pools are managed separately; GKE needs one node to create the cluster.
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=ClusterNodeConfigArgs(
                service_account=args.node_service_account,
                oauth_scopes=OAUTH_SCOPES,
                workload_metadata_config=ClusterNodeConfigWorkloadMetadataConfigArgs(
                    mode=WORKLOAD_METADATA
                ),
                shielded_instance_config=ClusterNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
            ),
            release_channel=ClusterReleaseChannelArgs(channel=cfg.release_channel),
            min_master_version=cfg.version,
            workload_identity_config=ClusterWorkloadIdentityConfigArgs(
                workload_pool=workload_pool(args.project)
            ),
            private_cluster_config=ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                # No authorized networks: the API is reachable only from inside the VPC.
                enable_private_endpoint=not authorized,
                master_ipv4_cidr_block=cfg.master_cidr,
            ),
            master_authorized_networks_config=ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[
                    ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                        cidr_block=cidr, display_name="deployer"
                    )
                    for cidr in authorized
                ],
                gcp_public_cidrs_access_enabled=False,
            ),
            enable_shielded_nodes=True,
            enable_legacy_abac=False,
            addons_config=ClusterAddonsConfigArgs(
                gce_persistent_disk_csi_driver_config=(
                    ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(enabled=True)
                ),
            ),
            resource_labels={**PART_OF_LABEL, **args.labels},
            deletion_protection=args.protect,
            opts=child(self, custom_timeouts=GKE_TIMEOUTS),
        )
        self.name = self.cluster.name
        config = pulumi.Output.all(
            self.cluster.name,
            self.cluster.endpoint,
            self.cluster.master_auth.cluster_ca_certificate,
        ).apply(lambda a: kubeconfig(a[0], a[1], a[2] or ""))
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=config,
            opts=child(self),
        )
        self.register_outputs({"name": self.name, "endpoint": self.cluster.endpoint})
