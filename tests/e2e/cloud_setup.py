# pyright: reportMissingImports=false
# (runs with the tools virtualenv's boto3, not the project's packages)
"""What the deploy (or the operator) put in the emulated cloud before the server runs: run as a
script with the tools venv's boto3, against the emulator, in the sandbox.

usage: python cloud_setup.py ENDPOINT_URL REGION PLAN_JSON
PLAN_JSON: {"buckets": [name], "objects": [[bucket, key, text]],
            "images": [[repository, tag]], "repositories": [name], "secrets": {name: text}}
"""

from __future__ import annotations

import contextlib
import json
import sys

import boto3


def main() -> None:
    endpoint, region, plan = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    session = boto3.Session(region_name=region)
    s3 = session.client("s3", endpoint_url=endpoint)
    for bucket in plan.get("buckets", []):
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
            )
    for bucket, key, text in plan.get("objects", []):
        s3.put_object(Bucket=bucket, Key=key, Body=text.encode())
    ecr = session.client("ecr", endpoint_url=endpoint)
    for repository in plan.get("repositories", []):
        with contextlib.suppress(ecr.exceptions.RepositoryAlreadyExistsException):
            ecr.create_repository(repositoryName=repository)
    for repository, tag in plan.get("images", []):
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 2,
                "digest": "sha256:" + "0" * 64,
            },
            "layers": [],
        }
        with contextlib.suppress(ecr.exceptions.ImageAlreadyExistsException):  # pushed before
            ecr.put_image(
                repositoryName=repository, imageTag=tag, imageManifest=json.dumps(manifest)
            )
    sm = session.client("secretsmanager", endpoint_url=endpoint)
    for name, text in plan.get("secrets", {}).items():
        sm.create_secret(Name=name, SecretString=text)


if __name__ == "__main__":
    main()
