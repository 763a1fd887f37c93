"""The fourth platform's block of the stack file (`model-engine-infra:fourth`)."""

from __future__ import annotations

from components.settings_base import Model


class FourthSettings(Model):
    # A required key, so a block without it is refused; camelCase in the stack file.
    kubernetes_version: str
    secret_env_keys: list[str] = []
