"""The page renderer: HTML blocks in the Markdown, filled in after it, and one-line values.

Structured parts of a page are HTML blocks (`render.py`); these tests pin how they travel
through Markdown, that they are sanitized as they are rendered, that plain values
skipping Markdown come out exactly as Markdown would make them, and that every link a block
writes reaches a page, with and without `use_directory_urls`.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import markdown
import pytest

from postmortem_kb.core.formatting import escape_html
from postmortem_kb.core.settings import Settings
from postmortem_kb.site.plan import plan_site
from postmortem_kb.site.render import (
    PageRenderer,
    fill_blocks,
    orphaned_overrides,
    page_front_matter,
)
from site_builder import REPO_ROOT, build_site, copy_kb

SITE_EXTENSIONS = ["tables", "attr_list", "md_in_html", "admonition"]


def renderer_with(tmp_path: Path, templates: dict[str, str], **options: bool) -> PageRenderer:
    overrides = tmp_path / "overrides"
    (overrides / "pmkb").mkdir(parents=True)
    for name, text in templates.items():
        (overrides / "pmkb" / name).write_text(text, encoding="utf-8")
    return PageRenderer(overrides, **options)


PAGE = """# A page

Before.

{{ block("facts.html.j2", searchable=true, value=value) }}
!!! note "Inside an admonition"
{{ block("list.html.j2", target="tags/dns/index.md") | indent }}

