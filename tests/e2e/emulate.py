"""The backing services of each platform the e2e test can emulate, started for a ServerRun.

`existing` (the `local` stack): PostgreSQL, Redis and an S3-compatible store (moto's S3) on
the in-cluster names the program derives. `aws` (`customer-prod`): PostgreSQL on the RDS
name, Redis with TLS and AUTH on the ElastiCache name, moto's server for SQS, S3, ECR,
Secrets Manager and STS. Azure (Service Bus with Entra ID) and GCP (Pub/Sub, Artifact
Registry, Workload Identity) have no emulator that installs from the package registries.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.e2e import services
from tests.e2e.server import HERE, ServerRun

NOT_EMULATED = {
    "azure": "Azure Service Bus with Entra ID auth and Azure Container Registry have no "
    "emulator installable from the package registries",
    "gcp": "GCP Pub/Sub as the server uses it, Artifact Registry and Workload Identity have no "
    "emulator installable from the package registries",
}
# A checkpoint as the server requires one (validate_checkpoint_files: a safetensors file).
CHECKPOINT_FILES = {"config.json": "{}", "model.safetensors": "e2e"}


def cloud_setup(
    run: ServerRun, endpoint: str, region: str, plan: dict, env: dict[str, str]
) -> None:
    rc = run.box.run(
        "cloud-setup",
        [
            f"{run.tools_venv}/bin/python",
            str(HERE / "cloud_setup.py"),
            endpoint,
            region,
            json.dumps(plan),
        ],
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=120,
    )
    log = run.box.log("cloud-setup")
    run.box.procs.pop("cloud-setup", None)
    if rc != 0:
        raise RuntimeError(f"setting up the emulated cloud failed:\n{log[-4000:]}")


def checkpoint_plan(bucket: str, prefix: str) -> list[list[str]]:
    return [[bucket, f"{prefix}/{name}", text] for name, text in CHECKPOINT_FILES.items()]


def start_local(run: ServerRun, env: dict[str, str], tmp: Path) -> None:
    """The `existing` platform with everything installed in the cluster."""
    run.postgres = services.start_postgres(run.box, tmp / "postgres", env["ML_INFRA_DATABASE_URL"])
    services.start_redis(
        run.box, tmp / "redis", env["REDIS_HOST"], int(env["REDIS_PORT"]), tls=False, password=None
    )
    s3 = urlsplit(env["S3_ENDPOINT_URL"])
    endpoint = services.start_moto(run.box, run.tools_venv, s3.port or 80, name="object-store")
    bucket = run.deployed.infra["s3_bucket"]
    keys = {k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    cloud_setup(
        run,
        endpoint,
        env.get("AWS_REGION", "us-east-1"),
        {"buckets": [bucket], "objects": checkpoint_plan(bucket, "e2e-checkpoint")},
        keys,
    )


def checkpoint_uri(run: ServerRun) -> str:
    return f"s3://{run.deployed.infra['s3_bucket']}/e2e-checkpoint"


def redis_password(url: str) -> str | None:
    return unquote(urlsplit(url).password or "") or None


def program_secrets(run: ServerRun) -> dict[str, str]:
    """The Secrets Manager secrets the program creates, by name, with the value its
    SecretVersion writes (what the deploy leaves in the account)."""
    out = {}
    versions = run.deployed.run.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    for secret in run.deployed.run.of_type("aws:secretsmanager/secret:Secret"):
        for version in versions:
            if f" {secret.name}.id>" in str(version.inputs.get("secretId")):
                out[str(secret.inputs["name"])] = str(version.inputs["secretString"])
    return out


def pod_identity_env(run: ServerRun, endpoint: str, region: str) -> dict[str, str]:
    """What EKS injects into a pod whose service account has an IAM role (IRSA), plus the
    emulator's address for every AWS API (botocore's AWS_ENDPOINT_URL)."""
    token_dir = run.box.pod_secrets / "eks.amazonaws.com/serviceaccount"
    token_dir.mkdir(parents=True, exist_ok=True)
    (token_dir / "token").write_text("e2e-projected-service-account-token")
    account = run.deployed.rendered.get("ServiceAccount", "model-engine")
    return {
        "AWS_ROLE_ARN": account.annotations["eks.amazonaws.com/role-arn"],
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
        "AWS_STS_REGIONAL_ENDPOINTS": "regional",
        "AWS_DEFAULT_REGION": region,
        "AWS_ENDPOINT_URL": endpoint,
    }


def start_aws(run: ServerRun, env: dict[str, str], tmp: Path) -> None:
    """The AWS platform: RDS and ElastiCache as real PostgreSQL and Redis on their derived
    names, every AWS API on moto."""
    run.postgres = services.start_postgres(run.box, tmp / "postgres", env["ML_INFRA_DATABASE_URL"])
    infra = run.deployed.infra
    cache_url = json.loads(program_secrets(run)[run.deployed.launch["cache_redis_aws_secret_name"]])
    url = urlsplit(next(iter(cache_url.values())))
    cert = services.start_redis(
        run.box,
        tmp / "redis",
        infra["redis_host"],
        url.port or 6379,
        tls=url.scheme == "rediss",
        password=redis_password(url.geturl()),
    )
    if cert is not None:
        run.extra_env["SSL_CERT_FILE"] = str(services.trust_bundle(tmp, [cert]))
    port = run.box.free_port()
    endpoint = services.start_moto(run.box, run.tools_venv, port)
    region = infra["default_region"]
    bucket = infra["s3_bucket"]
    cloud_setup(
        run,
        endpoint,
        region,
        {
            "buckets": [bucket],
            "objects": checkpoint_plan(bucket, "e2e-checkpoint"),
            "secrets": program_secrets(run),
        },
        {"AWS_ACCESS_KEY_ID": "deployer", "AWS_SECRET_ACCESS_KEY": "deployer"},
    )
    run.extra_env.update(pod_identity_env(run, endpoint, region))
    run.aws = (endpoint, region)


def put_image(run: ServerRun, repository: str, tag: str | None) -> None:
    """Create the ECR repository and push (the manifest of) an image tag to it, as the
    registry's pull-through cache or a warm-up would; tag None: the repository only."""
    endpoint, region = run.aws
    images = [[repository, tag]] if tag else []
    plan = {"repositories": [repository], "images": images}
    keys = {"AWS_ACCESS_KEY_ID": "deployer", "AWS_SECRET_ACCESS_KEY": "deployer"}
    cloud_setup(run, endpoint, region, plan, keys)
