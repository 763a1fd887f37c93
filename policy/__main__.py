"""Policy pack entry point: `pulumi preview --policy-pack policy`.

The policy engine runs this file with the pack's directory on sys.path but not as a
package, while the rule modules import one another as `policy.<module>` (as the tests and
pyright see them). So the directory is registered as the package `policy` first, whatever
the directory is called.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

from pulumi_policy import PolicyPack

_here = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location(
    "policy", _here / "__init__.py", submodule_search_locations=[str(_here)]
)
assert _spec is not None and _spec.loader is not None
sys.modules["policy"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sys.modules["policy"])

PolicyPack(name="model-engine-infra", policies=importlib.import_module("policy.pack").POLICIES)
