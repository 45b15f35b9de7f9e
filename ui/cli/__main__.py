"""``python -m ui.cli``: the same as the ``pmpilot`` console script."""

import sys

from ui.cli.app import main

sys.exit(main())
