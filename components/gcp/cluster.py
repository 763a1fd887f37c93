"""GKE Standard: private nodes, Workload Identity, a release channel, no default node pool,
and a Kubernetes provider that authenticates with gke-gcloud-auth-plugin (no stored token).

- Dataplane V2 (Cilium): NetworkPolicy is enforced, and CiliumClusterwideNetworkPolicy is
  on for the policy that keeps Memorystore to its clients (cache.py).
- Upgrades: the cluster is created at the stack's minor version and a NO_MINOR_UPGRADES
  exclusion holds it there until that minor's end of support (the pinned add-ons support a
  few minors only); patches land in the weekly maintenance window.
- Secrets (the database URLs among them) are encrypted at the application layer with a
  Cloud KMS key, which GKE's service agent may use before the cluster is created.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pulumi_gcp import kms, organizations
from pulumi_gcp.container import Cluster as GkeCluster
from pulumi_gcp.container import (
    ClusterAddonsConfigArgs,
    ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs,
    ClusterDatabaseEncryptionArgs,
    ClusterIpAllocationPolicyArgs,
    ClusterMaintenancePolicyArgs,
    ClusterMaintenancePolicyMaintenanceExclusionArgs,
    ClusterMaintenancePolicyMaintenanceExclusionExclusionOptionsArgs,
    ClusterMaintenancePolicyRecurringWindowArgs,
    ClusterMasterAuthorizedNetworksConfigArgs,
    ClusterMasterAuthorizedNetworksConfigCidrBlockArgs,
    ClusterNodeConfigArgs,
    ClusterNodeConfigShieldedInstanceConfigArgs,
    ClusterNodeConfigWorkloadMetadataConfigArgs,
    ClusterPrivateClusterConfigArgs,
    ClusterReleaseChannelArgs,
    ClusterWorkloadIdentityConfigArgs,
)

from components import waits
from components.gcp import settings as gcp_settings
from components.gcp.apis import after_apis
from components.gcp.common import GKE_TIMEOUTS, KMS_ENCRYPTER, PART_OF_LABEL, child, trim_name
from components.kubeconfig import exec_kubeconfig
from components.propagation import Propagation

OAUTH_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
# Pods see only the GKE metadata server, which hands out their Workload Identity.
WORKLOAD_METADATA = "GKE_METADATA"
# Dataplane V2: eBPF datapath that enforces NetworkPolicy (no Calico add-on).
DATAPATH = "ADVANCED_DATAPATH"
# Minor upgrades wait until the pinned minor's end of support (module docstring). The
# exclusion needs a start; any instant before the cluster exists will do.
MINOR_UPGRADE_HOLD = "NO_MINOR_UPGRADES"
MINOR_UPGRADE_HOLD_START = "2026-12-01T00:00:00Z"
UNTIL_END_OF_SUPPORT = "UNTIL_END_OF_SUPPORT"
SECRETS_KEY = "gke-secrets"
# Google's recommendation for symmetric keys; old versions keep decrypting.
SECRETS_KEY_ROTATION = f"{90 * 86400}s"


def gke_service_agent(project_number: str) -> str:
    """The GKE service agent: it encrypts and decrypts Secrets with the cluster's key."""
    return f"serviceAccount:service-{project_number}@container-engine-robot.iam.gserviceaccount.com"


def recurring_window(
    window: gcp_settings.Maintenance,
) -> ClusterMaintenancePolicyRecurringWindowArgs:
    """The weekly window as GKE takes it: a first occurrence (any past week; GKE uses only
    its time of day and length) and an RRULE."""
    start = f"2026-01-01T{window.start_hour_utc:02d}:00:00Z"
    end_hour = window.start_hour_utc + window.hours
    end_day = 1 + end_hour // 24
    end = f"2026-01-{end_day:02d}T{end_hour % 24:02d}:00:00Z"
    return ClusterMaintenancePolicyRecurringWindowArgs(
        start_time=start, end_time=end, recurrence=f"FREQ=WEEKLY;BYDAY={','.join(window.days)}"
    )


