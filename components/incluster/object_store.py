"""S3-compatible object storage installed in the cluster: SeaweedFS in all-in-one mode.

What the pinned model-engine server asks of the store (onprem, file:line at the pin):
- boto3 clients and resources with `endpoint_url` from env S3_ENDPOINT_URL and path-style
  addressing (`infra/gateways/s3_utils.py:34-40,58-60,83-85`); the chart's top-level
  `s3EndpointUrl` sets that env. Calls: ListObjectsV2 through `Bucket.objects.filter`,
  GetObject through `Bucket.download_file` (`s3_llm_artifact_gateway.py:57-124`),
  HeadObject, DeleteObject, ListObjectsV2, PutObject/GetObject through smart_open, a
  presigned GET URL (`s3_file_storage_gateway.py:28-79`, `s3_filesystem_gateway.py:27-37`),
  `upload_fileobj` (multipart above 8 MiB) in endpoint containers, whose clients are signed
  for region us-west-2 whatever the stack says (`inference/common.py:29-30`,
  `inference/service_requests.py:46-47`), HeadBucket (`core/aws/storage_client.py:50`).
- s5cmd in endpoint containers gets only `--endpoint-url $S3_ENDPOINT_URL` and credentials
  from the environment (`llm_model_endpoint_use_cases.py:162-166,1057,1153`): ListObjectsV2
  and ranged GETs with `--numworkers 512 cp --concurrency 10`.

| candidate       | chart published | release | SigV4 region | bucket+key, no human | 1-node kind  |
|-----------------|-----------------|---------|--------------|----------------------|--------------|
| SeaweedFS 4.44  | yes (a)         | stable  | any (b)      | chart hook + Secret  | 1 pod, 1 PVC |
| Garage 2.0      | no (c)          | stable  | fixed (d)    | own Job: layout, CLI | 1 pod, 2 PVC |
| Ceph RGW (Rook) | yes             | stable  | any          | CRDs (OBC, user)     | 5+ pods, GiB |
| RustFS          | yes             | alpha   | any          | keys yes, bucket no  | 1 pod        |

(a) seaweedfs.github.io/seaweedfs/helm, index lists 4.44.0; image chrislusf/seaweedfs:4.44.
(b) verified with the request's own scope (`weed/s3api/auth_signature_v4.go:554,713`).
(c) installed from a git checkout of the garage repository (script/helm/garage).
(d) must equal `s3_region` (`src/api/common/signature/payload.rs:387-389`): the endpoint
    clients' hard-coded us-west-2 and the control plane's AWS_REGION would have to agree.
All four serve path-style requests, presigned URLs, multipart uploads and ranged GETs.

Chosen: SeaweedFS. It is the one maintained server with a published chart and images
that serves the calls above (one gap, below), ignores the region the SDK signs with (the
server's endpoint clients hard-code us-west-2), creates the bucket itself (post-install
hook with `weed shell`), reads the access key from a Secret we own (its identities file
resolves `${VAR}` references, `weed/s3api/auth_credentials.go:688-730`), and fits kind in
one pod.

Known gap (seen with the 4.44 binary and botocore 1.40.61, the server's pin): the Files
API's presigned URL comes from a bare `boto3.Session().client("s3")`, which reaches this
store only if AWS_ENDPOINT_URL_S3 is set, and then presigns with SigV2; SeaweedFS rejects a
SigV2 URL carrying `response-content-type` (it signs the value still URL-encoded,
`weed/s3api/auth_signature_v2.go:308-330`). SigV4 presigned URLs work: an AWS config file
with `s3 = signature_version = s3v4` for that client fixes it.

Security: anonymous S3 access is off (the identities file defines no `anonymous`
identity) and the one identity may only read, write, list and tag objects in the buckets
this component creates. The master, volume and filer HTTP ports of the same pod have no
authentication at all, so the chart's NetworkPolicy admits only the S3 port from other
pods (and everything from the release's own pods, i.e. the bucket hook); it is enforced
only where the CNI enforces NetworkPolicy. Traffic is plain HTTP inside the cluster:
requests are signed (SigV4), but payloads are not encrypted in transit.

Nothing lost, and what is not protected: objects live on one PersistentVolumeClaim that
carries `helm.sh/resource-policy: keep` while `protect` is on, so uninstalling the
release (pulumi destroy) leaves the data, and a re-install under the same release name
and namespace adopts it. Not protected: deleting the namespace (the claim goes, and with a
`Delete` reclaim policy, kind's default, the data too), losing the node under a node-local
volume, and mistakes inside the bucket: one replica, no versioning, no backup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
from pydantic import field_validator, model_validator

from components.incluster.common import child_opts, service_host, store_release
from components.sdk import lazy
from components.settings_base import (
    ContainerQuantities,
    Model,
    Quantity,
    kubernetes_quantity,
    storage_class_name,
    validate_bucket_name,
)

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
    import pulumi_random as random
else:
    k8s = lazy("pulumi_kubernetes")
    random = lazy("pulumi_random")

CHART = "seaweedfs"  # key in components/addons/versions.py CHARTS
RELEASE_NAME = "seaweedfs"
# fullnameOverride: every object name below follows from it, not from Helm's name rules.
FULLNAME = "seaweedfs"
SERVICE_NAME = f"{FULLNAME}-all-in-one"  # templates/all-in-one/all-in-one-service.yml
PVC_NAME = f"{FULLNAME}-all-in-one-data"  # templates/all-in-one/all-in-one-pvc.yaml
BUCKET_HOOK_JOB = f"{RELEASE_NAME}-bucket-hook"  # templates/shared/post-install-bucket-hook.yaml
S3_PORT = 8333
# The chart's ServiceAccount (templates/shared/service-account.yaml), which mounts no token.
SERVICE_ACCOUNT = FULLNAME
# The Secret we own: the key pair under the names boto3 and s5cmd read from the environment,
# and the gateway's identities file (which holds no key, only references).
CREDENTIALS_SECRET = f"{FULLNAME}-s3-credentials"
# The chart renders this whenever allInOne is on, SFTP or not (templates/sftp/
# sftp-secret.yaml: `if or .Values.sftp.enabled .Values.allInOne.enabled`), so no value turns
# it off: SFTP passwords and an SSH host key for a server that never runs. It is a
# pre-install hook with `helm.sh/resource-policy: keep`, which Helm never deletes.
SFTP_SECRET = f"{FULLNAME}-sftp-secret"
# Server-side apply upserts: a Secret registered under that name takes the existing object
# over, forcing the fields Helm set, so that Pulumi deletes it with the store.
ADOPT = {"pulumi.com/patchForce": "true"}
ACCESS_KEY_ID_KEY = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY_KEY = "AWS_SECRET_ACCESS_KEY"
S3_CONFIG_KEY = "seaweedfs_s3_config"  # the file name the pod reads: -s3.config=/etc/sw/s3/...
IDENTITY = "model-engine"
# The chart puts the Secret's keys into these env vars (helper seaweedfs.s3.credentialEnv,
# identity slot "admin"); the identities file names them, the gateway resolves them.
ACCESS_KEY_ENV = "SEAWEEDFS_S3_ADMIN_ACCESS_KEY_ID"
SECRET_KEY_ENV = "SEAWEEDFS_S3_ADMIN_SECRET_ACCESS_KEY"
# Object actions only: no Admin (bucket create/delete, IAM), no other buckets.
BUCKET_ACTIONS = ("Read", "Write", "List", "Tagging")
KEEP = {"helm.sh/resource-policy": "keep"}

_BINARY = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
_BINARY |= {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
# The master grows 7 volumes of 1000 MB for a new bucket on one node (replication 000,
# master.toml copy_1 = 7, chart master.volumeSizeLimitMB 1000), counted against the disk.
MIN_STORAGE_BYTES = 8 * 2**30


def _bytes(quantity: str) -> float:
    number, unit = re.match(r"^([0-9.]+)([A-Za-z]*)$", quantity).groups()  # type: ignore[union-attr]
    return float(number) * _BINARY.get(unit, 1)


class StoreResources(Model):
    """A key left unset keeps the chart's default (requests 500m / 1Gi, limits 2 / 2Gi).
    Seen running the 4.44 binary: ~525 MiB resident after 60 MiB multipart uploads."""

    requests: ContainerQuantities = ContainerQuantities(cpu="100m", memory="512Mi")
    limits: ContainerQuantities = ContainerQuantities(cpu="2", memory="2Gi")


class ObjectStoreInstall(Model):
    """The stack block `existing.objectStorage.install`: run SeaweedFS in the cluster."""

    bucket: str = "model-engine"
    # More buckets the same key may use (e.g. for model weights kept apart).
    extra_buckets: list[str] = []
    storage_size: Quantity = "20Gi"
    # None: the cluster's default StorageClass (kind: `standard`, local-path).
    storage_class: str | None = None
    resources: StoreResources = StoreResources()
    # Admit only the S3 port from outside the release (the other ports have no auth).
    network_policy: bool = True

    _bucket = field_validator("bucket")(validate_bucket_name)

    @field_validator("extra_buckets")
    @classmethod
    def _extra(cls, v: list[str]) -> list[str]:
        for name in v:
            validate_bucket_name(name)
        return v

    @field_validator("storage_size")
    @classmethod
    def _size(cls, v: str) -> str:
        kubernetes_quantity(v)
        if _bytes(v) < MIN_STORAGE_BYTES:
            raise ValueError(
                f"storageSize {v!r} is too small: SeaweedFS reserves 7 volumes of 1000 MB for a "
                "bucket on one node; use at least 8Gi"
            )
        return v

    _class = field_validator("storage_class")(storage_class_name)

    @model_validator(mode="after")
    def _distinct(self) -> ObjectStoreInstall:
        if len(set(self.buckets)) != len(self.buckets):
            raise ValueError(
                f"extraBuckets repeats a bucket ({', '.join(self.buckets)}); list each once, "
                "and not the main `bucket` again"
            )
        return self

    @property
    def buckets(self) -> list[str]:
        return [self.bucket, *self.extra_buckets]


def endpoint_url(namespace: str) -> str:
    """S3_ENDPOINT_URL for the server, its endpoints and s5cmd (chart value `s3EndpointUrl`).

    Plain HTTP inside the cluster. Any region works: SeaweedFS verifies SigV4 with the
    region the client signed with (`weed/s3api/auth_signature_v4.go:554,713`)."""
    return f"http://{service_host(SERVICE_NAME, namespace)}:{S3_PORT}"


def identities_config(buckets: Sequence[str]) -> str:
    """The gateway's identities file: one identity, object actions on these buckets only,
    keys by reference to the env the chart fills from CREDENTIALS_SECRET. No `anonymous`
    identity, so unsigned requests are refused."""
    actions = [f"{action}:{bucket}" for bucket in buckets for action in BUCKET_ACTIONS]
    identity = {
        "name": IDENTITY,
        "credentials": [
            {"accessKey": f"${{{ACCESS_KEY_ENV}}}", "secretKey": f"${{{SECRET_KEY_ENV}}}"}
        ],
        "actions": actions,
    }
    return json.dumps({"identities": [identity]}, separators=(",", ":"))


def chart_values(settings: ObjectStoreInstall, *, protect: bool = True) -> dict[str, Any]:
    """Values for the seaweedfs chart: the all-in-one server only, S3 with auth from our
    Secret (by name), the PVC, the buckets the post-install hook creates."""
    data: dict[str, Any] = {"type": "persistentVolumeClaim", "size": settings.storage_size}
    if settings.storage_class:
        data["storageClass"] = settings.storage_class
    if protect:
        data["annotations"] = dict(KEEP)
    values: dict[str, Any] = {
        "fullnameOverride": FULLNAME,
        "global": {
            "seaweedfs": {
                # The ClusterRole serves the standalone master only; the pod needs no API token.
                "createClusterRole": False,
                "serviceAccountName": SERVICE_ACCOUNT,
                "automountServiceAccountToken": False,
            }
        },
        # allInOne does not switch the standalone components off (networkpolicy.yaml notes it).
        "master": {"enabled": False},
        "volume": {"enabled": False},
        "filer": {"enabled": False},
        "s3": {
            "enabled": False,
            "credentials": {
                "admin": {
                    "existingSecret": CREDENTIALS_SECRET,
                    "accessKeyKey": ACCESS_KEY_ID_KEY,
                    "secretKeyKey": SECRET_ACCESS_KEY_KEY,
                }
            },
        },
        "allInOne": {
            "enabled": True,
            "replicas": 1,  # one writer per data directory: more need shared storage
            "serviceAccountName": SERVICE_ACCOUNT,
            "s3": {
                "enabled": True,
                "port": S3_PORT,
                "enableAuth": True,
                "existingConfigSecret": CREDENTIALS_SECRET,
                "createBuckets": [{"name": b, "anonymousRead": False} for b in settings.buckets],
            },
            "data": data,
            "resources": {
                "requests": settings.resources.requests.as_dict(),
                "limits": settings.resources.limits.as_dict(),
            },
        },
        "networkPolicy": {"enabled": settings.network_policy},
    }
    if settings.network_policy:
        # Pods of any namespace (the control plane, endpoints, batch jobs) on S3 alone.
        values["networkPolicy"]["extraIngress"] = [
            {
                "from": [{"namespaceSelector": {}}],
                "ports": [{"protocol": "TCP", "port": S3_PORT}],
            }
        ]
    return values


@dataclass
class ObjectStoreArgs:
    settings: ObjectStoreInstall
    # The data namespace, created by the platform.
    namespace: str
    provider: k8s.Provider
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    # Keep the data PVC when the release is uninstalled, and protect the release.
    protect: bool = True


def _key(name: str, length: int, parent: pulumi.Resource) -> pulumi.Output[str]:
    """Letters and digits only: safe in env, URLs and the identities JSON."""
    generated = random.RandomPassword(
        name, length=length, special=False, opts=pulumi.ResourceOptions(parent=parent)
    )
    # Under mocks provider-declared secrets are not marked: mark it ourselves.
    return pulumi.Output.secret(generated.result)


class ObjectStore(pulumi.ComponentResource):
    access_key_id: pulumi.Output[str]
    secret_access_key: pulumi.Output[str]
    endpoint_url: str
    bucket: str
    credentials: k8s.core.v1.Secret
    release: k8s.helm.v3.Release
    sftp_secret: k8s.core.v1.Secret
    ready: list[pulumi.Resource]

    def __init__(
        self, name: str, args: ObjectStoreArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("model-engine-infra:incluster:ObjectStore", name, None, opts)
        self.endpoint_url = endpoint_url(args.namespace)
        self.bucket = args.settings.bucket
        self.access_key_id = _key(f"{name}-access-key-id", 20, self)
        self.secret_access_key = _key(f"{name}-secret-access-key", 40, self)
        self.credentials = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CREDENTIALS_SECRET, namespace=args.namespace),
            type="Opaque",
            string_data={
                ACCESS_KEY_ID_KEY: self.access_key_id,
                SECRET_ACCESS_KEY_KEY: self.secret_access_key,
                S3_CONFIG_KEY: identities_config(args.settings.buckets),
            },
            opts=child_opts(self, args.provider, args.depends_on),
        )
        values = chart_values(args.settings, protect=args.protect)
        self.release = store_release(
            self, name, CHART, RELEASE_NAME, args, values, [self.credentials]
        )
        # Adopted after the Release created it; deleted before the Release on destroy or when
        # the store is turned off. Helm's pre-upgrade hook recreates it under the same name
        # (before-hook-creation), which this resource still names.
        self.sftp_secret = k8s.core.v1.Secret(
            f"{name}-sftp-secret",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=SFTP_SECRET,
                namespace=args.namespace,
                annotations=dict(ADOPT),
                labels={"app.kubernetes.io/part-of": "model-engine"},
            ),
            opts=child_opts(self, args.provider, [self.release]),
        )
        # The Release completes after the Deployment is ready and the post-install hook has
        # created the buckets (Helm waits for hooks; atomic rolls back on failure).
        self.ready = [self.release]
        self.register_outputs(
            {
                "endpoint_url": self.endpoint_url,
                "bucket": self.bucket,
                "access_key_id": self.access_key_id,
                "secret_access_key": self.secret_access_key,
                "credentials_secret": self.credentials.metadata.name,
            }
        )
