"""The stylesheets and scripts shipped in the package, added to every site.

One list for both ways a site is built: the MkDocs plugin adds them as generated files and
to `extra_css`/`extra_javascript`; `pmkb generate` copies them and names them in the
`mkdocs.yml` it writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..core import urls

#: The package's `assets/` folder.
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
#: Scripts run as web workers (the search box's engine), not as page scripts.
WORKER_SUFFIX = "-worker.js"


def packaged_assets() -> dict[str, Path]:
    """uri → file of every packaged asset (`assets/pmkb/<name>`)."""
    return {urls.asset_uri(path.name): path for path in sorted(ASSETS_DIR.iterdir())
            if path.suffix in (".css", ".js")}


def add_assets(extra_css: list[Any], extra_javascript: list[Any]) -> None:
    """Add every packaged asset to the site's `extra_css` or `extra_javascript`, once; not
    workers (`*-worker.js`), which a page starts itself rather than runs.

    The lists are MkDocs' (whose scripts may be `ExtraScriptValue`s, equal to their path) or
    plain lists of paths for a `mkdocs.yml` being written.
    """
    for uri in packaged_assets():
        if uri.endswith(WORKER_SUFFIX):
            continue
        extra = extra_css if uri.endswith(".css") else extra_javascript
        if uri not in extra:
            extra.append(uri)
