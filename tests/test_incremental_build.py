"""Incremental builds make the site a clean build makes, file for file.

A dirty build (what `pmkb build` and `pmkb serve` run) reuses the pages of the last build
whose output would not change and has MkDocs render only the rest (`mkdocs_plugin/
incremental.py`); planning reuses what files, incidents and page templates computed before
(`site/build_cache.py`). Each test changes a copy of the example knowledge base, cut to the
postmortems the steps touch and those they name (`small_kb`), step by step. After every
change it builds the site twice: warm (dirty, into the site the last step published, with the
caches the last steps left) and clean (everything from scratch, into another folder, without
caches), and compares every file of the two sites byte for byte. The live preview's
rebuilds (`Preview`, in this process: the server's rebuild on a save, and the rebuilds the
plugin asks for to catch up) are compared with a clean build of the preview the same way.

MkDocs' build date is fixed (`SOURCE_DATE_EPOCH`), as is the plugin's `build_date`, so no file
needs normalising: otherwise `sitemap.xml` (each page's `lastmod`) and `sitemap.xml.gz` (the
time in its header) carry the day of the build, the only things in the output that do. The
whoosh index is no part of the site (it lives in `cache_dir`), and a build updates it in a
process of its own: here a stand-in updates nothing (`no_search_index`; the index has its
own tests).
"""

from __future__ import annotations

import gc
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import config_options, load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort
from mkdocs.plugins import BasePlugin
from mkdocs.structure.pages import Page

from postmortem_kb.mkdocs_plugin import plugin as postmortems_plugin
from site_builder import REPO_ROOT, BuiltSite, example_kb_with

pytestmark = pytest.mark.slow
#: 2026-11-23 00:00 UTC, for MkDocs; the plugin's `build_date` is the same day.
BUILD_EPOCH = "1795392000"
BUILD_DATE = "2026-11-23"
#: The log line that says how many pages a build rendered.
RENDERED = re.compile(r"Rendering (\d+) of (\d+) pages")
WAF = "postmortems/2019/2019-07-02-waf-regex-cpu.md"
#: A hand-written page's link to the page of the incident `add_postmortem` writes.
QUEUE_PAGE = "incidents/2026-11-02-queue-backlog/index.md"
#: The postmortems (and evidence files) of the example `small_kb` keeps: the WAF outage the
#: steps edit, with its evidence, and the two incidents it names, which name it too.
SMALL_KB = {
    "2019/2019-07-02-waf-regex-cpu.md",
    "2019/2019-07-02-edge-cpu.svg",
    "2021/2021-06-08-customer-config-latent-bug.md",
    "2025/2025-11-18-risk-feature-file-oversize.md",
    "2025/2025-11-18-risk-file-size.svg",
}
#: Where the live preview serves the site (`Preview`).
SERVE_URL = "http://127.0.0.1:8000/"
#: How long the preview may take to ask for its next rebuild before a test fails.
WAIT_SECONDS = 60
#: How many rebuilds the preview may ask for after one (the plan cache's, the pages').
MAX_CATCH_UP = 2


def small_kb(target: Path) -> Path:
    """The example knowledge base with only the `SMALL_KB` postmortems."""
    return example_kb_with(target, SMALL_KB)


@dataclass
class Build:
    site: BuiltSite
    #: Pages MkDocs rendered, and pages the site has (None: the build reused nothing).
    rendered: tuple[int, int] | None


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


def kb_config(
    kb: Path, site_dir: Path, cache_dir: Path, *, config_file: str = "mkdocs.yml", strict: bool
) -> MkDocsConfig:
    config = load_config(config_file=str(kb / config_file), site_dir=str(site_dir), strict=strict)
    plugin = config.plugins["postmortems"].config
    plugin["cache_dir"] = str(cache_dir)
    plugin["build_date"] = plugin.get("build_date") or BUILD_DATE
    return config


@contextmanager
def logged() -> Iterator[_Lines]:
    """The lines MkDocs and the plugins log meanwhile."""
    handler = _Lines()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    previous_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def built(site_dir: Path, lines: list[str]) -> Build:
    counts = [RENDERED.search(line) for line in lines]
    found = [match for match in counts if match]
    rendered = (int(found[-1].group(1)), int(found[-1].group(2))) if found else None
    return Build(BuiltSite(site_dir, lines), rendered)


