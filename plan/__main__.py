"""`python -m plan --stack NAME`: the offline plan (see plan/cli.py)."""

import gc
import signal
import sys

# A run of a few seconds that builds thousands of provider-SDK classes on first use: the
# cycle collector would walk the heap hundreds of times for nothing (measured: about 20%
# of the plan's wall time, the same peak memory without it). Off before the imports.
gc.disable()

from plan.cli import main  # noqa: E402 - after gc.disable on purpose

# `python -m plan ... | head` ends quietly, like any Unix filter.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)

sys.exit(main())
