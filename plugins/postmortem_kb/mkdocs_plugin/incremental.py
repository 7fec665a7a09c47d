"""Reuse the pages of the last build that would come out the same; MkDocs renders only the rest.

MkDocs' Markdown and theme rendering are most of a build. In a `dirty` build MkDocs neither
reads nor renders a page whose `File.is_modified()` is False, and does not clean the site
folder. `PageReuse` answers `is_modified()` for every page from a manifest of the last build,
so that `pmkb build`, `pmkb serve` and `mkdocs build/serve --dirty` render only the pages whose
output would differ, and still make the site a clean build makes, file for file.

A page is reused only when all of these are as they were for the output the last build left:
- the site key: this package's code, every installed distribution's version and Python's, the
  whole configuration (theme, options, Markdown extensions, every plugin's options, `extra`),
  the files of theme folders outside the installed packages (`overrides/`), the navigation
  (every section, link and page with its title, in order: each page's sidebar and its previous
  and next links show them), the build dates (MkDocs' and ours) and whether this is the live
  preview;
- the page's source (a generated page's identity from `site/build_cache.py`, a hand-written
  page's bytes), its address, output path and inclusion;
- every file its links looked up (`Files.get_file_from_path`): a link to a page that appeared,
  went or moved changes the page;
- its output file, by size, time and inode: the file the last build wrote, untouched since.
Plugins other than ours and mkdocs-material's search, hooks, and Markdown extensions that read
other files (`pymdownx.snippets`) turn reuse off (`blocker`): such code may read every page.

What MkDocs keeps from reading a page, and other pages or later steps use, is put back for a
reused page: its title and meta (the navigation shows them), its anchors and the anchors its
links point at (checked after the pages are built), the warnings rendering it logged (logged
again, so `--strict` fails as a clean build does) and the files a public page links to
(`on_env` keeps those). mkdocs-material's search plugin indexes no page (the plugin excludes
every one: the search box answers from our own index), so there is nothing of it to put back.

In the live preview a page made from an incident that did not change (the very object the
last rebuild had: its file, the settings and the templates are as they were) may show what
the last rebuild made of it although something across the library changed it (its related
incidents, the title of an incident it links to): such a page *waits*, and the rebuild shows
the edit without rendering the dozens of pages that named a deleted incident. Whenever a page
waited (or the plan cache deferred a result), the plugin has the preview rebuilt right after,
and that rebuild, which catches up, lets no page wait: the preview always ends as a clean
build makes it.

Before MkDocs writes anything the output folder holds exactly the reused pages' files: a fresh
staging folder (an atomic build) gets hard links to them from the published site, which is
never written to (no one writes to a reused file); any other folder has every other file
deleted, so no page of a deleted incident is left behind. The manifest of a `serve` session
stays in memory; a build's is written to `cache_dir/build/` once its site is published.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib.metadata
import logging
import os
import pickle
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure import StructureItem
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Link, Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils import get_build_date

from ..core import urls
from ..core.fingerprint import package_fingerprint
from ..site.build_cache import Fingerprints, Unfingerprintable, folder_contents
from ..site.plan import SitePlan

log = get_plugin_logger(__name__)

#: Bump when what the manifest records, or what a key covers, changes.
MANIFEST_VERSION = 2
#: Plugins that keep no state across pages (the search plugin indexes none of ours).
SAFE_PLUGINS = frozenset(
    {
        "material.plugins.search.plugin.SearchPlugin",
        "postmortem_kb.mkdocs_plugin.plugin.PostmortemsPlugin",
    }
)
#: Markdown extensions that read files besides the page.
FILE_READING_EXTENSIONS = frozenset({"pymdownx.snippets"})
#: MkDocs' messages about dirty builds; reuse makes a dirty build a clean one's equal.
_DIRTY_MESSAGES = ("A 'dirty' build is being performed", "The directory contains stale files")

#: What a link's lookup of a file found: its URL and whether it is excluded; None: nothing.
Target = tuple[str, bool] | None


@dataclass
class PageRecord:
    """What the last build made of one page, and what it depended on besides the site key."""

    identity: str
    dest_uri: str
    url: str
    inclusion: str
    #: The output file's (size, mtime_ns, inode) when it was written.
    output: tuple[int, int, int]
    title: str | None
    meta: dict[str, Any]
    lookups: dict[str, Target]
    #: (logger, level, message) of what rendering the page logged.
    logs: list[tuple[str, int, str]]
    anchors: set[str] | None
    #: src_uri of a linked page → {anchor: the link as written}.
    anchor_links: dict[str, dict[str, str]] | None
    #: Site paths the page's final HTML links to (public builds keep those files).
    linked: set[str] | None


@dataclass
class Manifest:
    site_key: str
    pages: dict[str, PageRecord] = field(default_factory=dict)
    #: The live preview's: src_uri → the object the page is made from (an incident).
    sources: dict[str, object] = field(default_factory=dict)
    #: The live preview's: the next build catches up with this one (lets no page wait).
    catch_up: bool = False


@dataclass
class _Capture:
    """What one page's processing in this build looked up and logged."""

    lookups: dict[str, Target] = field(default_factory=dict)
    logs: list[tuple[str, int, str]] = field(default_factory=list)
    linked: set[str] | None = None


