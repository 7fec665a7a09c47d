"""The learning gallery in a real browser: the filter narrows the cards and the count, every
card shows without JavaScript, and the page logs no error and talks to no other host."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from browser_support import OpenPage, ServeDir, watch_page
from postmortem_kb.core.settings import Settings
from postmortem_kb.site.gallery import EXTERNAL_CONTAINER, INCIDENTS_CONTAINER
from postmortem_kb.site.listing import ListingEntry
from postmortem_kb.site.plan import plan_site
from site_builder import REPO_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CARDS = f"#{INCIDENTS_CONTAINER} .pmkb-item"
FORM = f'form[data-pmkb-filter-for="{INCIDENTS_CONTAINER}"]'


@pytest.fixture(scope="module")
def gallery_site(example_sites: dict[str, Path]) -> Path:
    """The example's internal site, built once for the session (read only)."""
    return example_sites["internal"]


@pytest.fixture(scope="module")
def entries() -> list[ListingEntry]:
    """The cards the gallery shows, from the same plan the build uses (the types listed
    everywhere; other companies' incidents are with the lessons)."""
    settings = Settings(source_dir=REPO_ROOT / "postmortems", build_date=dt.date(2026, 11, 23))
    return plan_site(settings).listed


def choose(page: Page, facet: str, value: str) -> None:
    """Click a chip of the incident cards' filter (opening its facet's panel first)."""
    menu = page.locator(f"{FORM} details.pmkb-facet[data-facet={facet}]")
    if not menu.evaluate("el => el.open"):
        menu.locator("summary").click()
    menu.locator(f"button.pmkb-chip-option[data-value='{value}']").click()


def visible_incident_links(page: Page) -> list[str]:
    links = page.locator(f"{CARDS}:visible .pmkb-card-title a")
    return [
        href.rstrip("/").rsplit("/", 1)[-1]
        for href in links.evaluate_all("links => links.map(link => link.getAttribute('href'))")
    ]


def test_filter_by_tag_and_severity_narrows_cards_and_count(
    gallery_site: Path, entries: list[ListingEntry], serve_dir: ServeDir, open_page: OpenPage
) -> None:
    page, watch = open_page(serve_dir(gallery_site) + "gallery/")
    form = page.locator(FORM)
    count = form.locator(".pmkb-filter-count")
    assert form.is_visible()
    assert count.text_content() == f"{len(entries)} of {len(entries)} incidents"
    assert visible_incident_links(page) == [entry.id for entry in entries]

    # The most common tag, then the most common severity among its incidents: a real narrowing.
    tag = Counter(tag for entry in entries for tag in entry.tags).most_common(1)[0][0]
    with_tag = [entry for entry in entries if tag in entry.tags]
    assert 1 < len(with_tag) < len(entries)
    choose(page, "tags", tag)
    assert visible_incident_links(page) == [entry.id for entry in with_tag]
    assert count.text_content() == f"{len(with_tag)} of {len(entries)} incidents"

    severity = Counter(entry.severity for entry in with_tag).most_common(1)[0][0]
    both = [entry for entry in with_tag if entry.severity == severity]
    assert len(both) < len(with_tag)
    choose(page, "severity", severity.lower())
    assert visible_incident_links(page) == [entry.id for entry in both]
    assert count.text_content() == f"{len(both)} of {len(entries)} incidents"
    # The other filter on the page is untouched: every external lesson still shows.
    lessons = page.locator(f"#{EXTERNAL_CONTAINER} .pmkb-item")
    assert lessons.count() > 0
    assert page.locator(f"#{EXTERNAL_CONTAINER} .pmkb-item:visible").count() == lessons.count()

    form.locator(".pmkb-filter-reset").click()
    assert len(visible_incident_links(page)) == len(entries)
    watch.assert_clean()


def test_without_javascript_every_card_shows(
    gallery_site: Path, entries: list[ListingEntry], serve_dir: ServeDir, chromium_browser: Browser
) -> None:
    context = chromium_browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        watch = watch_page(page)
        page.goto(serve_dir(gallery_site) + "gallery/")
        assert page.locator(FORM).is_hidden()
        assert visible_incident_links(page) == [entry.id for entry in entries]
        lessons = page.locator(f"#{EXTERNAL_CONTAINER} .pmkb-item")
        assert lessons.count() > 0
        assert page.locator(f"#{EXTERNAL_CONTAINER} .pmkb-item:visible").count() == lessons.count()
        watch.assert_clean()
    finally:
        context.close()
