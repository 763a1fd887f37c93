"""Simulated AWS: computed outputs of AWS resources and answers to AWS invokes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ACCOUNT_ID = "123456789012"

RESOURCES: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {}
CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