class ManifestStore:
    """Where one site's manifest lives: in memory for a `serve` session, else also in a file
    under `cache_dir/build/` named after the published site's path and the audience."""

    def __init__(self, cache_dir: Path, site_dir: Path, audience: str, *, on_disk: bool) -> None:
        digest = hashlib.blake2b(os.fsencode(os.path.abspath(site_dir)), digest_size=8)
        self.path = cache_dir / "build" / f"site-{audience}-{digest.hexdigest()}.pickle"
        self.on_disk = on_disk
        self._manifest: Manifest | None = None
        self._read = not on_disk

    def load(self) -> Manifest | None:
        if not self._read:
            self._read = True
            try:
                with self.path.open("rb") as handle:
                    version, manifest = pickle.load(handle)
                if version == MANIFEST_VERSION and isinstance(manifest, Manifest):
                    self._manifest = manifest
            except FileNotFoundError:
                pass
            except Exception as error:  # any damage: build every page
                log.debug(f"ignoring the page manifest {self.path}: {error}")
        return self._manifest

    def save(self, manifest: Manifest | None) -> None:
        """Remember `manifest` (None: forget the last one, reuse nothing next time)."""
        self._manifest, self._read = manifest, True
        if not self.on_disk:
            return
        if manifest is None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            return
        handle = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "wb", dir=self.path.parent, prefix=f".{self.path.name}.", delete=False
            ) as handle:
                pickle.dump((MANIFEST_VERSION, manifest), handle, pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, self.path)
        except OSError as error:  # the next build renders every page; this one is done
            log.debug(f"cannot write the page manifest {self.path}: {error}")
            if handle is not None:
                with contextlib.suppress(OSError):
                    os.unlink(handle.name)