def workload_pool(project: str) -> str:
    return f"{project}.svc.id.goog"


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str) -> str:
    """A kubeconfig that authenticates with gke-gcloud-auth-plugin (no credential stored)."""
    return exec_kubeconfig(
        cluster_name,
        f"https://{endpoint}",
        ca_data,
        {
            "command": "gke-gcloud-auth-plugin",
            "provideClusterInfo": True,
            "interactiveMode": "Never",
            "installHint": "gcloud components install gke-gcloud-auth-plugin",
        },
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
    region: str
    environment: str
    maintenance: gcp_settings.Maintenance
    # The API services: the project lookup waits for them (apis.after_apis).
    apis: Sequence[pulumi.Resource] = ()


class Cluster(pulumi.ComponentResource):
    cluster: GkeCluster
    name: pulumi.Output[str]
    provider: k8s.Provider

    secrets_key: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:gcp:Cluster", name, None, opts)
        cfg = args.settings
        authorized = cfg.master_authorized_networks
        # GKE checks at creation that its service agent may use the key.
        key_propagation = Propagation(
            f"{name}-secrets-key-gke",
            waits.GCP_IAM_PROPAGATION,
            "the GKE service agent's grant on the Secrets key",
        )
        self.secrets_key, key_grant = self._secrets_key(name, args, key_propagation)
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
            maintenance_policy=ClusterMaintenancePolicyArgs(
                recurring_window=recurring_window(args.maintenance),
                maintenance_exclusions=[
                    ClusterMaintenancePolicyMaintenanceExclusionArgs(
                        exclusion_name="hold-minor-version",
                        start_time=MINOR_UPGRADE_HOLD_START,
                        exclusion_options=(
                            ClusterMaintenancePolicyMaintenanceExclusionExclusionOptionsArgs(
                                scope=MINOR_UPGRADE_HOLD, end_time_behavior=UNTIL_END_OF_SUPPORT
                            )
                        ),
                    )
                ],
            ),
            datapath_provider=DATAPATH,
            enable_cilium_clusterwide_network_policy=True,
            database_encryption=ClusterDatabaseEncryptionArgs(
                state="ENCRYPTED", key_name=self.secrets_key
            ),
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
            # GKE checks that its service agent may use the key when it creates the cluster.
            opts=child(
                self,
                custom_timeouts=GKE_TIMEOUTS,
                depends_on=[key_grant],
                hooks=pulumi.ResourceHookBinding(before_create=[key_propagation.propagated]),
            ),
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

    def _secrets_key(
        self, name: str, args: ClusterArgs, propagation: Propagation
    ) -> tuple[pulumi.Output[str], kms.CryptoKeyIAMMember]:
        """The stack's key, or a key ring and key made here (protected like the data: a
        destroyed key leaves the Secrets unreadable), and the GKE agent's grant on it."""
        given = args.settings.secrets_kms_key
        if given:
            key_id: pulumi.Output[str] = pulumi.Output.from_input(given)
        else:
            # A key ring is never deleted, so its name is taken for good: a random suffix
            # lets a stack destroyed and created again (same environment) make a new one.
            suffix = random.RandomString(
                f"{name}-key-ring-suffix", length=6, special=False, upper=False, opts=child(self)
            )
            ring = kms.KeyRing(
                f"{name}-key-ring",
                name=suffix.result.apply(
                    lambda s: f"{trim_name(f'model-engine-{args.environment}', 56)}-{s}"
                ),
                location=args.region,
                project=args.project,
                opts=child(self, protect=args.protect, retain_on_delete=True),
            )
            key = kms.CryptoKey(
                f"{name}-secrets-key",
                name=SECRETS_KEY,
                key_ring=ring.id,
                purpose="ENCRYPT_DECRYPT",
                rotation_period=SECRETS_KEY_ROTATION,
                labels={**PART_OF_LABEL, **args.labels},
                opts=child(self, protect=args.protect, retain_on_delete=True),
            )
            key_id = key.id
        project = organizations.get_project_output(
            project_id=args.project, opts=after_apis(self, args.apis)
        )
        grant = kms.CryptoKeyIAMMember(
            f"{name}-secrets-key-gke",
            crypto_key_id=key_id,
            role=KMS_ENCRYPTER,
            member=project.number.apply(gke_service_agent),
            opts=child(self, hooks=pulumi.ResourceHookBinding(after_create=[propagation.granted])),
        )
        return key_id, grant
