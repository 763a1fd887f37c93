"""YAML the plan reads, through libyaml when PyYAML was built with it.

libyaml's parser is a C version of PyYAML's pure-Python one (the same resolver and
constructor run on top): the same values, several times faster. A parse error is reported
as PyYAML's own parser words and places it (libyaml's wording differs). Printing stays with
PyYAML's pure-Python emitter: libyaml folds long double-quoted strings at other places, so
the plan's text would change (tests/test_plan.py). The program (components/) keeps PyYAML's
defaults: what it hands Helm does not depend on how PyYAML was built.

One known difference: libyaml accepts a tab before a comment or at the end of a plain value
(`a: 1<TAB># c`), which PyYAML's pure parser refuses; the plan then reads such a stack file
where PyYAML would not, as the Pulumi CLI's own YAML parser does.
"""

from __future__ import annotations

from typing import Any

import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, the same value or the same error."""
    try:
        return yaml.load(text, Loader=Loader)
    except yaml.YAMLError:
        if Loader is yaml.SafeLoader:
            raise
        return yaml.safe_load(text)  # raises with PyYAML's own message and position