class PageReuse:
    """One build's reuse of the last one's pages (see the module docstring).

    The plugin calls, in event order: `watch_lookups` (files), `decide` (nav), `note_linked`
    (env), then `finish` and, once the site is in place, `commit`.
    """

    def __init__(
        self,
        store: ManifestStore,
        *,
        output_dir: Path,
        previous_dir: Path,
        fresh_output: bool,
        dirty: bool,
        serve: bool,
    ) -> None:
        self.store = store
        self.output_dir = output_dir
        self.previous_dir = previous_dir
        #: The output folder is a new, empty staging folder (else it may hold an old site).
        self.fresh_output = fresh_output
        self.dirty = dirty
        self.serve = serve
        self.inclusion: Callable[[InclusionLevel], bool] = (
            InclusionLevel.is_in_serve if serve else InclusionLevel.is_included
        )
        self.blocker: str | None = None
        self.reused: dict[str, PageRecord] = {}
        #: The reused pages that wait for the next rebuild (module docstring).
        self.waited: set[str] = set()
        self.site_key: str | None = None
        self._captures: dict[str, _Capture] = {}
        self._files: Files | None = None
        self._sources: dict[str, object] = {}
        self._logs: _PageLogs | None = None
        self._identities: dict[str, str] = {}
        self._targets: dict[str, Target] = {}

    @property
    def catches_up(self) -> bool:
        """In the live preview, this build catches up with the one before (module docstring)."""
        manifest = self.store.load() if self.serve else None
        return manifest is not None and manifest.catch_up

    # -- files and nav -------------------------------------------------------------------

    def watch_lookups(self, files: Files, config: MkDocsConfig) -> None:
        """Record, per page, every file its links look up while MkDocs processes it."""
        self._files = files
        lookup = files.get_file_from_path

        def recorded(path: str) -> File | None:
            found = lookup(path)
            page = getattr(config, "_current_page", None)
            if page is not None:
                self._capture(page).lookups[path] = _target(found)
            return found

        files.get_file_from_path = recorded  # type: ignore[method-assign]

    def decide(
        self,
        config: MkDocsConfig,
        nav: Navigation,
        files: Files,
        identities: dict[str, str],
        dates: Iterable[object],
        sources: Mapping[str, object] | None = None,
    ) -> set[str]:
        """Mark every page modified or not, restore what reused pages' readers need, and
        prepare the output folder; return the src_uris of the pages MkDocs must render.

        `identities` gives each page's source identity; `dates` the build dates the pages
        show besides MkDocs' own; `sources` the object a page is made from, where there is
        one (an incident page's incident): in the live preview such a page may wait.
        """
        self.blocker = self.blocker or _blocker(config)
        self._identities = identities
        self._sources = dict(sources or {}) if self.serve else {}
        pages = files.documentation_pages(inclusion=self.inclusion)
        manifest = self.store.load() if self.dirty and self.blocker is None else None
        try:
            self.site_key = (
                None
                if self.blocker is not None
                else _site_key(config, nav, identities, self.serve, dates)
            )
        except Unfingerprintable as error:
            self.blocker = f"the configuration holds a value it cannot compare ({error})"
        if self.blocker is not None and self.dirty:
            log.info(f"Building every page: {self.blocker}")
        self.reused, self.waited = {}, set()
        if manifest is not None and manifest.site_key == self.site_key:
            may_wait = not manifest.catch_up
            for file in pages:
                record = manifest.pages.get(file.src_uri)
                if record is None or not self._same_place(file, record):
                    continue
                if self._unchanged(file, record, identities, files):
                    self.reused[file.src_uri] = record
                elif may_wait and self._made_from_the_same(file.src_uri, manifest):
                    self.reused[file.src_uri] = record
                    self.waited.add(file.src_uri)
        for file in pages:
            file.is_modified = _answer(file.src_uri not in self.reused)  # type: ignore[method-assign]
        self._logs = _PageLogs(config, self._capture)
        if self.dirty:
            self._prepare_output()
        for file in pages:
            record = self.reused.get(file.src_uri)
            if record is not None:
                _restore(file, record, files, config)
        to_render = {file.src_uri for file in pages} - set(self.reused)
        if self.dirty and self.blocker is None:
            waiting = (
                f" ({len(self.waited)} of them until the rebuild right after this one)"
                if self.waited
                else ""
            )
            log.info(
                f"Rendering {len(to_render)} of {len(pages)} pages; the others are as the "
                f"last build left them{waiting}"
            )
        return to_render

    def _same_place(self, file: File, record: PageRecord) -> bool:
        """The page's address, output and inclusion are the record's, and so is its output
        file: the last build's, untouched since."""
        return (
            record.dest_uri == file.dest_uri
            and record.url == file.url
            and record.inclusion == str(file.inclusion)
            and not file.inclusion.is_excluded()
            and _output_state(self.previous_dir / record.dest_uri) == record.output
        )

    def _unchanged(
        self, file: File, record: PageRecord, identities: dict[str, str], files: Files
    ) -> bool:
        """The page's source and every file its links looked up are as they were."""
        if record.identity != identities.get(file.src_uri):
            return False
        return all(self._lookup(files, path) == found for path, found in record.lookups.items())

    def _made_from_the_same(self, uri: str, manifest: Manifest) -> bool:
        """The page is made from the very object the last rebuild made it from."""
        source = self._sources.get(uri)
        return source is not None and manifest.sources.get(uri) is source

    def _lookup(self, files: Files, path: str) -> Target:
        """What looking `path` up finds now (pages link to the same few index pages)."""
        if path not in self._targets:
            self._targets[path] = _target(files.get_file_from_path(path))
        return self._targets[path]

    def _prepare_output(self) -> None:
        """Leave exactly the reused pages' files in the output folder."""
        keep = {os.path.normpath(record.dest_uri) for record in self.reused.values()}
        if self.fresh_output:
            for relative in keep:
                _link_or_copy(self.previous_dir / relative, self.output_dir / relative)
            return
        if self.output_dir.is_dir():
            _delete_all_but(str(self.output_dir), keep)

    # -- per page ------------------------------------------------------------------------

    def _capture(self, page: Page) -> _Capture:
        return self._captures.setdefault(page.file.src_uri, _Capture())

    def linked(self, page: Page) -> set[str] | None:
        """The paths a reused page links to (None: the page is rendered in this build)."""
        record = self.reused.get(page.file.src_uri)
        return record.linked if record is not None else None

    def note_linked(self, page: Page, paths: set[str]) -> None:
        self._capture(page).linked = paths

    # -- the end -------------------------------------------------------------------------

    def finish(self) -> Manifest | None:
        """The manifest of this build's output (None when nothing may be reused from it)."""
        if self._logs is not None:
            self._logs.detach()
        # This build's pages and files, kept no longer: cycles (a page and its file) that
        # would outlast the preview's first build (`serve_heap.py`).
        files, self._files = self._files, None
        if self.blocker is not None or self.site_key is None or files is None:
            return None
        manifest = Manifest(self.site_key, sources=self._sources)
        for file in files.documentation_pages(inclusion=self.inclusion):
            record = self.reused.get(file.src_uri)
            if record is not None:  # a copy where a link was refused has another inode
                state = _output_state(Path(file.abs_dest_path))
                if state != record.output:
                    record = dataclasses.replace(record, output=state) if state else None
            else:
                record = self._record(file)
            if record is not None:
                manifest.pages[file.src_uri] = record
        return manifest

    def _record(self, file: File) -> PageRecord | None:
        page, captured = file.page, self._captures.get(file.src_uri, _Capture())
        state = _output_state(Path(file.abs_dest_path))
        if page is None or state is None or file.inclusion.is_excluded():
            return None
        return PageRecord(
            identity=self._identities[file.src_uri],
            dest_uri=file.dest_uri,
            url=file.url,
            inclusion=str(file.inclusion),
            output=state,
            title=page.title,
            meta=dict(page.meta),
            lookups=captured.lookups,
            logs=captured.logs,
            anchors=page.present_anchor_ids,
            anchor_links=None
            if page.links_to_anchors is None
            else {target.src_uri: dict(links) for target, links in page.links_to_anchors.items()},
            linked=captured.linked,
        )

    def commit(self, manifest: Manifest | None, *, catch_up: bool = False) -> None:
        """The site `manifest` describes is in place: the next build may reuse its pages
        (and let none wait, when it is to `catch_up` with this one)."""
        if manifest is not None:
            manifest.catch_up = catch_up
        self.store.save(manifest)

    def discard(self) -> None:
        """The build failed: its output is not what the manifest describes any more."""
        if self._logs is not None:
            self._logs.detach()
        if not self.fresh_output:
            self.store.save(None)


