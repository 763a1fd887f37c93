"""The GCP platform (platform.py), one module per concern."""
