"""The internal page and the public page of one incident, side by side in a real browser.

An author opens an incident on the internal site and expands its "Public page preview"; a
customer opens the same incident on the public site. Section by section the two read the
same, the internal page marks what is internal only, and the public page shows none of it.
Built from the leak fixture, with an internal-only block added to the narrative.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator

from conftest import OpenPage, ServeDir
from site_builder import build_site, copy_kb
from test_redaction_build import LEAKY_KB, PRIVATE_PREFIX, PUBLIC_ID

pytestmark = pytest.mark.browser

INCIDENT = f"incidents/{PUBLIC_ID}/"
INTERNAL_BLOCK = "The rota had a gap that night."
#: The sections both versions must show, in this order, after the header band.
SECTIONS = ["Summary", "Customer impact", "Timeline", "What we fixed", "Follow-up actions"]
#: Every way an internal page marks what the public version drops.
INTERNAL_MARKS = (
    ".pmkb-internal-section, .admonition.internal, .pmkb-internal, .pmkb-lock, .pmkb-chip-public"
)
PURPLE = "rgb(106, 27, 154)"

#: Splits a container's children into {section heading: [block texts, table rows]}. Headings
#: are `<h2>` on the public page and bold-only paragraphs in the preview (which keeps the
#: internal page's table of contents clean); what comes before the first is the key facts.
SECTIONS_JS = """(root) => {
  const sections = {"Key facts": []};
  let current = "Key facts";
  for (const el of root.children) {
    if (el.tagName === "SUMMARY" || el.tagName === "H1") continue;
    // mkdocs-material wraps each table in <div>s for scrolling.
    const table = el.tagName === "TABLE" ? el : el.querySelector("table");
    const strong = el.tagName === "P" && el.children.length === 1
      && el.firstElementChild.tagName === "STRONG"
      && el.innerText.trim() === el.firstElementChild.innerText.trim();
    if (el.tagName === "H2" || strong) {
      current = el.innerText.replace("\\u00b6", "").trim();
      sections[current] = [];
    } else if (table) {
      for (const row of table.querySelectorAll("tr")) {
        sections[current].push([...row.cells].map((c) => c.innerText.trim()).join(" | "));
      }
    } else if (el.innerText.trim()) {
      sections[current].push(el.innerText.trim());
    }
  }
  return sections;
}"""


@dataclass(frozen=True)
class Sites:
    internal: Path
    public: Path


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Sites:
    kb = copy_kb(LEAKY_KB, tmp_path_factory.mktemp("side-by-side") / "kb")
    source = kb / "postmortems" / "privmark-filename-alpha.md"
    source.write_text(
        f"{source.read_text(encoding='utf-8')}\n::: internal\n{INTERNAL_BLOCK}\n:::\n",
        encoding="utf-8",
    )
    return Sites(
        internal=build_site(kb / "mkdocs.yml", kb / "site").site_dir,
        public=build_site(kb / "mkdocs.public.yml", kb / "site-public").site_dir,
    )


def sections(container: Locator) -> dict[str, list[str]]:
    found: dict[str, list[str]] = container.evaluate(SECTIONS_JS)
    return found


def test_public_preview_and_public_page_read_the_same_side_by_side(
    sites: Sites, serve_dir: ServeDir, open_page: OpenPage, tmp_path: Path
) -> None:
    internal, internal_watch = open_page(serve_dir(sites.internal) + INCIDENT)
    public, public_watch = open_page(serve_dir(sites.public) + INCIDENT)
    for page in (internal, public):
        page.set_viewport_size({"width": 900, "height": 1400})

    preview = internal.locator("details.public")
    assert not preview.evaluate("el => el.open")
    preview.locator("summary").click()
    assert preview.evaluate("el => el.open")
    assert preview.locator("summary").inner_text() == "Public page preview: PUBMARK-TITLE"
    assert public.locator("article h1").inner_text().rstrip("\u00b6") == "PUBMARK-TITLE"

    previewed = sections(preview)
    published = sections(public.locator("article"))
    assert [name for name in previewed if name in SECTIONS] == SECTIONS
    assert set(published) - set(previewed) <= {"Related incidents"}
    for name, blocks in previewed.items():
        assert published.get(name) == blocks, f"section {name!r} differs"
    assert "PUBMARK-TIMELINE errors rose" in "\n".join(published["Timeline"])
    assert "Open\nPUBMARK-FUACTION" in "\n".join(published["Follow-up actions"]).replace(
        " PUBMARK", "\nPUBMARK"
    )
    assert "PUBMARK-PHASENOTE" in "\n".join(published["Key facts"])  # the header band

    internal.screenshot(path=tmp_path / "internal.png", full_page=True)
    public.screenshot(path=tmp_path / "public.png", full_page=True)
    assert (tmp_path / "internal.png").stat().st_size > 0
    assert (tmp_path / "public.png").stat().st_size > 0
    internal_watch.assert_clean()
    public_watch.assert_clean()


def test_internal_parts_are_marked_internally_and_absent_publicly(
    sites: Sites, serve_dir: ServeDir, open_page: OpenPage
) -> None:
    internal, internal_watch = open_page(serve_dir(sites.internal) + INCIDENT)
    public, public_watch = open_page(serve_dir(sites.public) + INCIDENT)

    marked_sections = internal.locator("h2.pmkb-internal-section")
    names = [text.replace("\u00b6", "").strip() for text in marked_sections.all_inner_texts()]
    assert {"Summary", "Contributors", "Five whys", "Evidence", "Links", "Narrative"} <= set(names)
    assert (
        marked_sections.first.evaluate("el => getComputedStyle(el, '::after').content")
        == '"internal only"'
    )
    spans = internal.locator("span.pmkb-internal")
    assert sorted(spans.all_inner_texts()) == [  # INSPAN: public text as written
        "PRIVMARK-FUSPAN",
        "PRIVMARK-INSPAN",
        "PRIVMARK-PHASESPAN",
        "PRIVMARK-TLSPAN",
    ]
    assert spans.first.evaluate("el => getComputedStyle(el).borderBottomStyle") == "dotted"
    block = internal.locator(".admonition.internal", has_text=INTERNAL_BLOCK)
    assert block.count() == 1
    assert block.evaluate("el => getComputedStyle(el).borderLeftColor") == PURPLE
    # Facts the public site never shows carry a lock (services, commander, owner, …).
    assert internal.locator('.pmkb-lock[aria-label="internal only"]').count() >= 5

    assert public.locator(INTERNAL_MARKS).count() == 0
    article = public.locator("article").inner_text()
    assert PRIVATE_PREFIX not in article.lower() and INTERNAL_BLOCK not in article
    assert PRIVATE_PREFIX not in public.content().lower()
    internal_watch.assert_clean()
    public_watch.assert_clean()
