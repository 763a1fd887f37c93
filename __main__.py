"""model-engine-infra: everything model-engine needs, then the chart, from one stack file."""

import pulumi

from components.model_engine.guards import GuardError
from components.program import main
from components.settings_base import SettingsError

try:
    main()
except (SettingsError, GuardError) as e:
    # A configuration mistake is a message for the operator, not a traceback.
    raise pulumi.RunError(str(e)) from None
