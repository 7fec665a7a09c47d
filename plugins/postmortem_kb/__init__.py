"""postmortem-kb: a static site generator for incident postmortem knowledge bases.

The core (load → validate → project for an audience → enrich → render → index) is plain
Python and knows nothing of MkDocs; `postmortem_kb.mkdocs_plugin` and `postmortem_kb.cli`
are thin layers over it.
"""

from __future__ import annotations

__version__ = "0.1.0"
