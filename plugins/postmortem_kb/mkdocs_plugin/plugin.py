"""The `postmortems` MkDocs plugin: a thin adapter over `postmortem_kb.site.plan_site`.

Events, one job each:
- `on_startup`: remember whether this is `serve` (live preview builds are not swapped).
- `on_config`: turn the typed options into core `Settings`; point `site_dir` at a fresh
  staging folder so a failing build never touches the published site.
- `on_pre_build`: load, validate and plan the site (before MkDocs cleans any folder), and
  report every problem at once; start updating the search index in a worker process, so
  whoosh runs on another core while MkDocs renders pages.
- `on_files`: add the generated pages and evidence files.
- `on_page_content` / `on_page_context`: fill in each generated page's HTML blocks (see
  `render.py`), the searchable ones before the search plugin reads the page, the rest after.
- `on_post_build`: collect the search index update and write data files (feeds, JSON) at
  the default priority; then, after every other plugin has written its output (search
  index), run the public leak guard over every output file and swap the staging folder
  into place.
- `on_build_error`: stop the index worker; throw the staging folder away; the previous site
  stays.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import CountHandler
from mkdocs.utils.templates import TemplateContext

from ..core import urls
from ..core.settings import Settings, settings_from_config
from ..search.service import IndexUpdate, IndexUpdateError, start_index_update
from ..site.plan import SitePlan, plan_site
from ..site.public_guard import find_public_leaks
from ..site.publish import discard, publish, staging_dir_for
from ..site.render import RenderedPage, fill_blocks
from .config import PostmortemsConfig

log = get_plugin_logger(__name__)

#: Stylesheets and scripts shipped in the package; every one is added to every site.
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"


def packaged_assets() -> dict[str, Path]:
    """uri → file of every packaged asset (`assets/pmkb/<name>`)."""
    return {urls.asset_uri(path.name): path for path in sorted(ASSETS_DIR.iterdir())
            if path.suffix in (".css", ".js")}


class PostmortemsPlugin(BasePlugin[PostmortemsConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.is_serve = False
        self.settings: Settings | None = None
        self.plan: SitePlan | None = None
        #: src_uri → the HTML after a page's search mark, while the search plugin reads it.
        self.unsearched_tails: dict[str, str] = {}
        self.final_site_dir: Path | None = None
        self.staging_dir: Path | None = None
        self.warning_counter: CountHandler | None = None
        self.index_update: IndexUpdate | None = None

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.is_serve = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.settings = settings_from_config(self.config, config)
        self._watch_sources(config)
        for uri in packaged_assets():
            extra = config.extra_css if uri.endswith(".css") else config.extra_javascript
            if uri not in extra:
                extra.append(uri)
        if self.config.atomic and not self.is_serve:
            self.final_site_dir = Path(config.site_dir)
            self.staging_dir = staging_dir_for(self.final_site_dir)
            config.site_dir = str(self.staging_dir)
        if config.strict:
            # MkDocs aborts on warnings only after on_post_build; count them ourselves so
            # a strict build with warnings is never swapped into place.
            self.warning_counter = CountHandler()
            self.warning_counter.setLevel(logging.WARNING)
            logging.getLogger("mkdocs").addHandler(self.warning_counter)
        return config

    def _watch_sources(self, config: MkDocsConfig) -> None:
        assert self.settings is not None
        for folder in (self.settings.source_dir,):
            if str(folder) not in config.watch:
                config.watch.append(str(folder))

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        assert self.settings is not None
        overrides = Path(config.config_file_path).parent / "overrides"
        self.plan = plan_site(self.settings, overrides)
        report_problems(self.plan, self.settings)
        self._stop_index_update()  # a `serve` rebuild never runs two writers on one index
        self.index_update = start_index_update(self.settings, self.plan.documents)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.plan is not None
        for uri, page in self.plan.pages.items():
            existing = files.get_file_from_path(uri)
            if existing is not None:
                files.remove(existing)
            files.append(File.generated(config, uri, content=page.markdown))
        for uri, source in [*packaged_assets().items(), *self.plan.files.items()]:
            files.append(File.generated(config, uri, abs_src_path=str(source)))
        return files

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Fill in the HTML blocks the client search indexes (key facts, …); set aside the
        part of the page after its `search_ends_here()` mark until the search plugin is done."""
        generated = self._generated(page)
        if generated is None:
            return html
        searched, self.unsearched_tails[page.file.src_uri] = generated.split_for_search(html)
        return fill_blocks(searched, generated.blocks, searchable=True)

    # After mkdocs-material's search plugin (priority 0) has read `page.content`: the blocks
    # it must not index (lists, timelines, follow-ups) are not even parsed by it.
    @event_priority(-100)
    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        generated = self._generated(page)
        if generated and page.content is not None:
            content = page.content + self.unsearched_tails.pop(page.file.src_uri, "")
            page.content = fill_blocks(content, generated.blocks, searchable=False)
        return context

    def _generated(self, page: Page) -> RenderedPage | None:
        return self.plan.pages.get(page.file.src_uri) if self.plan is not None else None

    def _write_data_files(self, *, config: MkDocsConfig) -> None:
        assert self.plan is not None and self.settings is not None
        assert self.index_update is not None
        update, self.index_update = self.index_update, None
        try:
            stats = update.wait()
        except IndexUpdateError as error:
            # The index is a cache outside the site: warn (`--strict` fails), still publish.
            log.warning(f"Search index ({self.settings.audience}): {error}")
        else:
            log.info(f"Search index ({self.settings.audience}): {stats}")
        for uri, content in self.plan.data_files.items():
            target = Path(config.site_dir) / uri
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")

    # Last: the search plugin writes its index in on_post_build too, and must be scanned.
    @event_priority(-100)
    def _guard_and_publish(self, *, config: MkDocsConfig) -> None:
        assert self.plan is not None and self.settings is not None
        if self.settings.is_public:
            guard_public_site(self.plan, config)
        if self.staging_dir is None or self.final_site_dir is None:
            return
        if self.warning_counter is not None and self.warning_counter.get_counts():
            return  # MkDocs aborts next; on_build_error discards the staging folder
        publish(self.staging_dir, self.final_site_dir)
        log.info(f"Published the {self.settings.audience} site to {self.final_site_dir}")
        self._detach_counter()

    on_post_build = CombinedEvent(_write_data_files, _guard_and_publish)

    def on_build_error(self, *, error: Exception) -> None:
        self._stop_index_update()
        if self.staging_dir is not None:
            discard(self.staging_dir)
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


