"""Platform packages each missing one part of the interface (components/platform.py), for
tests/test_platforms.py: the roles must refuse them by name, not fail later or not at all.

- no_role: facts.py lacks gpu_pools (a PlatformFactsModule role);
- no_component: platform.py defines no `NoComponentPlatform`, and facts.py states no
  secret_env_keys (optional: the platform then gives none);
- no_outputs: the component it builds sets no `outputs`.
"""
