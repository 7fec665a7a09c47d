"""A build lets go of what it is done with, and makes the same site as one that holds it all.

At 10,000 incidents every page's HTML and every generated page's HTML blocks, held until the
build ends, took the peak memory of a cold build past its limit. The plugin now lets go of a
generated page's blocks once they are in its HTML, and of a page's HTML once it is written,
when no plugin may read it later (`mkdocs_plugin/plugin.py`), and hands the freed memory back
to the system (`mkdocs_plugin/memory.py`). How much that saves is measured by
`benchmarks/build.py`; these tests check that nothing a build still needs is let go of.

The builds share one plugin object (MkDocs keeps one per process, as in a test run or a
script that builds twice) and have MkDocs' build date fixed, so sites compare byte for byte.
"""

from __future__ import annotations

import platform
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mkdocs.commands import build as mkdocs_build
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.structure.pages import Page

from postmortem_kb.mkdocs_plugin import plugin as postmortems_plugin
from postmortem_kb.mkdocs_plugin.memory import FreedMemory, _malloc_trim, trim_heap
from postmortem_kb.mkdocs_plugin.plugin import PostmortemsPlugin
from site_builder import example_kb_with

pytestmark = pytest.mark.slow
#: 2026-11-23 00:00 UTC, for MkDocs (sitemap dates); the plugin's `build_date` is that day.
BUILD_EPOCH = "1795392000"
#: The postmortems of the example kept (with an evidence file): pages of every kind, few.
KEPT = {
    "2019/2019-07-02-waf-regex-cpu.md",
    "2019/2019-07-02-edge-cpu.svg",
    "2021/2021-06-08-customer-config-latent-bug.md",
    "2025/2025-11-18-risk-feature-file-oversize.md",
    "2025/2025-11-18-risk-file-size.svg",
}
#: A hook that reads every page's HTML once all are written, as a print or PDF plugin does.
PRINT_HOOK = """\
from pathlib import Path

pages = []


def on_page_content(html, page, **kwargs):
    pages.append(page)


def on_post_build(config, **kwargs):
    text = "".join(page.content for page in pages)
    Path(config.site_dir, "print.html").write_text(text, encoding="utf-8")
"""


def test_memory_is_trimmed_each_time_the_threshold_is_let_go_of() -> None:
    trims: list[int] = []
    freed = FreedMemory(threshold=100, trim=lambda: trims.append(1))
    freed.let_go(60)
    assert trims == []
    freed.let_go(60)
    assert trims == [1]
    freed.let_go(60)
    assert trims == [1], "counted again from nothing after a trim"
    freed.trim()
    freed.let_go(60)
    assert trims == [1, 1], "a trim asked for counts too"


def test_the_heap_is_trimmed_where_the_interpreter_runs_on_glibc() -> None:
    assert (_malloc_trim() is not None) == (platform.libc_ver()[0] == "glibc")
    trim_heap()  # anywhere: a no-op without malloc_trim


@dataclass
class Built:
    site: dict[str, bytes]
    #: Every page MkDocs wrote, as the build left it.
    pages: list[Page]
    #: The generated pages of the plan, as the build left them.
    generated_blocks: list[dict[str, str]]


def small_kb(target: Path, *, hook: bool = False) -> Path:
    kb = example_kb_with(target, KEPT)
    if hook:
        (kb / "print_hook.py").write_text(PRINT_HOOK, encoding="utf-8")
        config = kb / "mkdocs.yml"
        text = config.read_text(encoding="utf-8")
        config.write_text(
            text.replace("\nnav:\n", "\nhooks: [print_hook.py]\n\nnav:\n", 1), encoding="utf-8"
        )
    return kb


def build_kb(kb: Path, site: Path, cache: Path) -> Built:
    """`mkdocs build` of `kb` into `site`, with the plan cache in `cache`; every page written
    is recorded."""
    written: list[Page] = []
    build_page = mkdocs_build._build_page

    def recording(page: Page, *args: object, **kwargs: object) -> None:
        build_page(page, *args, **kwargs)  # type: ignore[arg-type]
        written.append(page)

    config = load_config(config_file=str(kb / "mkdocs.yml"), site_dir=str(site), strict=True)
    plugin = config.plugins["postmortems"]
    assert isinstance(plugin, PostmortemsPlugin)
    plugin.config["cache_dir"] = str(cache)
    plugin.config["build_date"] = "2026-11-23"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mkdocs_build, "_build_page", recording)
        try:
            config.plugins.on_startup(command="build", dirty=False)
            build(config)
        finally:
            config.plugins.on_shutdown()
    assert plugin.plan is not None
    return Built(
        {
            path.relative_to(site).as_posix(): path.read_bytes()
            for path in sorted(site.rglob("*"))
            if path.is_file()
        },
        written,
        [page.blocks for page in plugin.plan.pages.values()],
    )


class _NoIndexUpdate:
    """Stands for the whoosh index update, no part of the site (it has its own tests)."""

    def wait(self) -> str:
        return "not updated in this test"

    def cancel(self) -> None:
        pass


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Built]]:
    """One knowledge base built: holding everything (the plugin lets go of nothing), then
    twice as it is, into two sites, with one plan cache and one plugin object; and a copy
    with a hook that reads every page's HTML at the end."""
    root = tmp_path_factory.mktemp("memory")
    kb = small_kb(root / "kb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
        patch.setattr(
            postmortems_plugin, "start_index_update", lambda *args, **kwargs: _NoIndexUpdate()
        )
        with pytest.MonkeyPatch.context() as holding:
            holding.setattr(PostmortemsPlugin, "_done_with_page", lambda self, page: None)
            holding.setattr(
                PostmortemsPlugin, "_done_with_content", lambda self, page, config: None
            )
            held = build_kb(kb, root / "held", root / "held-cache")
        yield {
            "held": held,
            "first": build_kb(kb, root / "first", root / "cache"),
            "second": build_kb(kb, root / "second", root / "cache"),
            "hooked": build_kb(
                small_kb(root / "hooked-kb", hook=True), root / "hooked", root / "hooked-cache"
            ),
        }


def test_a_build_lets_go_of_blocks_and_html_it_wrote(builds: dict[str, Built]) -> None:
    first = builds["first"]
    assert len(first.pages) > 10
    assert [page.file.src_uri for page in first.pages if page.content] == []
    assert any(first.generated_blocks) is False
    held = builds["held"]
    assert all(page.content for page in held.pages), "the reference build held everything"
    assert any(held.generated_blocks)


def test_the_site_is_the_one_a_build_holding_everything_makes(builds: dict[str, Built]) -> None:
    """Titles in the navigation (MkDocs takes a page's title from its HTML), the search
    index, the leak guard: nothing read what was let go of."""
    held, first = builds["held"].site, builds["first"].site
    assert sorted(first) == sorted(held)
    assert [name for name in held if first[name] != held[name]] == []


def test_a_second_build_in_the_process_renders_the_pages_it_let_go_of_again(
    builds: dict[str, Built],
) -> None:
    """The plan cache kept the first build's pages in memory for a next one: it forgot them
    with their blocks, so the second build renders them again rather than show
    placeholders."""
    held, second = builds["held"].site, builds["second"].site
    assert [name for name in held if second.get(name) != held[name]] == []


def test_a_plugin_that_reads_every_page_at_the_end_gets_their_html(
    builds: dict[str, Built],
) -> None:
    hooked = builds["hooked"]
    assert all(page.content for page in hooked.pages)
    printed = hooked.site["print.html"].decode()
    assert "WAF" in printed and 'class="pmkb-' in printed
