"""What each example stack deploys matches the committed snapshots (refresh: make snapshots)."""

from __future__ import annotations

import pytest

from plan import snapshots


@pytest.mark.parametrize("stack", snapshots.example_stacks())
def test_program_output_matches_its_snapshot(stack: str) -> None:
    changes = snapshots.diff(stack)
    assert not changes, (
        f"the {stack} plan changed; review the diff and run `make snapshots` if intended:\n"
        + changes
    )


def test_a_changed_value_shows_as_a_readable_diff(monkeypatch: pytest.MonkeyPatch) -> None:
    stack = snapshots.example_stacks()[0]
    real = snapshots.render

    def changed(name: str) -> dict[str, str]:
        files = real(name)
        files["values.yaml"] = files["values.yaml"].replace(
            "runDbMigrationScript: true", "runDbMigrationScript: false"
        )
        return files

    monkeypatch.setattr(snapshots, "render", changed)
    text = snapshots.diff(stack)
    assert "-  runDbMigrationScript: true" in text and "+  runDbMigrationScript: false" in text
    assert f"snapshots/{stack}/values.yaml (committed)" in text
