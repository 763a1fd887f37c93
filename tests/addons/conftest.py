"""Fixtures for the add-on tests (shared ones live in tests/conftest.py)."""
