"""The pages people land on, at desktop (1280 px) and phone (390 px) widths, in a real browser:
nothing wider than the screen (no table to scroll sideways either), the header facts of an
incident on the first screen, badges and chips readable (contrast 4.5:1 at least, in the light
palette and in `slate`), the feed links absolute where the site has an address, the home
page's search prompt opening the search box."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from browser_support import PageWatch, serve_directory, watch_page

pytestmark = pytest.mark.browser

#: Viewports: a desktop and a phone (an iPhone 12-14's CSS pixels).
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
INTERNAL_INCIDENT = "incidents/2017-01-31-dashboard-data-loss/"
PUBLIC_INCIDENT = "incidents/2021-01-04-outage-after-the-holidays/"
PAGES = [
    ("internal", INTERNAL_INCIDENT),
    ("public", PUBLIC_INCIDENT),
    ("internal", "incidents/"),
    ("public", "incidents/"),
    ("internal", "gallery/"),
    ("public", "gallery/"),
    ("internal", ""),
    ("public", ""),
]
#: The public example site's address (mkdocs.public.yml `site_url`).
PUBLIC_SITE_URL = "https://status.lumenpay.example/"

#: Every element wider than its box (tables, the theme's table wrappers) or than the page.
OVERFLOW = """() => {
  const wide = [];
  if (document.documentElement.scrollWidth > window.innerWidth) {
    wide.push(`page ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
  }
  for (const el of document.querySelectorAll(
      '.md-content table, .md-content .md-typeset__scrollwrap, .md-content .pmkb-header')) {
    if (el.scrollWidth > el.clientWidth + 1) {
      wide.push(`${el.tagName}.${el.className} ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return wide;
}"""

#: Text/background contrast of every visible badge and chip (WCAG 2 relative luminance); the
#: background is the first opaque one among the element and its ancestors.
CONTRASTS = """() => {
  const rgb = (css) => (css.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => [r, g, b].map((c) => {
    c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const color = rgb(getComputedStyle(el).backgroundColor);
      if (color.length === 3 || color[3] === 1) return color.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll('.md-content .pmkb-sev, .md-content .pmkb-chip')]
    .filter((el) => el.offsetParent !== null)
    .map((el) => {
      const [a, b] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))];
      return [el.textContent.trim(), (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
    });
}"""


def open_at(browser: Browser, url: str, size: str) -> tuple[Page, PageWatch]:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    watch = watch_page(page)
    page.goto(url)
    return page, watch


@pytest.fixture(scope="module")
def bases(example_sites: dict[str, Path]) -> Iterator[dict[str, str]]:
    """Both example sites served for the whole module (the pages are only read)."""
    with ExitStack() as servers:
        yield {
            audience: servers.enter_context(serve_directory(folder))
            for audience, folder in example_sites.items()
        }


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize(("audience", "uri"), PAGES)
def test_pages_fit_the_screen_and_their_badges_read_in_both_palettes(
    audience: str, uri: str, size: str, bases: dict[str, str], chromium_browser: Browser
) -> None:
    page, watch = open_at(chromium_browser, bases[audience] + uri, size)
    try:
        assert page.evaluate(OVERFLOW) == []
        badges = page.evaluate(CONTRASTS)
        assert badges, "no badge on the page"
        for palette in ("default", "slate"):
            page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{palette}')")
            low = [
                (text, round(ratio, 2)) for text, ratio in page.evaluate(CONTRASTS) if ratio < 4.5
            ]
            assert low == [], palette
        watch.assert_clean()
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize(
    ("audience", "uri"), [("internal", INTERNAL_INCIDENT), ("public", PUBLIC_INCIDENT)]
)
def test_the_header_facts_are_on_the_first_screen(
    audience: str, uri: str, size: str, bases: dict[str, str], chromium_browser: Browser
) -> None:
    page, _ = open_at(chromium_browser, bases[audience] + uri, size)
    try:
        header = page.locator(".pmkb-header").first
        facts = [header.locator(".pmkb-sev"), header.locator(".pmkb-fact-impact")]
        if audience == "internal":
            facts.append(header.locator(".pmkb-status"))
        height = SIZES[size][1]
        for fact in facts:
            box = fact.bounding_box()
            assert box is not None and box["y"] + box["height"] <= height, fact
        assert "from start to resolved" in header.inner_text() or audience == "public"
    finally:
        page.context.close()


def test_the_phase_band_spans_the_header_on_a_phone(
    bases: dict[str, str], chromium_browser: Browser
) -> None:
    page, _ = open_at(chromium_browser, bases["public"] + PUBLIC_INCIDENT, "phone")
    try:
        band = page.locator(".pmkb-phase-band").bounding_box()
        header = page.locator(".pmkb-header").bounding_box()
        assert band is not None and header is not None
        assert band["width"] > header["width"] * 0.8
        legend = page.locator(".pmkb-phase-legend li").all_inner_texts()
        assert legend[0].startswith("Degraded 07:58\u201308:20")
    finally:
        page.context.close()


def test_feed_links_are_absolute_without_a_doubled_path(
    bases: dict[str, str], chromium_browser: Browser
) -> None:
    for uri in ("", "incidents/", PUBLIC_INCIDENT):
        page, watch = open_at(chromium_browser, bases["public"] + uri, "desktop")
        try:
            # The head's links resolve to the site's root, whatever page names them.
            feeds = page.locator("link[rel=alternate]").evaluate_all(
                "links => links.map(link => link.href)"
            )
            assert feeds == [bases["public"] + "feed.xml", bases["public"] + "feed.json"]
            if uri != PUBLIC_INCIDENT:  # the home and the list link them in the page too
                shown = page.locator(".md-content a[href*='feed.']").evaluate_all(
                    "links => links.map(link => link.getAttribute('href'))"
                )
                assert shown == [f"{PUBLIC_SITE_URL}feed.xml", f"{PUBLIC_SITE_URL}feed.json"]
            watch.assert_clean()
        finally:
            page.context.close()


def test_the_internal_home_links_the_feeds_and_its_prompt_opens_the_search(
    bases: dict[str, str], chromium_browser: Browser
) -> None:
    page, watch = open_at(chromium_browser, bases["internal"], "desktop")
    try:
        feeds = page.locator(".md-content .pmkb-feeds a")
        assert feeds.all_inner_texts() == ["RSS", "JSON Feed"]
        prompt = page.locator("button.pmkb-search-prompt")
        assert prompt.is_visible()
        prompt.click()
        assert page.evaluate("document.activeElement.classList.contains('md-search__input')")
        headlines = page.locator(".pmkb-headline .pmkb-headline-value").all_inner_texts()
        assert len(headlines) == 4 and all(value.isdigit() for value in headlines)
        watch.assert_clean()
    finally:
        page.context.close()


def test_a_phone_sorts_and_filters_the_list_too(
    bases: dict[str, str], chromium_browser: Browser
) -> None:
    page, watch = open_at(chromium_browser, bases["public"] + "incidents/", "phone")
    try:
        rows = page.locator("tr.pmkb-item:visible")
        total = rows.count()
        page.locator("th.pmkb-col-severity button.pmkb-sort").click()
        badges = rows.locator(".pmkb-sev").all_inner_texts()
        assert badges == sorted(badges)  # SEV-1 first (the example's scale sorts as text too)
        page.locator("input.pmkb-filter-text").press_sequentially("webhooks")
        assert 0 < rows.count() < total
        assert all("webhook" in text.lower() for text in rows.all_inner_texts())
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"][0]
        watch.assert_clean()
    finally:
        page.context.close()
