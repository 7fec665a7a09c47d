"""Whether the installed MkDocs and theme will run the `postmortems` plugin (`pmkb check`).

Its own module, apart from `generate.py` which it recommends: `pmkb check` asks it on every
run and must not import MkDocs to do so (installed versions are read from package metadata).
"""

from __future__ import annotations

import importlib.metadata
import re


def plugin_engine_warning() -> str | None:
    """Why the installed MkDocs or theme will not run the `postmortems` plugin, if it will not.

    `pmkb check` says so once, rather than a build that silently publishes no incident.
    """
    advice = "build with `pmkb generate` instead (see the README)"
    mkdocs = _installed("mkdocs")
    major = re.match(r"\d+", mkdocs or "")
    if major is not None and int(major.group()) >= 2:
        return (
            f"MkDocs {mkdocs} has no plugin system: the postmortems plugin will not run; {advice}"
        )
    if _installed("mkdocs-material") is None:
        return f"mkdocs-material is not installed: the sites' theme is missing; {advice}"
    return None


def _installed(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
