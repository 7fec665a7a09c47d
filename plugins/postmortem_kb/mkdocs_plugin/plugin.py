"""The `postmortems` MkDocs plugin: a thin adapter over `postmortem_kb.site.plan_site`.

Events, one job each:
- `on_startup`: remember whether this is `serve` (live preview builds are not swapped) and
  whether it is a `dirty` build, which reuses the pages of the last one (`incremental.py`).
- `on_serve`: have the live preview hear of a save as it happens, not poll for it
  (`watcher.py`); have the garbage collector skip what the first build keeps for every
  rebuild (`serve_heap.py`).
- `on_config`: turn the typed options into core `Settings`; point `site_dir` at a fresh
  staging folder so a failing build never touches the published site (the site's build
  lock is held from here until it is published or discarded: see `site/publish.py`);
  have the `tables` extension align columns with `align` (the sanitizer drops `style`).
- `on_pre_build`: load, validate and plan the site (before MkDocs cleans any folder), and
  report every problem at once, one line per cause. As soon as the plan has the search
  documents, start updating the search index in a worker process, at a lower priority: it
  takes what the cores have left while the build runs (with the manifest of the files read,
  for `pmkb search`). Under `serve` the update starts once the preview is built, which then
  has both cores, and only when what it indexes changed; a thread waits for it, so neither
  that preview nor the next rebuild does.
- `on_files`: first leave out the hand-written pages of `docs/` that are not for this
  audience (their files and their nav entries), then add the generated pages and evidence
  files; last, note the files each page's links look up.
- `on_nav`: last, once the navigation is final, tell MkDocs which pages it must render and
  which it reuses from the last build (`incremental.py`); render only those (`build_cache.py`),
  their Markdown in worker processes, ahead of MkDocs' loop (`ahead.py`).
- `on_page_markdown`: keep every page out of mkdocs-material's search index (the search
  box answers from ours, written with the data files).
- `on_pre_page` / `on_post_page`: count the pages read and written: a progress line in a
  terminal (`core/console_report.py`).
- `on_page_content`: first pass every page's HTML (and its table of contents) through the
  sanitizer: it is made from author text, generated pages' and hand-written ones alike;
  then fill in a generated page's HTML blocks (`render.py`, which sanitized them), and
  let go of them (`memory.py`: at 10,000 incidents a build must not hold every page twice).
  A page rendered ahead had all this done in its worker.
- `on_env`: a public build leaves out every non-Markdown file of `docs/` that no page of the
  build links to (every page's HTML exists by now; static files are copied right after); the
  theme's templates, compiled once, are kept under `cache_dir` (`build_cache.py`).
- `on_post_page` / `on_post_template`: point the theme's search box at our search worker
  (`search_box.py`); put the page's Content-Security-Policy in its head
  (`content_policy.py`), not under `serve`, whose live-reload script is inline and new on
  every request; then let go of the page's HTML, when no plugin may read it again.
- `on_post_build`: collect the search index update and write data files (feeds, JSON, the
  search box's index) at the default priority; then, after every other plugin has written
  its output (search index), run the public leak guard over every output file, record what
  this build made for the next one, and swap the staging folder into place (under `serve`,
  start the index update).
  Under `serve`, what a rebuild took from the one before (related incidents, feeds) is
  computed next, and the preview rebuilt with it.
- `on_build_error`: stop the index worker; throw the staging folder away; the previous site
  stays, and so does what the last build recorded.
- `on_shutdown`: save the plan cache (once MkDocs has let go of the pages).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink
from mkdocs.utils import CountHandler

from ..core.console_report import Progress, collapse
from ..core.model import Incident
from ..core.sanitize import MARKDOWN_TABLES_CONFIG, sanitize_html
from ..core.settings import Settings, settings_from_config
from ..search.documents import SearchDocument
from ..search.manifest import Manifest as SourcesManifest
from ..search.manifest import snapshot_sources
from ..search.service import IndexUpdate, IndexUpdateError, start_index_update
from ..site.assets import add_assets, packaged_assets
from ..site.build_cache import PlanCache
from ..site.content_policy import with_content_security_policy
from ..site.hand_written import files_named_by_config, linked_paths
from ..site.plan import LIBRARY_WIDE, SitePlan, plan_site
from ..site.public_guard import find_public_leaks
from ..site.publish import PublishError, Staging, stage
from ..site.render import RenderedPage, fill_blocks
from ..site.search_box import search_box_files, use_search_worker
from ..site.workers import frozen_heap
from .ahead import RenderedAhead, page_of
from .config import PostmortemsConfig
from .incremental import (
    SAFE_PLUGINS,
    DirtyBuildNotice,
    ManifestStore,
    PageReuse,
    incident_sources,
)
from .memory import FREED

if TYPE_CHECKING:
    from mkdocs.livereload import LiveReloadServer

log = get_plugin_logger(__name__)

class PostmortemsPlugin(BasePlugin[PostmortemsConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.is_serve = False
        self.dirty = False
        self.settings: Settings | None = None
        #: Kept across the rebuilds of a `serve` session, like the plugin itself.
        self.plan_cache: PlanCache | None = None
        self.manifests: ManifestStore | None = None
        self.reuse: PageReuse | None = None
        self.plan: SitePlan | None = None
        self.staging: Staging | None = None
        self.warning_counter: CountHandler | None = None
        self.index_update: IndexUpdate | None = None
        self.index_waiter: threading.Thread | None = None
        #: Under `serve`: what the index is to get once the preview is built, and what the
        #: last update that succeeded gave it (the documents and the files' manifest).
        self.index_pending: tuple[list[SearchDocument], SourcesManifest] | None = None
        self.indexed: tuple[list[SearchDocument], SourcesManifest] | None = None
        #: Pages read, then written, shown in a terminal; the number of pages to do.
        self.progress: Progress | None = None
        #: From planning to the build's end: the garbage collector skips what was planned.
        self.frozen = contextlib.ExitStack()
        #: This build's pages whose HTML, then output, workers made before MkDocs' loop.
        self.ahead = RenderedAhead()
        #: From `on_nav` to `on_env`, which has no navigation of its own.
        self.nav: Navigation | None = None
        self.pages = self.pages_to_render = 0
        #: Installed while a dirty build runs: with page reuse it makes the site a clean build
        #: makes. Each plugin object's own: another's shutdown leaves this one's in place.
        self.dirty_notice = DirtyBuildNotice()

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.is_serve = command == "serve"
        self.dirty = dirty
        if dirty:
            logging.getLogger("mkdocs.commands.build").addFilter(self.dirty_notice)

    def on_shutdown(self) -> None:
        logging.getLogger("mkdocs.commands.build").removeFilter(self.dirty_notice)
        if self.index_waiter is not None:
            self.index_waiter.join()  # the last preview's index update
        if self.plan_cache is not None:
            # Once MkDocs let go of the pages: what a build holds is not held twice. A
            # `serve` session saves once, at its end.
            gc.collect()
            FREED.trim()
            self.plan_cache.save()

    def on_serve(
        self, server: LiveReloadServer, *, config: MkDocsConfig, builder: Callable[..., Any]
    ) -> LiveReloadServer:
        from .serve_heap import freeze_what_lasts  # only `serve` needs these
        from .watcher import watch_natively

        watch_natively(server)
        freeze_what_lasts()  # after the first build: what it keeps lasts (`serve_heap.py`)
        return server

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.settings = settings_from_config(self.config, config)
        self._watch_sources(config)
        add_assets(config.extra_css, config.extra_javascript)
        if "tables" in config.markdown_extensions:
            config.mdx_configs.setdefault("tables", {}).update(MARKDOWN_TABLES_CONFIG)
        self.staging = None  # one plugin object may run many builds (serve, a test run)
        if self.config.atomic and not self.is_serve:
            site_dir = Path(config.site_dir)
            try:
                self.staging = stage(site_dir, on_wait=lambda lock: log.info(
                    f"Waiting for another build of {site_dir} to finish (it holds {lock})"))
            except PublishError as error:
                raise PluginError(str(error)) from None
            config.site_dir = str(self.staging.folder)
        self._prepare_reuse(config)
        if config.strict:
            # MkDocs aborts on warnings only after on_post_build; count them ourselves so
            # a strict build with warnings is never swapped into place.
            self.warning_counter = CountHandler()
            self.warning_counter.setLevel(logging.WARNING)
            logging.getLogger("mkdocs").addHandler(self.warning_counter)
        return config

    def _prepare_reuse(self, config: MkDocsConfig) -> None:
        """The caches of this site (kept while the place they describe stays the same)."""
        assert self.settings is not None
        settings = self.settings
        cache = PlanCache(settings.cache_dir, settings.audience)
        if self.plan_cache is None or self.plan_cache.path != cache.path:
            self.plan_cache = cache
        published = self.staging.site_dir if self.staging else Path(config.site_dir)
        store = ManifestStore(settings.cache_dir, published, settings.audience,
                              on_disk=not self.is_serve)
        if self.manifests is None or self.manifests.path != store.path:
            self.manifests = store
        self.reuse = PageReuse(
            self.manifests, output_dir=Path(config.site_dir),
            previous_dir=Path(os.path.realpath(published)), fresh_output=self.staging is not None,
            dirty=self.dirty, serve=self.is_serve,
        )
        if self.is_serve:
            # The preview shows an edit first, then rebuilds once these are up to date; that
            # rebuild catches up with all of it (deferring nothing, not even the search box's
            # index of the plan it makes, it is the last).
            deferrable = (*LIBRARY_WIDE, search_box_files)
            self.plan_cache.defer(*(() if self.reuse.catches_up else deferrable))
            self._revalidated().parent.mkdir(parents=True, exist_ok=True)
            if str(self._revalidated().parent) not in config.watch:
                config.watch.append(str(self._revalidated().parent))

    def _revalidated(self) -> Path:
        """A file `serve` watches: written when deferred results are ready for a rebuild."""
        assert self.settings is not None
        return self.settings.cache_dir / "build" / f"serve-{self.settings.audience}" / "ready"

    def _rebuild_preview(self) -> None:
        self._revalidated().write_text(f"{time.time_ns()}\n", encoding="utf-8")

    def _watch_sources(self, config: MkDocsConfig) -> None:
        assert self.settings is not None
        for folder in (self.settings.source_dir,):
            if str(folder) not in config.watch:
                config.watch.append(str(folder))

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        assert self.settings is not None
        self.progress = None  # each build counts its pages from the first
        overrides = Path(config.config_file_path).parent / "overrides"
        # Listed before any file is read, for the index's manifest (`search/manifest.py`).
        sources = None if self.settings.is_public else snapshot_sources(self.settings)

        def update_index(incidents: list[Incident], documents: list[SearchDocument]) -> None:
            """The internal index is updated from as soon as its documents are known (the
            live preview's once it is built), with the manifest that lets `pmkb search`
            tell it is current without reading the files. The public one only once the leak
            guard has passed (`_guard_and_publish`)."""
            assert sources is not None and self.settings is not None
            pending = (documents, sources.manifest(incidents, documents))
            if self.is_serve:
                self.index_pending = pending  # `_update_index_later`
            else:
                self._stop_index_update()  # never two writers on one index
                self.index_update = start_index_update(self.settings, *pending)

        self.plan = plan_site(self.settings, overrides, self.plan_cache,
                              on_documents=None if sources is None else update_index)
        report_problems(self.plan, self.settings)
        if not self.is_serve:  # the plan lasts the build: collections need not go through it
            self.frozen.enter_context(frozen_heap())

    # First: a plugin that reads the pages in on_files (tags, blog, i18n) never sees a page
    # this audience leaves out.
    @event_priority(100)
    def _leave_out_other_audiences(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Remove the hand-written pages not for this audience, and their nav entries.

        A page the plan does not know (it appeared after `on_pre_build`) is left out too:
        a page is in a build only when its audience says so.
        """
        assert self.plan is not None and self.settings is not None
        audience = self.settings.audience
        included = self.plan.hand_written_uris()
        left_out = [file for file in files.documentation_pages(inclusion=InclusionLevel.all)
                    if file.src_dir == config.docs_dir and file.src_uri not in included]
        for file in left_out:
            files.remove(file)
        if config.nav is not None:
            config.nav = self.plan.audience_nav(config.nav, [file.src_uri for file in left_out])
        listed = sorted(file.src_uri for file in left_out if not file.inclusion.is_excluded())
        if listed:
            other = "internal" if self.settings.is_public else "public"
            log.info(f"{audience} site: left out {len(listed)} {other} page(s): "
                     f"{', '.join(listed)}")
        return files

    def _add_generated_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.plan is not None
        for uri, page in self.plan.pages.items():
            existing = files.get_file_from_path(uri)
            if existing is not None:
                files.remove(existing)
            files.append(File.generated(config, uri, content=page.markdown))
        for uri, source in [*packaged_assets().items(), *self.plan.files.items()]:
            files.append(File.generated(config, uri, abs_src_path=str(source)))
        return files

    # Last: the files every other plugin added or removed are the ones links find.
    @event_priority(-100)
    def _watch_lookups(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.reuse is not None
        self.reuse.watch_lookups(files, config)
        return files

    on_files = CombinedEvent(_leave_out_other_audiences, _add_generated_files, _watch_lookups)

    # Last: the navigation is final, and every page's title in it.
    @event_priority(-100)
    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        """Have MkDocs render only the pages whose output would not be the last build's; give
        the generated ones among them their Markdown (rendered only now, when needed)."""
        assert self.reuse is not None and self.plan is not None and self.settings is not None
        pages = files.documentation_pages(inclusion=InclusionLevel.all)
        identities = {file.src_uri: self._identity(file) for file in pages}
        to_render = self.reuse.decide(config, nav, files, identities, [self.settings.build_date],
                                      incident_sources(self.plan))
        self.pages_to_render = len(to_render)  # the others are reused: MkDocs skips them
        for uri in sorted(to_render & self.plan.pages.keys()):
            file = files.get_file_from_path(uri)
            generated = self._generated_page(uri)
            if file is not None and generated is not None:
                file.content_string = generated.markdown
        self.nav = nav
        self.ahead = RenderedAhead()
        if _every_plugin_known(config):
            self.ahead.render([page_of(file, config) for file in pages
                               if file.src_uri in to_render], config, files,
                              done=self._done_with_page)
        return nav

    def _identity(self, file: File) -> str:
        """What a page's output is made from: a generated page's identity, else its bytes."""
        generated = self.plan.pages.get(file.src_uri) if self.plan is not None else None
        if generated is not None and self.plan_cache is not None:
            return self.plan_cache.identity(generated)
        return hashlib.blake2b(file.content_bytes, digest_size=20).hexdigest()

    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        """Keep the page out of mkdocs-material's own search index: the search box answers
        from ours (`site/search_box.py`), so the theme neither parses the page nor has every
        page's text downloaded before the first result."""
        page.meta["search"] = {"exclude": True}
        return markdown

    # First: the HTML is still all made from author text; other plugins may add their own
    # after this, which is not author text.
    @event_priority(50)
    def on_page_content(
        self, html: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        """Rebuild the page's HTML, and the titles of its table of contents (the theme prints
        them as HTML), from the sanitizer's allowlist; then fill in a generated page's HTML
        blocks, which were sanitized as they were rendered (on every core)."""
        if self.ahead.was_rendered_ahead(page):  # a worker did all this (`ahead.py`)
            return html
        for item in _walk_toc(page.toc):
            item.title = sanitize_html(item.title)
        html = sanitize_html(html)
        generated = self._generated(page)
        if generated is not None:
            html = fill_blocks(html, generated.blocks)
        self._done_with_page(page)
        return html

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page:
        """Count the page read; a long build shows its progress in a terminal."""
        if self.progress is None:
            self.progress = Progress(sys.stderr, logging.getLogger("mkdocs"))
            self.pages = self.pages_to_render
        self.progress.advance("Reading pages", self.pages)
        return page

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        if self.progress is not None:
            self.progress.advance("Writing pages", self.pages)
        output = use_search_worker(output)
        if not self.is_serve:
            output = with_content_security_policy(output, page.content or "")
        self._done_with_content(page, config)
        return output

    def _done_with_page(self, page: Page) -> None:
        """A generated page's blocks are in its HTML now. A build lets go of them (the live
        preview keeps its pages for the next rebuild): at thousands of pages, every page's
        blocks and every page's HTML at once were a good part of the peak memory."""
        generated = self._generated(page)
        if generated is None or self.is_serve or self.plan_cache is None:
            return
        size = sum(sys.getsizeof(block) for block in generated.blocks.values())
        self.plan_cache.let_go(generated)
        FREED.let_go(size)

    def _done_with_content(self, page: Page, config: MkDocsConfig) -> None:
        """The theme made the page's output of its HTML; MkDocs writes it next and checks
        anchors from what it noted while reading the page. When every plugin of the build is
        one known to read a page only while it is processed (`SAFE_PLUGINS`), no one reads
        this HTML again: let go of it. Another plugin may read every page at the end (a
        print or PDF page), so with one the HTML stays."""
        if not page.content or not _every_plugin_known(config):
            return
        size = sys.getsizeof(page.content)
        page.content = ""  # not None: the page's title is still the one its HTML gave
        FREED.let_go(size)

    def on_post_template(
        self, output_content: str, *, template_name: str, config: MkDocsConfig
    ) -> str:
        """The theme's own pages (`404.html`) get our search worker and the policy too."""
        if not template_name.endswith(".html"):
            return output_content
        output_content = use_search_worker(output_content)
        if self.is_serve:
            return output_content
        return with_content_security_policy(output_content)

    def _generated(self, page: Page) -> RenderedPage | None:
        return self._generated_page(page.file.src_uri)

    def _generated_page(self, uri: str) -> RenderedPage | None:
        """The generated page at `uri`, rendered (see `PlanCache.materialise`); None if none."""
        page = self.plan.pages.get(uri) if self.plan is not None else None
        if page is not None and self.plan_cache is not None:
            return self.plan_cache.materialise(page)
        return page

    # Last: another plugin's on_env may still change a page's HTML, and the links a page
    # ends up with are the ones that count. MkDocs copies static files right after on_env.
    @event_priority(-100)
    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        """Leave out of a public build the files no page links to; then have workers put the
        pages MkDocs builds next through the theme (`ahead.py`), with the templates compiled
        in an earlier build."""
        assert self.plan_cache is not None
        nav, self.nav = self.nav, None  # held no longer: the preview keeps no build's pages
        assert nav is not None
        self._leave_out_unlinked_files(config, files)
        env.bytecode_cache = self.plan_cache.templates
        if _every_plugin_known(config):
            self.ahead.theme([file.page for file in files.documentation_pages()
                              if file.page is not None
                              and (not self.dirty or file.is_modified())],  # as MkDocs' loop
                             config, nav, files, env)
        return env

    def _leave_out_unlinked_files(self, config: MkDocsConfig, files: Files) -> None:
        """Leave out of a public build every non-Markdown file of `docs/` no page links to.

        Every page of a public build is public by now (`on_files`), so a file is public when
        any page links to it; one linked only from an internal page stays internal. The
        files the theme loads because the config names them stay too.
        """
        assert self.settings is not None and self.reuse is not None
        if not self.settings.is_public:
            return
        linked = files_named_by_config(config)
        for file in files.documentation_pages(inclusion=InclusionLevel.all):
            if file.page is None:
                continue
            paths = self.reuse.linked(file.page)  # a page reused from the last build
            if paths is None and file.page.content is not None:
                paths = linked_paths(file.page.content, file.page.url)
                self.reuse.note_linked(file.page, paths)
            linked |= paths or set()
        unlinked = [file for file in files if file.src_dir == config.docs_dir
                    and not file.is_documentation_page() and file.dest_uri not in linked]
        for file in unlinked:
            files.remove(file)
        listed = sorted(file.src_uri for file in unlinked if not file.inclusion.is_excluded())
        if listed:
            log.info(f"public site: left out {len(listed)} file(s) no public page links to: "
                     f"{', '.join(listed)}")

    def _write_data_files(self, *, config: MkDocsConfig) -> None:
        assert self.plan is not None and self.settings is not None
        assert self.plan_cache is not None
        self.ahead.close()  # MkDocs' loop is over
        data_files = dict(self.plan.data_files)
        if "material/search" in config.plugins:  # the theme shows its search box
            # A function of the whole plan, kept while the plan is the same (`name_plan`).
            data_files.update(self.plan_cache.result(search_box_files, self.plan))
        for uri, content in data_files.items():
            target = Path(config.site_dir) / uri
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")

    # Last: the search plugin writes its index in on_post_build too, and must be scanned.
    @event_priority(-100)
    def _guard_and_publish(self, *, config: MkDocsConfig) -> None:
        with self.frozen:  # the build is over: its garbage may be collected again
            self._guard_and_publish_site(config)

    def _guard_and_publish_site(self, config: MkDocsConfig) -> None:
        assert self.plan is not None and self.settings is not None
        # The internal index, updated since planning, as late as can be: the worker often
        # still runs, beside the data files' writing. A failure is a warning, which must be
        # counted before the site is published.
        self._finish_index_update()
        if self.settings.is_public:
            guard_public_site(self.plan, config)
        if self.warning_counter is not None and self.warning_counter.get_counts():
            return  # MkDocs aborts next; on_build_error discards the staging folder
        if self.settings.is_public:
            # Only text that passed the guard reaches the public index: `pmkb search
            # --audience public` answers from it without scanning again.
            self.index_update = start_index_update(self.settings, self.plan.documents)
            self._finish_index_update()
        assert self.reuse is not None and self.plan_cache is not None
        manifest = self.reuse.finish()
        if self.staging is None:
            catch_up = self.is_serve and self.plan_cache.revalidate(self._rebuild_preview)
            if catch_up:
                log.info("Bringing related incidents and feeds up to date; the preview "
                         "reloads once more when they are")
            elif self.reuse.waited:
                self._rebuild_preview()  # the pages that waited are rendered then
            self.reuse.commit(manifest, catch_up=catch_up or bool(self.reuse.waited))
            self._update_index_later()
            return
        staging, self.staging = self.staging, None  # a failed publish discards it itself
        try:
            staging.publish()
        except PublishError as error:
            raise PluginError(str(error)) from None
        self.reuse.commit(manifest)
        log.info(f"Published the {self.settings.audience} site to {staging.site_dir}")
        self._detach_counter()

    on_post_build = CombinedEvent(_write_data_files, _guard_and_publish)

    def _update_index_later(self) -> None:
        """Under `serve`: update the search index now that the preview is built, from a
        thread, which hands the documents over and waits for the worker while the preview is
        shown and edited: neither this build nor the next waits for the index. The updates
        run one after another, in order, each only when it would not give the index what
        the last one that succeeded gave it (as a rebuild that catches up with the one that
        showed an edit mostly would)."""
        pending, self.index_pending = self.index_pending, None
        if pending is None:
            return
        assert self.settings is not None
        self.index_waiter = threading.Thread(
            target=self._index_in_background, args=(self.index_waiter, self.settings, pending),
            name="pmkb-index-wait", daemon=True,
        )
        self.index_waiter.start()

    def _index_in_background(
        self,
        previous: threading.Thread | None,
        settings: Settings,
        pending: tuple[list[SearchDocument], SourcesManifest],
    ) -> None:
        if previous is not None:
            previous.join()  # never two writers on one index
        if _same_index(pending, self.indexed):
            return
        if _reported(start_index_update(settings, *pending), settings.audience):
            self.indexed = pending

    def _finish_index_update(self) -> None:
        """Wait for this build's index update, if it started one, and report it."""
        assert self.settings is not None
        update, self.index_update = self.index_update, None
        if update is not None:
            _reported(update, self.settings.audience)

    def on_build_error(self, *, error: Exception) -> None:
        self.ahead.close()
        self.frozen.close()
        self._stop_index_update()
        if self.reuse is not None:
            self.reuse.discard()
        if self.progress is not None:
            self.progress.clear()
        if self.staging is not None:
            self.staging.discard()
            log.error("The build failed; the previously published site was left in place.")
        self._detach_counter()

    def _stop_index_update(self) -> None:
        if self.index_update is not None:
            self.index_update.cancel()
            self.index_update = None

    def _detach_counter(self) -> None:
        if self.warning_counter is not None:
            logging.getLogger("mkdocs").removeHandler(self.warning_counter)
            self.warning_counter = None


def _every_plugin_known(config: MkDocsConfig) -> bool:
    return all(
        f"{type(plugin).__module__}.{type(plugin).__qualname__}" in SAFE_PLUGINS
        for plugin in config.plugins.values()
    )


def _reported(update: IndexUpdate, audience: str) -> bool:
    """Wait for `update` and log how it went; whether it succeeded. The index is a cache
    outside the site: a failure is a warning (`--strict` fails), the site is still published."""
    try:
        stats = update.wait()
    except IndexUpdateError as error:
        log.warning(f"Search index ({audience}): {error}")
        return False
    log.info(f"Search index ({audience}): {stats}")
    return True


def _same_index(
    pending: tuple[list[SearchDocument], SourcesManifest],
    indexed: tuple[list[SearchDocument], SourcesManifest] | None,
) -> bool:
    """The same documents (the very objects: the plan cache keeps an unchanged incident's)
    and an equal manifest of the files."""
    if indexed is None or len(pending[0]) != len(indexed[0]):
        return False
    same = all(new is old for new, old in zip(pending[0], indexed[0], strict=True))
    return same and pending[1] == indexed[1]


def _walk_toc(items: Iterable[AnchorLink]) -> Iterator[AnchorLink]:
    for item in items:
        yield item
        yield from _walk_toc(item.children)


def report_problems(plan: SitePlan, settings: Settings) -> None:
    """Log every problem, one line per cause (`core/console_report.py`: a thousand files
    with the same unknown tag are one line); say which files were skipped.

    Problems are warnings to MkDocs, so `--strict` fails on any of them while a plain build
    still publishes every valid incident. A public build stops on any projection error:
    text that cannot be made safe is never published. It also names, one line each, every
    published incident it holds back (awaiting public approval, …): information, not a
    problem, so `--strict` still publishes the approved ones.
    """
    for group in collapse(plan.problems.items):
        log.warning(str(group))
    if plan.kb.skipped:
        log.warning(
            f"{len(plan.kb.skipped)} postmortem file(s) not published because of "
            f"the errors above: {', '.join(plan.kb.skipped)}"
        )
    if settings.is_public:
        for incident, reason in plan.view.held_back:
            log.info(f"public site: held back {incident.id} ({incident.source}): {reason}")
    if settings.is_public and plan.view.public_errors:
        raise PluginError(
            f"the public site cannot be built safely: {len(plan.view.public_errors)} "
            "problem(s) in public text (listed above)"
        )


def guard_public_site(plan: SitePlan, config: MkDocsConfig) -> None:
    """Scan every file of the built public site; any leak stops the build, unpublished.

    Public text that is not an incident (public hand-written pages, the gallery's lessons,
    the organisation and contact) is in `plan.public_texts`: private strings it mentions are
    public on purpose. An internal page's text is not, so it never switches the scan off.
    """
    leaks = find_public_leaks(plan, Path(config.site_dir))
    for leak in leaks:
        log.error(str(leak))
    if leaks:
        raise PluginError(f"leak guard: {len(leaks)} match(es) of private data or deny "
                          "patterns in the public site (listed above); nothing was published")
