"""The site's search box: what it finds, and the theme's box pointed at our search worker.

mkdocs-material's header search box stays as it is (its look, its keyboard); only its engine
changes. The theme runs the worker named in each page's `__config`; `use_search_worker`
names ours there (`assets/pmkb/search-worker.js`), with the manifest of the index this module
writes (`search_box_files`, under `search/pmkb/`). The theme's own index
(`search/search_index.json`) is then left without documents: the plugin keeps every page out
of it, so no page HTML (key facts tables, badges) is ever indexed, parsed or downloaded.

What the box finds is the audience's data, never its HTML: the search documents of the
plan's incidents (public ones, built from the public projection, for the public site) and
the hand-written pages of the audience, title and text.
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import PurePosixPath

from jinja2.utils import htmlsafe_json_dumps

from ..core import urls
from ..core.settings import Settings
from ..core.validate import normalise_severity
from ..search.browser_index import (
    MANIFEST,
    BrowserDocument,
    browser_index_files,
    incident_document,
    severity_word,
)
from ..search.documents import markdown_to_words
from .plan import SitePlan

#: The search worker shipped in `assets/`; never added to a page as a script.
SEARCH_WORKER = "search-worker.js"
#: Where the index's pieces go in the site.
SEARCH_INDEX_FOLDER = "search/pmkb"

#: The theme's configuration block, and the theme's own worker at the end of its URL.
_THEME_CONFIG = re.compile(
    r'<script id="__config" type="application/json">(.*?)</script>', re.DOTALL
)
_THEME_WORKER = re.compile(r"assets/javascripts/workers/search\.[0-9a-f]+\.min\.js$")
#: A page's first heading: its title in the search box.
_FIRST_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def search_box_files(plan: SitePlan) -> dict[str, str]:
    """uri → text of every piece of the search box's index for the plan's audience."""
    settings = plan.settings
    documents = [
        incident_document(document, _page_url(urls.incident_uri(document.id), settings))
        for document in plan.documents
    ]
    documents += [
        page_document(page.uri, page.body, settings)
        for page in plan.hand_written
        if page.is_for(settings.audience)
    ]
    files = browser_index_files(documents, settings.severities, severity_words(settings))
    return {f"{SEARCH_INDEX_FOLDER}/{name}": text for name, text in files.items()}


def severity_words(settings: Settings) -> dict[str, str]:
    """Each word that names a severity (`sev1`, an alias such as `p1`) → its severity."""
    named = {severity_word(level): level for level in settings.severities}
    for alias, target in settings.severity_aliases.items():
        level = normalise_severity(target, settings.severities)
        if level is not None:
            named[severity_word(alias)] = level
    return named


def page_document(uri: str, markdown: str, settings: Settings) -> BrowserDocument:
    """A hand-written page (`docs/`-relative `uri`, Markdown without front matter)."""
    heading = _FIRST_HEADING.search(markdown)
    if heading is not None:
        title = markdown_to_words(heading.group(1))
    elif PurePosixPath(uri).stem in ("index", "README"):
        title = "Home"
    else:
        title = PurePosixPath(uri).stem.replace("-", " ").replace("_", " ").capitalize()
    text = markdown_to_words(markdown)
    return BrowserDocument(
        url=_page_url(uri, settings),
        title=title,
        fields={"title": title, "text": text},
        summary=text.removeprefix(title).strip(),
    )


def _page_url(uri: str, settings: Settings) -> str:
    """The site-relative URL MkDocs gives the page `uri` (`docs/`-relative)."""
    path = PurePosixPath(uri)
    if not settings.directory_urls:
        return path.with_suffix(".html").as_posix()
    if path.stem in ("index", "README"):
        return "" if path.parent.as_posix() == "." else f"{path.parent.as_posix()}/"
    return f"{path.with_suffix('').as_posix()}/"


def use_search_worker(html: str) -> str:
    """The page with the theme's search box pointed at our worker and index.

    The theme names its worker relative to the page; ours is at the same place relative to
    the site root. A page without the theme's configuration is returned as it is.
    """
    found = _THEME_CONFIG.search(html)
    if found is None:
        return html
    try:
        config = json.loads(found.group(1))
    except ValueError:
        return html
    theme_worker = config.get("search") if isinstance(config, dict) else None
    if not isinstance(theme_worker, str) or not (end := _THEME_WORKER.search(theme_worker)):
        return html
    config["search"] = theme_worker[: end.start()] + worker_path()
    return f"{html[: found.start(1)]}{htmlsafe_json_dumps(config)}{html[found.end(1) :]}"


def worker_path() -> str:
    """The worker's site-relative URL, naming the manifest relative to the worker."""
    worker = urls.asset_uri(SEARCH_WORKER)
    manifest = posixpath.relpath(f"{SEARCH_INDEX_FOLDER}/{MANIFEST}", posixpath.dirname(worker))
    return f"{worker}?index={manifest}"
