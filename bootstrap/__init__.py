"""Small Pulumi projects run once per organization, before the main program's first deploy."""