class _PageLogs(logging.Handler):
    """Records what MkDocs and plugins log while a page is read or rendered, per page."""

    def __init__(self, config: MkDocsConfig, capture: Callable[[Page], _Capture]) -> None:
        super().__init__(logging.INFO)
        self._config = config
        self._capture = capture
        logging.getLogger("mkdocs").addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        page = getattr(self._config, "_current_page", None)
        if page is not None:
            self._capture(page).logs.append((record.name, record.levelno, record.getMessage()))

    def detach(self) -> None:
        logging.getLogger("mkdocs").removeHandler(self)


class DirtyBuildNotice(logging.Filter):
    """Drops MkDocs' warning that a dirty build may be inaccurate: with page reuse it is not,
    and under `--strict` the warning alone would fail every build."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_DIRTY_MESSAGES)


def incident_sources(plan: SitePlan) -> dict[str, object]:
    """What each incident page is made from: the incident, as the plan's audience sees it."""
    return {urls.incident_uri(incident.id): incident for incident in plan.view.incidents}


def _restore(file: File, record: PageRecord, files: Files, config: MkDocsConfig) -> None:
    """Give a page MkDocs will not read what reading it would have set, and log again what
    rendering it logged."""
    page = file.page if file.page is not None else Page(None, file, config)
    if "title" not in vars(page):  # a title from the nav stays
        page.title = record.title
    page.meta = dict(record.meta)
    page.present_anchor_ids = record.anchors
    if record.anchor_links is not None:
        page.links_to_anchors = {
            target: dict(links)
            for uri, links in record.anchor_links.items()
            if (target := files.get_file_from_path(uri)) is not None
        }
    for name, level, message in record.logs:
        logging.getLogger(name).log(level, message)


