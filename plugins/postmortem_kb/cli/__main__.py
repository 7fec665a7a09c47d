"""`python -m postmortem_kb.cli`: the `pmkb` command without its console script."""

from __future__ import annotations

import sys

from .main import main

sys.exit(main())
