"""`pmkb`, the command line: a thin layer over `site`, `search` and `core`.

Imports: every stage below it; never `mkdocs_plugin` (both front ends are peers).
"""

from __future__ import annotations

from .main import main

__all__ = ["main"]
