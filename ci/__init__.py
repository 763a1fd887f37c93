"""Small programs the GitHub workflows run (stdlib only; tested in tests/ci)."""
