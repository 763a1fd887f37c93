"""The `addons` block of the stack file (filled in by the add-ons work)."""

from __future__ import annotations

from components.settings_base import Model


class AddonsSettings(Model):
    pass
