"""Render the pages' Markdown on every core, ahead of MkDocs' own loop over them.

MkDocs reads and renders one page after another, on one core: at thousands of pages that
loop is most of a build, and the other core idles through it. `render_ahead` runs the steps
of that loop that make a page's HTML (read the source, the plugins' `on_page_markdown`, the
Markdown, the plugins' `on_page_content`: for us, the sanitizer) in worker processes forked
once the navigation is final (`site/workers.py`), and gives each page what its worker made.
MkDocs' loop then reaches the page as always: it runs `on_pre_page`, reads the source and
runs `on_page_markdown` again (cheap), but the page's Markdown step installs the worker's
result instead of rendering (`Page.render`, replaced on that page alone, once), and our
`on_page_content` knows not to sanitize the page twice (`was_rendered_ahead`).

A page's rendering leaves more than its HTML, and all of it comes back: the table of
contents, the title, the anchors and the anchors its links point at (checked once every page
is built), the files its links looked up and what it logged. The last two are done again
here, while MkDocs' loop is at the page: whoever watches lookups or logs per page sees them
(`incremental.py`), a warning is printed once, by this process, and `--strict` counts it.

Only when every plugin is one known to keep no state across pages (the plugins page reuse
trusts: `incremental.SAFE_PLUGINS`): another plugin's `on_page_content` would run in the
worker and once more here, and its state would stay in the worker. A page whose rendering
fails in a worker is rendered here as usual, where MkDocs reports the failure its own way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import TableOfContents

from ..site.workers import MIN_CALLS, map_forked, worker_count


@dataclass
class _Rendered:
    """What rendering one page's Markdown in a worker made and did."""

    content: str
    toc: TableOfContents
    title: str | None
    anchors: set[str] | None
    #: src_uri of a linked page → {anchor: the link as written}.
    anchor_links: dict[str, dict[str, str]] | None
    lookups: list[str] = field(default_factory=list)
    logs: list[tuple[str, int, str]] = field(default_factory=list)


class RenderedAhead:
    """The pages of one build rendered ahead (module docstring)."""

    def __init__(self) -> None:
        self._pages: set[int] = set()

    def render(
        self,
        pages: Iterable[Page],
        config: MkDocsConfig,
        files: Files,
        done: Callable[[Page], None],
    ) -> int:
        """Render `pages` in workers and give each its result; how many were rendered.
        `done(page)` as each page's result arrives: what only its rendering needed may go,
        before every page's HTML is here."""
        pages = list(pages)
        if len(pages) < MIN_CALLS or worker_count() == 0:  # MkDocs' loop renders them
            return 0
        results = map_forked(_render_in_worker, [(page, config, files) for page in pages])
        for page, rendered in zip(pages, results, strict=True):
            if rendered is not None:
                _install(page, rendered, files, self._pages)
                done(page)
        return len(self._pages)

    def was_rendered_ahead(self, page: Page) -> bool:
        """The page's HTML is a worker's: every plugin's `on_page_content` has seen it."""
        return id(page) in self._pages


def page_of(file: File, config: MkDocsConfig) -> Page:
    """The file's page; MkDocs makes a page outside the navigation only in its loop."""
    return file.page if file.page is not None else Page(None, file, config)


def _render_in_worker(item: tuple[Page, MkDocsConfig, Files]) -> _Rendered | None:
    """MkDocs' steps from a page's source to its HTML (`mkdocs.commands.build._populate_page`
    but `on_pre_page`, which is the loop's), noting the lookups and logs; None on failure."""
    page, config, files = item
    lookups: list[str] = []
    logs = _Logs()
    lookup = files.get_file_from_path

    def looked_up(path: str) -> File | None:
        lookups.append(path)
        return lookup(path)

    files.get_file_from_path = looked_up  # type: ignore[method-assign]
    config._current_page = page
    try:
        with logs:
            page.read_source(config)
            assert page.markdown is not None
            page.markdown = config.plugins.on_page_markdown(
                page.markdown, page=page, config=config, files=files
            )
            page.render(config, files)
            assert page.content is not None
            page.content = config.plugins.on_page_content(
                page.content, page=page, config=config, files=files
            )
    except Exception:
        return None
    finally:
        config._current_page = None
        files.get_file_from_path = lookup  # type: ignore[method-assign]
    return _Rendered(
        content=page.content,
        toc=page.toc,
        title=page._title_from_render,
        anchors=page.present_anchor_ids,
        anchor_links=None if page.links_to_anchors is None else {
            target.src_uri: links for target, links in page.links_to_anchors.items()
        },
        lookups=lookups,
        logs=logs.records,
    )


def _install(page: Page, rendered: _Rendered, files: Files, installed: set[int]) -> None:
    """Have the page's next `render` take `rendered` instead of the Markdown."""

    def render(config: MkDocsConfig, files: Files) -> None:
        del page.render  # once: the page's own method again
        page.content, page.toc = rendered.content, rendered.toc
        page._title_from_render = rendered.title
        page.present_anchor_ids = rendered.anchors
        if page.links_to_anchors is None and rendered.anchor_links is not None:
            by_uri = files.src_uris
            page.links_to_anchors = {
                by_uri[uri]: links for uri, links in rendered.anchor_links.items()
                if uri in by_uri
            }
        for path in rendered.lookups:
            files.get_file_from_path(path)
        for name, level, message in rendered.logs:
            logging.getLogger(name).log(level, message)

    page.render = render  # type: ignore[method-assign]
    installed.add(id(page))


class _Logs(logging.Handler):
    """While entered: what MkDocs and plugins log, kept here instead of printed."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[tuple[str, int, str]] = []
        self._logger = logging.getLogger("mkdocs")
        self._handlers: list[logging.Handler] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))

    def __enter__(self) -> _Logs:
        self._handlers, self._logger.handlers = self._logger.handlers, [self]
        return self

    def __exit__(self, *exc: Any) -> None:
        self._logger.handlers = self._handlers
