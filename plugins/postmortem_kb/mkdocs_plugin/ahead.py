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

Then the theme: once every page's HTML and title are known (`on_env`), workers forked then
put the pages through MkDocs' steps that make a page's output of its HTML (the context, the
plugins' `on_page_context`, the page's template: `mkdocs.commands.build._build_page` up to
its `on_post_page`), a few pages at a time, ahead of MkDocs' loop. The loop does all of
that again but the template: the page's template object, whose `render` is replaced on
that object alone, gives a page rendered ahead what its worker made, and renders any other
page (or one whose worker failed) as always. The worker also creates the page's output
file, empty, which MkDocs' loop then only fills (`_make_room`). Only a few pages' output
waits here at a time (`THEME_CHUNK`, `THEME_IN_FLIGHT`): at thousands of pages, all of it
would be a good part of the build's memory.

Only when every plugin is one known to keep no state across pages (the plugins page reuse
trusts: `incremental.SAFE_PLUGINS`): another plugin's `on_page_content` would run in the
worker and once more here, and its state would stay in the worker. A page whose rendering
fails in a worker is rendered here as usual, where MkDocs reports the failure its own way.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
from mkdocs.commands.build import get_context
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import TableOfContents

from ..site.workers import MIN_CALLS, map_forked, worker_count

#: Pages a theme worker is sent at a time, and how many such batches may be out at once.
THEME_CHUNK = 8
THEME_IN_FLIGHT = 8


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


@dataclass
class _Themed:
    """What putting one page through the theme in a worker made and logged."""

    output: str
    logs: list[tuple[str, int, str]]


class RenderedAhead:
    """The pages of one build rendered ahead (module docstring)."""

    def __init__(self) -> None:
        self._pages: set[int] = set()
        self._themed: _ThemedPages | None = None

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

    def theme(
        self,
        pages: Iterable[Page],
        config: MkDocsConfig,
        nav: Navigation,
        files: Files,
        env: jinja2.Environment,
    ) -> int:
        """Start putting `pages` (in the order MkDocs' loop builds them) through the theme in
        workers forked now, and have their templates give MkDocs' loop what they made; how
        many pages go. Call before MkDocs' loop, where no page is active yet."""
        pages = list(pages)
        if len(pages) < MIN_CALLS or worker_count() == 0:
            return 0
        doc_files = files.documentation_pages(inclusion=InclusionLevel.is_included)
        results = map_forked(_theme_in_worker, [(page, config, nav, doc_files, env)
                                                for page in pages],
                             chunk=THEME_CHUNK, in_flight=THEME_IN_FLIGHT)
        self._themed = _ThemedPages(pages, results)
        for name in {page.meta.get("template", "main.html") for page in pages}:
            try:
                template = env.get_template(name)
            except jinja2.TemplateError:
                continue  # MkDocs' loop reports it for the page that names it
            template.render = functools.partial(  # type: ignore[method-assign]
                self._themed.render, template)
        return len(pages)

    def close(self) -> None:
        """Stop the theme's workers, if any still run: MkDocs' loop is over or failed."""
        if self._themed is not None:
            self._themed.close()
            self._themed = None


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


class _ThemedPages:
    """The theme's output of pages, from workers, for MkDocs' loop to take page by page."""

    def __init__(
        self, pages: Sequence[Page], results: Generator[_Themed | None, None, None]
    ) -> None:
        self._workers = results
        self._results = zip((id(page) for page in pages), results, strict=True)
        self._expected = {id(page) for page in pages}
        self._arrived: dict[int, _Themed | None] = {}
        self._take_next()  # forks the workers now, while no page is active

    def render(self, template: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        """`template.render(context)`: a worker's output for the context's page if it made
        one, else the template's own rendering."""
        context = dict(*args, **kwargs)
        themed = self._take(context.get("page"))
        if themed is None:
            return jinja2.Template.render(template, context)
        for name, level, message in themed.logs:
            logging.getLogger(name).log(level, message)
        return themed.output

    def close(self) -> None:
        """Stop the workers; a page not taken yet is rendered by its template as always."""
        self._expected.clear()
        self._arrived.clear()
        self._workers.close()

    def _take(self, page: object) -> _Themed | None:
        key = id(page)
        if key not in self._expected:
            return None
        self._expected.discard(key)
        while key not in self._arrived and self._take_next():
            pass
        return self._arrived.pop(key, None)

    def _take_next(self) -> bool:
        """One more page's output, if any; a failed worker pool leaves the rest to MkDocs."""
        try:
            key, themed = next(self._results)
        except StopIteration:
            return False
        except Exception:  # a worker died: its pages are rendered here
            self.close()
            return False
        self._arrived[key] = themed
        return True


def _theme_in_worker(
    item: tuple[Page, MkDocsConfig, Navigation, Sequence[File], jinja2.Environment],
) -> _Themed | None:
    """MkDocs' steps from a page's HTML to its output (`mkdocs.commands.build._build_page`
    up to its `on_post_page`), noting the logs; None on failure."""
    page, config, nav, doc_files, env = item
    logs = _Logs()
    config._current_page = page
    page.active = True
    content = page.content
    try:
        with logs:
            context = get_context(nav, doc_files, config, page)
            template = env.get_template(page.meta.get("template", "main.html"))
            context = config.plugins.on_page_context(context, page=page, config=config, nav=nav)
            output = jinja2.Template.render(template, context)  # the template's own
    except Exception:
        return None
    finally:
        page.active = False
        config._current_page = None
        # This process's copy of the page is not rendered again, and what a plugin made of
        # its HTML (the search plugin's copy) would stay, page after page: it raised the
        # build's peak at 10,000 incidents from 1,374 to 1,572 MB.
        page.content = content
    if output.strip():  # MkDocs writes no file for an empty page
        _make_room(page.file.abs_dest_path)
    return _Themed(output, logs.records)


def _make_room(path: str) -> None:
    """Create the page's output file, empty, unless there is one.

    Creating a file and its folder is most of what writing a page costs on some disks (on a
    virtual disk after a site was deleted, about two milliseconds a page, where filling the
    file took a tenth), and MkDocs' loop writes every page on its one thread; it then only
    fills the file. A file that is there (the last build's, a reused page's) is left alone,
    and a failure is MkDocs' write's to report."""
    with contextlib.suppress(OSError):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "xb"):
            pass


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
