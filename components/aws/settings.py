"""The `aws` block of the stack file (filled in by the AWS platform work)."""

from __future__ import annotations

from components.settings_base import Model


class AwsSettings(Model):
    region: str | None = None
