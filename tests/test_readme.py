"""The README documents every stack key an operator can write."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from components.settings import StackSettings
from tests.conftest import ROOT


def _keys(model: type[BaseModel], prefix: str, depth: int) -> list[str]:
    out: list[str] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        out.append(prefix + key)
        if depth < 2:
            annotation: Any = field.annotation
            for candidate in (annotation, *getattr(annotation, "__args__", ())):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    out += _keys(candidate, f"{prefix}{key}.", depth + 1)
    return out


def test_every_stack_key_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [k for k in _keys(StackSettings, "", 0) if k.rsplit(".", 1)[-1] not in readme]
    assert not missing, missing


def test_deploy_guide_checks_out_the_pinned_chart() -> None:
    from components.model_engine.chart_facts import PINNED_COMMIT

    readme = (ROOT / "README.md").read_text()
    assert f"git -C ../llm-engine checkout {PINNED_COMMIT}" in readme