After.
"""
BLOCKS = {
    "page.md.j2": PAGE,
    "facts.html.j2": "<table><tr><td>{{ value | inline }}</td></tr></table>\n",
    "list.html.j2": '<ul><li><a href="{{ link(target) }}">dns</a></li></ul>\n',
}


def test_blocks_are_placeholder_paragraphs_filled_in_after_markdown(tmp_path: Path) -> None:
    page = renderer_with(tmp_path, BLOCKS).render(
        "page.md.j2", "incidents/a/index.md", value="<b>x</b>"
    )
    facts, listing = page.blocks
    assert "<table>" not in page.markdown and "<ul>" not in page.markdown
    html = markdown.markdown(page.markdown, extensions=SITE_EXTENSIONS)
    # Each placeholder is a paragraph of its own, even right after a line of text.
    assert f"<p>{facts}</p>" in html and f"<p>{listing}</p>" in html

    full = fill_blocks(html, page.blocks)
    assert "<td>&lt;b&gt;x&lt;/b&gt;</td>" in full
    assert '<a href="../../tags/dns/">dns</a>' in full
    assert "pmkb" not in full
    assert '<div class="admonition note">' in full  # the block stayed inside the admonition


def test_resolved_markdown_holds_each_block_in_place(tmp_path: Path) -> None:
    page = renderer_with(tmp_path, BLOCKS).render("page.md.j2", "incidents/a/index.md", value="v")
    text = page.resolved()
    assert "pmkb" not in text and "data-search-exclude" not in text
    # Sanitized as rendered: the HTML parser supplies the table's implied `<tbody>`.
    assert "Before.\n\n\n<table><tbody><tr><td>v</td></tr></tbody></table>\n" in text
    assert '    <ul><li><a href="../../tags/dns/">dns</a></li></ul>\n' in text  # indented


def test_a_placeholder_not_of_this_page_is_left_as_written(tmp_path: Path) -> None:
    page = renderer_with(tmp_path, BLOCKS).render("page.md.j2", "incidents/a/index.md", value="v")
    other = renderer_with(tmp_path / "other", BLOCKS).render("page.md.j2", "x/index.md", value="w")
    forged = "<p>" + next(iter(other.blocks)) + "</p>"
    assert fill_blocks(forged, page.blocks) == forged


def test_block_links_follow_use_directory_urls(tmp_path: Path) -> None:
    page = renderer_with(tmp_path, BLOCKS, directory_urls=False).render(
        "page.md.j2", "incidents/a/index.md", value="v"
    )
    assert '<a href="../../tags/dns/index.html">dns</a>' in page.resolved()


# -- one-line values ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inline():  # type: ignore[no-untyped-def]
    return PageRenderer().html_env.filters["inline"]


@pytest.mark.parametrize("value", [
    "The primary database fell behind & traffic was drained.",
    "Rolled back at 14:05 (UTC) -- 40% of requests failed; 5xx rate > 1/s",
    "Ünïcödé, quotes \"double\" and 'single', 3.5 seconds, a+b=c",
    "  runs of   spaces\nand a line break  ",
])  # fmt: skip
def test_plain_values_come_out_exactly_as_markdown_makes_them(inline, value: str) -> None:  # type: ignore[no-untyped-def]
    as_markdown = markdown.markdown(escape_html(" ".join(value.split())))
    assert str(inline(value)) == as_markdown.removeprefix("<p>").removesuffix("</p>")


@pytest.mark.parametrize(("value", "expected"), [
    ("Run `kubectl drain` *now*", "Run <code>kubectl drain</code> <em>now</em>"),
    ("See [the runbook](https://runbooks.example/db)",
     'See <a href="https://runbooks.example/db">the runbook</a>'),
    ("<script>alert(1)</script> & **bold**",
     "&lt;script&gt;alert(1)&lt;/script&gt; &amp; <strong>bold</strong>"),
    ("# not a heading", "# not a heading"),
    ("1. not a list", "1. not a list"),
    ("- not a list either", "- not a list either"),
    ("* nor this", "* nor this"),
    (None, ""),
])  # fmt: skip
def test_values_with_inline_markdown_are_rendered_inline_and_escaped(  # type: ignore[no-untyped-def]
    inline, value: str | None, expected: str
) -> None:
    assert str(inline(value)) == expected


def test_internal_parts_of_a_value_are_marked_on_the_internal_site() -> None:
    value = "Restarted [by the night shift]{.internal} the pods"
    internal = PageRenderer().html_env.filters["inline"](value)
    assert '<span class="pmkb-internal">by the night shift</span>' in internal


# -- every link a generated page writes reaches a page -----------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def broken_links(site_dir: Path, directory_urls: bool) -> list[str]:
    """`page: href` for every relative link of a generated page that reaches no page.

    Without `use_directory_urls` a link to a folder is broken too: no server to add
    `index.html`, as when the site is opened from disk.
    """
    broken = []
    for section in ("incidents", "tags", "services", "severity", "years", "gallery"):
        for page in (site_dir / section).rglob("index.html"):
            parser = _Links()
            parser.feed(page.read_text(encoding="utf-8"))
            for href in parser.hrefs:
                parts = urlsplit(href)
                if parts.scheme or parts.netloc or not parts.path:
                    continue
                target = (page.parent / unquote(parts.path)).resolve()
                if target.is_dir() and directory_urls:
                    target = target / "index.html"
                if not target.is_file():
                    broken.append(f"{page.relative_to(site_dir)}: {href}")
    return broken


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_every_link_between_generated_pages_resolves(
    example_sites: dict[str, Path], audience: str
) -> None:
    assert broken_links(example_sites[audience], directory_urls=True) == []


@pytest.mark.slow
def test_without_directory_urls_every_link_names_its_page(tmp_path: Path) -> None:
    kb = copy_kb(REPO_ROOT, tmp_path / "kb")
    config = kb / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\nuse_directory_urls: false\n", "utf-8")
    site = build_site(config, tmp_path / "site")
    assert broken_links(site.site_dir, directory_urls=False) == []


def test_overrides_written_for_the_old_search_marks_still_render(tmp_path: Path) -> None:
    """`searchable=` and `search_ends_here()` steered a search no page is in any more."""
    templates = {
        "page.md.j2": "# A page\n\nBefore.\n{{ search_ends_here() }}\n## Later\n\n"
        '{{ block("b.html.j2", searchable=true) }}\n',
        "b.html.j2": "<p>block</p>\n",
    }
    page = renderer_with(tmp_path, templates).render("page.md.j2", "x/index.md")
    html = fill_blocks(markdown.markdown(page.markdown), page.blocks)
    assert html == "<h1>A page</h1>\n<p>Before.</p>\n<h2>Later</h2>\n<p>block</p>\n"


# -- overrides that replace nothing --------------------------------------------------------


def test_an_override_of_no_shipped_template_is_a_warning_naming_it(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides"
    (overrides / "pmkb").mkdir(parents=True)
    for name in (
        "incident.md.j2",
        "incident_facts.html.j2",
        "incident_timline.html.j2",
        "notes.txt",
        ".keep",
    ):
        (overrides / "pmkb" / name).write_text("x", encoding="utf-8")
    problems = {problem.file: problem for problem in orphaned_overrides(overrides)}
    # A template that exists, and a hidden file, are not reported.
    assert sorted(problems) == [
        "overrides/pmkb/incident_facts.html.j2",
        "overrides/pmkb/incident_timline.html.j2",
        "overrides/pmkb/notes.txt",
    ]
    assert all(problem.severity == "warning" for problem in problems.values())
    retired = str(problems["overrides/pmkb/incident_facts.html.j2"])
    assert retired.startswith("overrides/pmkb/incident_facts.html.j2: overrides no template")
    assert "incident_header.html.j2" in retired and "incident_more_facts.html.j2" in retired
    assert "did you mean incident_timeline.html.j2?" in str(
        problems["overrides/pmkb/incident_timline.html.j2"]
    )
    unknown = str(problems["overrides/pmkb/notes.txt"])
    assert "expected one of: " in unknown and "home_internal.md.j2" in unknown
    assert "\n" not in unknown  # one line


def test_no_overrides_folder_is_no_warning(tmp_path: Path) -> None:
    assert orphaned_overrides(None) == []
    assert orphaned_overrides(tmp_path / "overrides") == []


def test_the_plan_reports_an_orphaned_override(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides"
    (overrides / "pmkb").mkdir(parents=True)
    (overrides / "pmkb" / "incident_facts.html.j2").write_text("x", encoding="utf-8")
    source = tmp_path / "postmortems"
    source.mkdir()
    plan = plan_site(Settings(source_dir=source), overrides)
    assert [problem.file for problem in plan.problems.warnings] == [
        "overrides/pmkb/incident_facts.html.j2"
    ]


def test_list_and_home_pages_hide_the_table_of_contents() -> None:
    assert page_front_matter("Tags") == 'title: "Tags"\n'.join(["---\n", "---\n"])
    assert page_front_matter("A <b>", hide=("toc",)) == (
        '---\ntitle: "A \u2039b\u203a"\nhide:\n  - toc\n---\n'
    )