def report_problems(plan: SitePlan, settings: Settings) -> None:
    """Log every problem once; say which files were skipped.

    Problems are warnings to MkDocs, so `--strict` fails on any of them while a plain build
    still publishes every valid incident. A public build stops on any projection error:
    text that cannot be made safe is never published.
    """
    for problem in plan.problems.items:
        log.warning(str(problem))
    if plan.kb.skipped:
        log.warning(
            f"{len(plan.kb.skipped)} postmortem file(s) not published because of "
            f"the errors above: {', '.join(plan.kb.skipped)}"
        )
    if settings.is_public and plan.view.public_errors:
        raise PluginError(
            f"the public site cannot be built safely: {len(plan.view.public_errors)} "
            "problem(s) in public text (listed above)"
        )


def guard_public_site(plan: SitePlan, config: MkDocsConfig) -> None:
    """Scan every file of the built public site; any leak stops the build, unpublished."""
    hand_written = [path.read_text(encoding="utf-8", errors="replace")
                    for path in Path(config.docs_dir).rglob("*.md")]
    leaks = find_public_leaks(plan, Path(config.site_dir), hand_written)
    for leak in leaks:
        log.error(str(leak))
    if leaks:
        raise PluginError(f"leak guard: {len(leaks)} match(es) of private data or deny "
                          "patterns in the public site (listed above); nothing was published")
