"""Where every generated page lives, and links between them.

Pages are generated as `<section>/<slug>/index.md`, so each has the same URL with or
without `use_directory_urls`, and Markdown links between them are relative source paths
that MkDocs checks and rewrites.
"""

from __future__ import annotations

import posixpath

from .formatting import slugify


def incident_uri(incident_id: str) -> str:
    return f"incidents/{incident_id}/index.md"


def tag_uri(tag: str) -> str:
    return f"tags/{slugify(tag)}/index.md"


def service_uri(service: str) -> str:
    return f"services/{slugify(service)}/index.md"


def severity_uri(severity: str) -> str:
    return f"severity/{slugify(severity)}/index.md"


def year_uri(year: int) -> str:
    return f"years/{year}/index.md"


def page_url(uri: str) -> str:
    """The site URL of a generated page: `incidents/x/index.md` → `incidents/x/`."""
    return uri.removesuffix("index.md")


def relative_link(from_uri: str, to_uri: str) -> str:
    """A Markdown link target from one source file to another."""
    return posixpath.relpath(to_uri, posixpath.dirname(from_uri) or ".")