def _answer(modified: bool) -> Callable[[], bool]:
    return lambda: modified


def _blocker(config: MkDocsConfig) -> str | None:
    """Why pages cannot be reused with this configuration, or None."""
    for name, plugin in config.plugins.items():
        kind = f"{type(plugin).__module__}.{type(plugin).__qualname__}"
        if kind not in SAFE_PLUGINS:
            return f"the plugin '{name}' may use every page"
    for extension in config.markdown_extensions:
        if extension in FILE_READING_EXTENSIONS:
            return f"the Markdown extension '{extension}' reads other files"
    return None


def _site_key(
    config: MkDocsConfig,
    nav: Navigation,
    identities: dict[str, str],
    serve: bool,
    dates: Iterable[object],
) -> str:
    """Everything every page's output depends on (see the module docstring)."""
    fingerprints = Fingerprints(_plain_setting)
    settings = {
        key: value
        for key, value in config.items()
        if key not in ("site_dir", "strict", "watch", "plugins", "theme")
    }
    plugins = [
        (
            name,
            f"{type(plugin).__module__}.{type(plugin).__qualname__}",
            dict(getattr(plugin, "config", {})),
        )
        for name, plugin in config.plugins.items()
    ]
    theme = config.theme
    own_folders = [
        folder_contents(Path(folder)) for folder in theme.dirs if not _is_installed(folder)
    ]
    return fingerprints.digest(
        MANIFEST_VERSION,
        package_fingerprint(),
        _distributions(),
        sys.version,
        settings,
        plugins,
        dict(theme),
        theme.dirs,
        sorted(theme.static_templates),
        own_folders,
        _navigation(nav.items, identities),
        get_build_date(),
        list(dates),
        serve,
    )


def _navigation(items: Iterable[StructureItem], identities: dict[str, str]) -> list[object]:
    """The navigation as plain data: every item's kind, title and address, in order. A page's
    title from its own text is told by the page's identity."""
    result: list[object] = []
    for item in items:
        if isinstance(item, Section):
            result.append(("section", item.title, _navigation(item.children, identities)))
        elif isinstance(item, Link):
            result.append(("link", item.title, item.url))
        elif isinstance(item, Page):
            explicit = vars(item).get("title")
            result.append(
                (
                    "page",
                    item.file.src_uri,
                    item.url,
                    explicit,
                    None if explicit is not None else identities.get(item.file.src_uri),
                )
            )
    return result


def _plain_setting(value: object) -> object:
    """A setting MkDocs keeps as an object, as plain data: `not_in_nav` and `exclude_docs`
    (patterns), the theme's `locale` (babel's `Locale`, or MkDocs' stand-in for it)."""
    if isinstance(value, pathspec.PathSpec):
        return [(getattr(pattern, "pattern", None), pattern.include) for pattern in value.patterns]
    if type(value).__qualname__ == "Locale":
        return str(value)
    return value


@functools.cache
def _distributions() -> list[str]:
    """Every installed distribution and its version, once per process: a package installed
    while `serve` runs is not the code it runs."""
    return sorted(
        f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions()
    )


def _is_installed(folder: str) -> bool:
    parts = Path(folder).parts
    return "site-packages" in parts or "dist-packages" in parts


def _target(found: File | None) -> Target:
    return None if found is None else (found.url, found.inclusion.is_excluded())


def _output_state(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns, status.st_ino


def _delete_all_but(folder: str, keep: set[str], prefix: str = "") -> bool:
    """Delete every file under `folder` whose path (`prefix` and its path in `folder`) is not
    in `keep`, and the folders that leaves empty; whether `folder` is left empty."""
    empty = True
    with os.scandir(folder) as entries:
        for entry in entries:
            relative = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if _delete_all_but(entry.path, keep, relative + os.sep):
                    os.rmdir(entry.path)
                else:
                    empty = False
            elif relative in keep:
                empty = False
            else:
                os.unlink(entry.path)
    return empty


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or links refused: a copy keeps the time
        shutil.copy2(source, target)