def build_kb(
    kb: Path,
    site_dir: Path,
    cache_dir: Path,
    *,
    dirty: bool,
    config_file: str = "mkdocs.yml",
    strict: bool = True,
) -> Build:
    """Build `kb` into `site_dir` as `pmkb build` does (dirty) or from scratch (not)."""
    config = kb_config(kb, site_dir, cache_dir, config_file=config_file, strict=strict)
    with logged() as handler:
        try:
            config.plugins.on_startup(command="build", dirty=dirty)
            build(config, dirty=dirty)
        finally:
            config.plugins.on_shutdown()
    return built(site_dir, handler.lines)


@contextmanager
def plugin_instances(instances: dict[str, BasePlugin]) -> Iterator[None]:
    """Have `load_config` take its plugin objects from `instances` meanwhile.

    MkDocs keeps one object per plugin in a process, for every config loaded (so that
    `serve` keeps the plugins' state across rebuilds): a preview's must not be a clean
    build's, nor run another build in between.
    """
    option = MkDocsConfig.plugins
    assert isinstance(option, config_options.Plugins)
    kept, option.plugin_cache = option.plugin_cache, instances
    try:
        yield
    finally:
        option.plugin_cache = kept


def site_files(site_dir: Path) -> dict[str, bytes]:
    return {
        path.relative_to(site_dir).as_posix(): path.read_bytes()
        for path in sorted(site_dir.rglob("*"))
        if path.is_file()
    }


def assert_same_site(warm: Path, clean: Path) -> None:
    """Every file of the two sites, byte for byte; a difference names the files."""
    warm_files, clean_files = site_files(warm), site_files(clean)
    assert sorted(warm_files) == sorted(clean_files), "the sites hold different files"
    differing = [name for name in clean_files if warm_files[name] != clean_files[name]]
    assert differing == [], f"files differ from a clean build: {differing}"


class Steps:
    """A knowledge base, its warm site and caches, and a clean build to compare each step to."""

    def __init__(self, root: Path, config_file: str = "mkdocs.yml") -> None:
        self.root = root
        self.kb = small_kb(root / "kb")
        self.config_file = config_file
        self.warm_site = root / "warm" / "site"
        self.warm_cache = root / "warm" / "cache"
        self.steps = 0

    def build_warm(self, *, strict: bool = True) -> Build:
        return build_kb(
            self.kb,
            self.warm_site,
            self.warm_cache,
            dirty=True,
            config_file=self.config_file,
            strict=strict,
        )

    def start(
        self, change: Callable[[Path], object] | None = None, *, strict: bool = True
    ) -> Build:
        """The first build, with nothing to reuse: every page is rendered."""
        if change is not None:
            change(self.kb)
        first = self.build_warm(strict=strict)
        assert first.rendered is not None and first.rendered[0] == first.rendered[1]
        return first

    def check(
        self, change: Callable[[Path], object] | None = None, *, strict: bool = True
    ) -> Build:
        """Apply `change` to the knowledge base; the warm build must equal a clean one."""
        if change is not None:
            change(self.kb)
        warm = self.build_warm(strict=strict)
        self.steps += 1
        clean_site = self.root / f"clean-{self.steps}" / "site"
        build_kb(
            self.kb,
            clean_site,
            clean_site.parent / "cache",
            dirty=False,
            config_file=self.config_file,
            strict=strict,
        )
        assert_same_site(self.warm_site, clean_site)
        shutil.rmtree(clean_site.parent)
        return warm


class _NoIndexUpdate:
    """Stands for the whoosh index update of a build (`search/service.py`'s `IndexUpdate`)."""

    def wait(self) -> str:
        return "not updated in this test"

    def cancel(self) -> None:
        pass


