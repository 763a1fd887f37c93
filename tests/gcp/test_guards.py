"""Chart-value pitfalls particular to GCP, rejected before any resource exists even when an
operator's chartValues override brings them in."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from plan.simulator import RecordedResource, run_program
from tests.helpers import set_path


@pytest.mark.parametrize(
    ("override", "path", "words"),
    [
        (
            {"config": {"values": {"launch": {"vllm_repository": "vllm/vllm-openai"}}}},
            "config.values.launch.vllm_repository",
            "use a flat name such as 'vllm-vllm-openai'",
        ),
        (
            {"serviceAccount": {"annotations": {"iam.gke.io/gcp-service-account": "x@y"}}},
            "serviceAccount.annotations",
            "duplicate key",
        ),
        ({"gcp": {"iam_service_account": ""}}, "gcp.iam_service_account", "required on GCP"),
        ({"gcp": {"project_id": ""}}, "gcp.project_id", "GCP_PROJECT_ID"),
        (
            {"config": {"values": {"infra": {"gcp_project_id": "other-project"}}}},
            "config.values.infra.gcp_project_id",
            "differs from gcp.project_id",
        ),
        (
            {"config": {"values": {"infra": {"docker_repo_prefix": "us-docker.pkg.dev/p"}}}},
            "config.values.infra.docker_repo_prefix",
            "LOCATION-docker.pkg.dev/PROJECT/REPOSITORY",
        ),
    ],
)
def test_gcp_pitfall_in_an_override_is_refused(
    config: dict[str, Any], override: dict[str, Any], path: str, words: str
) -> None:
    set_path(config, "chartValues", override)
    registered: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as failure:
        run_program(config, recorded=registered)
    message = str(failure.value)
    assert path in message and words in message, message
    assert "model-engine-infra:chartValues" in message
    assert registered == []
