"""`pulumi up` in bootstrap/ci_trust: the identities CI uses (see the README, "Deploy from CI")."""

import sys
from pathlib import Path

# Pulumi runs this file with its own folder on the path; the code imports from the repository.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bootstrap.ci_trust.program import main

main()