@pytest.fixture(autouse=True)
def no_search_index(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The index updates the builds start: the documents each is to index."""
    started: list[object] = []

    def start(settings: object, documents: object, *more: object) -> _NoIndexUpdate:
        started.append(documents)
        return _NoIndexUpdate()

    monkeypatch.setattr(postmortems_plugin, "start_index_update", start)
    return started


@pytest.fixture(autouse=True)
def fixed_build_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)


def edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def change(kb: Path) -> None:
        path = kb / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def add_postmortem(kb: Path) -> None:
    (kb / "postmortems" / "2026-11-02-queue-backlog.md").write_text(
        "---\ntitle: Queue backlog delayed webhooks\ndate: 2026-11-02\nseverity: SEV-3\n"
        "status: draft\nservices: [webhooks]\ntags: [capacity]\n"
        "key_learning: Alert on queue age, not only on queue length.\n---\n\n"
        "The webhook queue grew for an hour before anyone noticed.\n",
        encoding="utf-8",
    )


def delete_postmortem(kb: Path) -> None:
    (kb / "postmortems" / "2026-11-02-queue-backlog.md").unlink()


def test_after_an_edit_to_incidents_a_warm_build_equals_a_clean_one(tmp_path: Path) -> None:
    """An unchanged site, one postmortem's text, its tags (index pages change), a new file,
    a deleted one; only a few pages are rendered again each time."""
    steps = Steps(tmp_path)
    total = steps.start().rendered[1]  # type: ignore[index]

    assert steps.check().rendered == (0, total), "an unchanged site renders nothing"

    text = steps.check(edit(WAF, "Its regular expression", "Its regular expression, new,"))
    assert text.rendered is not None and 0 < text.rendered[0] < total // 2

    tags = steps.check(
        edit(
            WAF,
            "tags: [deployment, configuration, networking]",
            "tags: [deployment, configuration, capacity]",
        )
    )
    assert tags.rendered is not None and tags.rendered[0] < total // 2
    assert "WAF rule" in tags.site.read("tags/capacity/index.html")

    steps.check(add_postmortem)
    assert (steps.warm_site / "incidents" / "2026-11-02-queue-backlog" / "index.html").is_file()
    steps.check(delete_postmortem)
    assert not (steps.warm_site / "incidents" / "2026-11-02-queue-backlog").exists()


def test_after_a_change_every_page_shows_a_warm_build_equals_a_clean_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A nav title, a page template's override, the configuration, the theme's overrides,
    the next day."""
    steps = Steps(tmp_path)

    def nav_by_page_title_and_no_theme_overrides(kb: Path) -> None:
        edit("mkdocs.yml", "  - How we work: how-we-work.md", "  - how-we-work.md")(kb)
        edit("mkdocs.yml", "  custom_dir: overrides\n", "")(kb)

    steps.start(nav_by_page_title_and_no_theme_overrides)
    # A hand-written page in the nav by its own title, which every page's sidebar shows.
    title = steps.check(
        edit(
            "docs/how-we-work.md",
            "# How we write postmortems",
            "# How we write and review postmortems",
        )
    )
    assert title.rendered is not None and title.rendered[0] == title.rendered[1]
    (steps.kb / "overrides" / "pmkb").mkdir()
    override = steps.check(
        lambda kb: (kb / "overrides" / "pmkb" / "related.html.j2").write_text(
            (REPO_ROOT / "plugins/postmortem_kb/templates/related.html.j2").read_text("utf-8")
            + "<p>Overridden.</p>\n",
            encoding="utf-8",
        )
    )
    assert override.rendered is not None and override.rendered[0] < override.rendered[1]
    assert "Overridden." in steps.warm_site.joinpath(
        "incidents/2019-07-02-waf-regex-outage/index.html"
    ).read_text("utf-8")
    steps.check(
        edit("mkdocs.yml", "  name: material\n", "  name: material\n  custom_dir: overrides\n")
    )
    steps.check(
        edit(
            "overrides/main.html",
            "{% block extrahead %}",
            '{% block extrahead %}<meta name="x-step" content="1">',
        )
    )
    # Tomorrow: MkDocs' date (the sitemap) and ours (overdue follow-ups, ages) move on.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(BUILD_EPOCH) + 86400))
    steps.check(
        edit(
            "mkdocs.yml",
            "      timezone: UTC\n",
            '      timezone: UTC\n      build_date: "2026-11-24"\n',
        )
    )


def test_an_evidence_file_that_appears_is_found_by_a_warm_build(tmp_path: Path) -> None:
    """A file's load depends on the evidence files it names, not only on its own bytes."""
    steps = Steps(tmp_path)
    steps.start()
    svg = steps.kb / "postmortems" / "2019" / "2019-07-02-edge-cpu.svg"
    kept = svg.read_bytes()
    missing = steps.check(lambda kb: svg.unlink(), strict=False)
    assert "does not exist" in "\n".join(missing.site.warnings())
    steps.check(lambda kb: svg.write_bytes(kept))
    assert (steps.warm_site / "incidents/2019-07-02-waf-regex-outage/evidence").is_dir()


def test_a_warm_public_build_equals_a_clean_one(tmp_path: Path) -> None:
    steps = Steps(tmp_path, "mkdocs.public.yml")
    steps.start()
    unchanged = steps.check()
    assert unchanged.rendered is not None and unchanged.rendered[0] == 0
    steps.check(
        edit(
            WAF,
            "tags: [deployment, configuration, networking]",
            "tags: [deployment, configuration]",
        )
    )


def test_warnings_of_a_reused_page_are_logged_again_and_fail_a_strict_build(
    tmp_path: Path,
) -> None:
    """A reused page is not rendered, but what rendering it logged is: `--strict` still
    fails on a broken link in a page nobody touched."""
    steps = Steps(tmp_path)
    broken = "See [the runbook](runbook.md).\n"
    edit(
        "docs/how-we-work.md",
        "# How we write postmortems",
        f"# How we write postmortems\n\n{broken}",
    )(steps.kb)
    first = steps.build_warm(strict=False)
    warning = [line for line in first.site.warnings() if "runbook.md" in line]
    assert warning
    again = steps.build_warm(strict=False)
    assert again.rendered is not None and again.rendered[0] == 0
    assert [line for line in again.site.warnings() if "runbook.md" in line] == warning
    with pytest.raises(Abort):
        steps.build_warm()


def test_a_page_changed_in_the_published_site_is_rendered_again(tmp_path: Path) -> None:
    steps = Steps(tmp_path)
    steps.start()
    page = steps.warm_site / "how-we-work" / "index.html"
    page.write_text("tampered", encoding="utf-8")
    again = steps.check()
    assert again.rendered is not None and again.rendered[0] == 1


def test_a_build_in_place_leaves_no_page_of_a_deleted_incident(tmp_path: Path) -> None:
    """Without a staging folder (`atomic: false`, like the live preview) the output folder
    keeps only the reused pages before MkDocs writes: nothing stale is left. A page that
    links to the incident is rendered again as its link starts and stops finding it."""
    steps = Steps(tmp_path)

    def in_place_with_a_link(kb: Path) -> None:
        edit("mkdocs.yml", "      timezone: UTC\n", "      timezone: UTC\n      atomic: false\n")(
            kb
        )
        edit(
            "docs/how-we-work.md",
            "# How we write postmortems",
            f"# How we write postmortems\n\n[The backlog]({QUEUE_PAGE})\n",
        )(kb)

    steps.start(in_place_with_a_link, strict=False)
    steps.check(add_postmortem, strict=False)
    assert 'href="../incidents/2026-11-02-queue-backlog/"' in steps.warm_site.joinpath(
        "how-we-work/index.html"
    ).read_text("utf-8")
    steps.check(delete_postmortem, strict=False)
    assert not (steps.warm_site / "incidents" / "2026-11-02-queue-backlog").exists()


def test_a_hook_turns_page_reuse_off_and_the_build_stays_right(tmp_path: Path) -> None:
    """A hook (or a plugin other than ours and the search) may read every page: nothing is
    reused, the log says why, and the site is still a clean build's."""
    steps = Steps(tmp_path)
    (steps.kb / "title_hook.py").write_text(
        "def on_page_markdown(markdown, page, **kwargs):\n    return markdown\n", "utf-8"
    )
    edit("mkdocs.yml", "\nnav:\n", "\nhooks: [title_hook.py]\n\nnav:\n")(steps.kb)
    steps.build_warm()
    again = steps.check(edit(WAF, "Its regular expression", "Its regular expression, new,"))
    assert again.rendered is None
    assert any(
        "Building every page: the plugin 'title_hook.py' may use every page" in line
        for line in again.site.logs
    )


class Preview:
    """A live preview (`pmkb serve`) in this process, with plugin objects of its own.

    `rebuild` is what the server runs on a save: a dirty build of a config loaded again.
    `catch_up` runs the rebuilds the plugin asks for after one (the server watches the file
    the plugin writes then: `cache_dir/build/serve-internal/ready`), until it asks for none.
    """

    def __init__(self, kb: Path, root: Path) -> None:
        self.kb = kb
        self.site = root / "preview" / "site"
        self.cache = root / "preview" / "cache"
        self.ready = self.cache / "build" / "serve-internal" / "ready"
        self._instances: dict[str, BasePlugin] = {}
        self._asked_before = ""
        with plugin_instances(self._instances):
            self._config().plugins.on_startup(command="serve", dirty=True)

    def _config(self) -> MkDocsConfig:
        config = kb_config(self.kb, self.site, self.cache, strict=True)
        config.site_url = SERVE_URL
        return config

    def rebuild(self) -> Build:
        self._asked_before = self._asked()  # the plugin may ask for the next one meanwhile
        with plugin_instances(self._instances), logged() as handler:
            build(self._config(), serve_url=SERVE_URL, dirty=True)
        return built(self.site, handler.lines)

    def catch_up(self, last: Build) -> list[Build]:
        """The rebuilds the plugin asks for after `last`, each once it asks for it."""
        rebuilds = []
        while any(
            "reloads once more" in line or "until the rebuild right after" in line
            for line in last.site.logs
        ):
            deadline = time.monotonic() + WAIT_SECONDS
            while self._asked() == self._asked_before:
                assert time.monotonic() < deadline, "the preview never asked for its rebuild"
                time.sleep(0.01)
            last = self.rebuild()
            rebuilds.append(last)
            assert len(rebuilds) <= MAX_CATCH_UP, "the preview keeps asking for rebuilds"
        return rebuilds

    def _asked(self) -> str:
        return self.ready.read_text("utf-8") if self.ready.exists() else ""

    def close(self) -> None:
        with plugin_instances(self._instances):
            self._config().plugins.on_shutdown()


def clean_preview(kb: Path, root: Path) -> Path:
    """The preview of `kb` built from scratch, by plugin objects of its own, in `root`."""
    with plugin_instances({}):
        config = kb_config(kb, root / "site", root / "cache", strict=True)
        config.site_url = SERVE_URL
        try:
            config.plugins.on_startup(command="serve", dirty=False)
            build(config, serve_url=SERVE_URL, dirty=False)
        finally:
            config.plugins.on_shutdown()
    return root / "site"


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    preview = Preview(small_kb(tmp_path / "kb"), tmp_path)
    try:
        yield preview
    finally:
        preview.close()


WAF_PAGE = "incidents/2019-07-02-waf-regex-outage/index.html"
QUEUE_ID = "2026-11-02-queue-backlog"


def add_postmortem_naming_the_waf_outage(kb: Path) -> None:
    """A new incident whose author names the WAF outage (a link both pages show)."""
    add_postmortem(kb)
    edit(
        f"postmortems/{QUEUE_ID}.md",
        "tags: [capacity]\n",
        "tags: [capacity]\nrelated: [2019-07-02-waf-regex-outage]\n",
    )(kb)


def test_the_preview_shows_an_edit_at_once_and_then_catches_up_with_a_clean_build(
    preview: Preview, tmp_path: Path, no_search_index: list[object]
) -> None:
    """The page of the incident edited, added or deleted is right in the rebuild on the save;
    a page the edit changes only across the library (another incident's related list) may
    show the last rebuild's for one more rebuild, after which the site is a clean build's.
    The search index is updated after the rebuild on a save, not after one that catches up
    (it would index the same)."""
    first = preview.rebuild()
    assert first.rendered is not None and first.rendered[0] == first.rendered[1]
    assert preview.catch_up(first) == []
    assert len(no_search_index) == 1

    add_postmortem_naming_the_waf_outage(preview.kb)
    added = preview.rebuild()
    assert (preview.site / "incidents" / QUEUE_ID / "index.html").is_file()
    preview.catch_up(added)
    assert QUEUE_ID in (preview.site / WAF_PAGE).read_text("utf-8")
    assert_same_site(preview.site, clean_preview(preview.kb, tmp_path / "clean-added"))

    delete_postmortem(preview.kb)
    deleted = preview.rebuild()
    assert not (preview.site / "incidents" / QUEUE_ID).exists()
    assert QUEUE_ID in (preview.site / WAF_PAGE).read_text("utf-8"), "the WAF page waited"
    assert any(
        "of them until the rebuild right after this one" in line for line in deleted.site.logs
    )
    caught_up = preview.catch_up(deleted)
    assert caught_up and caught_up[-1].rendered is not None
    assert QUEUE_ID not in (preview.site / WAF_PAGE).read_text("utf-8")
    assert_same_site(preview.site, clean_preview(preview.kb, tmp_path / "clean-deleted"))

    edit(WAF, "Its regular expression", "Its regular expression, edited in the preview,")(
        preview.kb
    )
    # Saved a minute ago: the index's manifest records a file changed within two seconds
    # without its time (`search/manifest.py`), and updates the index once the time is sure.
    saved = time.time_ns() - 60 * 10**9
    os.utime(preview.kb / WAF, ns=(saved, saved))
    updates = len(no_search_index)
    edited = preview.rebuild()
    assert "edited in the preview" in (preview.site / WAF_PAGE).read_text("utf-8")
    assert len(no_search_index) == updates + 1, "an index update after the rebuild on a save"
    assert preview.catch_up(edited)
    assert len(no_search_index) == updates + 1, "none after one that catches up"
    assert_same_site(preview.site, clean_preview(preview.kb, tmp_path / "clean-edited"))


def test_a_preview_build_leaves_none_of_its_pages_behind(preview: Preview) -> None:
    """Once the first build is done the preview freezes what is left for the garbage
    collector (`serve_heap.py`): a page and its file refer to each other, and frozen they
    would outlast the build. Nothing the plugin keeps may hold them."""
    preview.rebuild()
    gc.collect()
    left = [
        thing
        for thing in gc.get_objects()
        if isinstance(thing, Page) and thing.file.abs_dest_path.startswith(str(preview.site))
    ]
    assert left == []
