"""Where every generated page and data file lives, and links between them: the one URL map.

Every stage that writes or links to a generated page takes its path from here, so a page
cannot move without every link to it moving too. Pages are generated as
`<section>/<slug>/index.md`, so each has the same URL with or without `use_directory_urls`.
Markdown links between them are relative source paths that MkDocs checks and rewrites; HTML
blocks (see `site/render.py`) link by relative URL.
"""

from __future__ import annotations

import posixpath

from .formatting import slugify

#: Pages with one instance per site. The home page is `docs/index.md` when one is written
#: for the build's audience, else generated (`site/home.py`).
HOME_URI = "index.md"
INCIDENTS_URI = "incidents/index.md"
GALLERY_URI = "gallery/index.md"
ONBOARDING_URI = "onboarding/index.md"
INSIGHTS_URI = "insights/index.md"
ACTIONS_URI = "actions/index.md"
PROBLEMS_URI = "problems/index.md"
REVIEWS_URI = "reviews/index.md"
KPI_URI = "kpi/index.md"
FACTORS_URI = "factors/index.md"
NEAR_MISSES_URI = "near-misses/index.md"
#: The incident types, with a list per type that has only its own list (`listed: own`).
TYPES_URI = "types/index.md"
WRITING_GUIDE_URI = "writing-a-good-postmortem/index.md"
#: Data files written next to the pages.
RSS_FEED_FILE = "feed.xml"
JSON_FEED_FILE = "feed.json"
INCIDENTS_JSON_FILE = "incidents.json"
#: Folder of the stylesheets and scripts shipped in the package.
ASSETS_FOLDER = "assets/pmkb"


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


def overview_uri(section: str) -> str:
    """The overview of one facet section (`tags`, `services`, `severity`, `years`)."""
    return f"{section}/index.md"


def factor_uri(factor_id: str) -> str:
    return f"factors/{slugify(factor_id)}/index.md"


def type_uri(incident_type: str) -> str:
    return f"types/{slugify(incident_type)}/index.md"


def onboarding_path_uri(path_id: str) -> str:
    return f"onboarding/{path_id}/index.md"


def asset_uri(name: str) -> str:
    return f"{ASSETS_FOLDER}/{name}"


def page_url(uri: str) -> str:
    """The site URL of a generated page: `incidents/x/index.md` → `incidents/x/`."""
    return uri.removesuffix("index.md")


def relative_link(from_uri: str, to_uri: str) -> str:
    """A Markdown link target from one source file to another."""
    folder, name = posixpath.split(to_uri)
    return _relative_folder(posixpath.dirname(from_uri), folder) + name


def relative_url(from_uri: str, to_uri: str, directory_urls: bool = True) -> str:
    """An HTML link from one generated page (`…/index.md`) to another, as MkDocs would write.

    `incidents/a/index.md` → `tags/dns/index.md` is `../../tags/dns/`, or
    `../../tags/dns/index.html` without `use_directory_urls`.
    """
    folder = _relative_folder(posixpath.dirname(from_uri), posixpath.dirname(to_uri))
    return (folder or "./") + ("" if directory_urls else "index.html")


def _relative_folder(start: str, target: str) -> str:
    """`target` relative to `start` (both site-relative folders) with a trailing `/`, or "".

    `posixpath.relpath` does the same for any path, at a cost that showed at 10,000 pages
    of links; these are clean relative folders without `.` or `..`.
    """
    start_parts = start.split("/") if start else []
    target_parts = target.split("/") if target else []
    common = 0
    for mine, theirs in zip(start_parts, target_parts, strict=False):
        if mine != theirs:
            break
        common += 1
    parts = [".."] * (len(start_parts) - common) + target_parts[common:]
    return "".join(part + "/" for part in parts)
