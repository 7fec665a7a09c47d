"""Browsing the example knowledge base in a real browser: tags, severity and year pages, the
site search, and the facet filter of `incidents/` with and without JavaScript."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page

from browser_support import watch_page
from conftest import OpenPage, ServeDir
from postmortem_kb.cli.main import load_settings
from postmortem_kb.core.formatting import slugify
from postmortem_kb.site.incident_types import listed_everywhere
from postmortem_kb.site.listing import ListingEntry, listing
from postmortem_kb.site.plan import project_audience
from site_builder import REPO_ROOT, BuiltSite

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def internal_site(example_sites: dict[str, Path]) -> BuiltSite:
    """The example's internal site, built once for the session (read only)."""
    return BuiltSite(example_sites["internal"])


@pytest.fixture(scope="module")
def entries() -> list[ListingEntry]:
    """What the example site lists (newest first), read through the same core as the build:
    the types listed everywhere (`incident_types.py`)."""
    settings = load_settings("internal", str(REPO_ROOT / "mkdocs.yml"))
    return listed_everywhere(listing(project_audience(settings).incidents), settings.types)


def chip(page: Page, facet: str, value: str) -> Locator:
    """A chip of the filter (inside its facet's panel, opened when needed)."""
    menu = page.locator(f"details.pmkb-facet[data-facet={facet}]")
    if not menu.evaluate("el => el.open"):
        menu.locator("summary").click()
    return menu.locator(f"button.pmkb-chip-option[data-value='{value}']")


def ids_on(page: Page) -> list[str]:
    """Ids of the incidents the page's list shows (visible items only), in order."""
    return page.locator(".pmkb-item:visible").evaluate_all(
        "items => items.map(item => new URL(item.querySelector('a').href).pathname"
        ".split('/').filter(Boolean).pop())"
    )


def test_tag_overview_leads_to_a_tag_page_and_on_to_an_incident(
    internal_site: BuiltSite,
    entries: list[ListingEntry],
    serve_dir: ServeDir,
    open_page: OpenPage,
) -> None:
    base = serve_dir(internal_site.site_dir)
    counts = Counter(tag for entry in entries for tag in entry.tags)
    tag = min(counts, key=lambda name: (-counts[name], name))
    page, watch = open_page(base + "tags/")
    row = page.locator("table tr", has=page.locator(f"a:text-is('{tag}')"))
    assert row.locator("td").nth(1).inner_text() == str(counts[tag])
    row.locator("a").click()
    page.wait_for_url(base + f"tags/{tag}/")
    expected = [entry for entry in entries if tag in entry.tags]
    assert ids_on(page) == [entry.id for entry in expected]  # newest first
    page.locator(".pmkb-item a").first.click()
    page.wait_for_url(base + f"incidents/{expected[0].id}/")
    assert expected[0].title in page.locator("h1").inner_text()
    watch.assert_clean()


@pytest.mark.parametrize("facet", ["severity", "year"])
def test_severity_and_year_pages_list_exactly_their_incidents(
    facet: str,
    internal_site: BuiltSite,
    entries: list[ListingEntry],
    serve_dir: ServeDir,
    open_page: OpenPage,
) -> None:
    base = serve_dir(internal_site.site_dir)
    value_of = {"severity": lambda e: e.severity, "year": lambda e: str(e.year)}[facet]
    section, heading = {"severity": ("severity", "Severity"), "year": ("years", "Years")}[facet]
    page, watch = open_page(base + f"{section}/")
    values = Counter(map(value_of, entries))
    assert page.locator("table tbody tr").count() == len(values)
    for value, count in values.items():
        page.goto(base + f"{section}/{slugify(value)}/")
        expected = [entry.id for entry in entries if value_of(entry) == value]
        assert ids_on(page) == expected, value
        assert page.locator("h1").inner_text().startswith(f"{heading}: {value}")
        assert f"{count} incident" in page.locator("article").inner_text()
    watch.assert_clean()


def test_the_search_box_finds_an_incident_by_a_word_of_its_key_learning(
    internal_site: BuiltSite,
    entries: list[ListingEntry],
    serve_dir: ServeDir,
    open_page: OpenPage,
) -> None:
    text = " ".join(f"{e.title} {e.key_learning or ''}".lower() for e in entries)
    # A word of one incident's key learning that the other titles and lessons hardly use.
    target, word = min(
        (
            (entry, word)
            for entry in entries
            if entry.key_learning
            for word in re.findall(r"[a-z]{7,}", entry.key_learning.lower())
        ),
        key=lambda pair: (text.count(pair[1]), pair[1]),
    )
    base = serve_dir(internal_site.site_dir)
    page, watch = open_page(base)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    # Typed key by key as a person would: a one-shot fill() can race the search worker.
    page.locator("input.md-search__input").press_sequentially(word, delay=30)
    result = page.locator(f".md-search-result__item a[href*='incidents/{target.id}/']").first
    result.wait_for(timeout=15_000)
    result.click()
    page.wait_for_url(re.compile(re.escape(base + f"incidents/{target.id}/")))
    assert target.title in page.locator("h1").inner_text()
    watch.assert_clean()


def test_the_filter_narrows_incidents_by_tag_and_severity_together_and_shares_the_view(
    internal_site: BuiltSite,
    entries: list[ListingEntry],
    serve_dir: ServeDir,
    open_page: OpenPage,
) -> None:
    pairs = Counter((tag, e.severity) for e in entries for tag in e.tags)
    tags = Counter(tag for e in entries for tag in e.tags)
    # The tag and severity that narrow the list the most while still leaving two incidents.
    tag, severity = min(
        (pair for pair, count in pairs.items() if count >= 2),
        key=lambda pair: (pairs[pair] / tags[pair[0]], pair),
    )
    expected = [e.id for e in entries if tag in e.tags and e.severity == severity]
    base = serve_dir(internal_site.site_dir)
    page, watch = open_page(base + "incidents/")
    form = page.locator("form.pmkb-filters")
    assert form.is_visible()
    assert ids_on(page) == [e.id for e in entries]
    chip(page, "tags", slugify(tag)).click()
    # Each severity now counts what it would leave of this tag; the ones with none are off.
    by_severity = Counter(e.severity for e in entries if tag in e.tags)
    severities = page.locator("details.pmkb-facet[data-facet=severity] button.pmkb-chip-option")
    chip(page, "severity", slugify(severity))  # opens its panel (and closes the tag's)
    assert severities.count() == len({e.severity for e in entries})
    for option in severities.all():
        name = option.evaluate("el => el.firstChild.textContent")
        assert option.locator(".pmkb-chip-count").inner_text() == str(by_severity[name])
        assert option.is_disabled() == (by_severity[name] == 0)
    chip(page, "severity", slugify(severity)).click()
    assert ids_on(page) == expected
    count = form.locator(".pmkb-filter-count")
    assert count.inner_text() == f"{len(expected)} of {len(entries)} incidents"
    assert page.url.endswith(f"#tags={slugify(tag)}&severity={slugify(severity)}")

    shared, shared_watch = open_page(page.url)  # a shared link opens the same view
    assert ids_on(shared) == expected
    assert chip(shared, "severity", slugify(severity)).get_attribute("aria-pressed") == "true"
    shared_watch.assert_clean()

    form.locator(".pmkb-filter-reset").click()
    assert ids_on(page) == [e.id for e in entries]
    assert count.inner_text() == f"{len(entries)} of {len(entries)} incidents"
    watch.assert_clean()


def test_without_javascript_every_incident_shows_and_the_filter_stays_hidden(
    internal_site: BuiltSite,
    entries: list[ListingEntry],
    serve_dir: ServeDir,
    chromium_browser: Browser,
) -> None:
    base = serve_dir(internal_site.site_dir)
    context = chromium_browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        watch = watch_page(page)
        page.goto(base + "incidents/#tags=monitoring&severity=sev-1")
        assert not page.locator("form.pmkb-filters").is_visible()
        items = page.locator(".pmkb-item")
        assert items.count() == len(entries)
        assert all(items.nth(index).is_visible() for index in range(items.count()))
        watch.assert_clean()
    finally:
        context.close()


def test_chips_of_one_facet_add_up_and_words_narrow_them(
    internal_site: BuiltSite,
    entries: list[ListingEntry],
    serve_dir: ServeDir,
    open_page: OpenPage,
) -> None:
    counts = Counter(tag for e in entries for tag in e.tags)
    first, second = sorted(counts, key=lambda tag: (-counts[tag], tag))[:2]
    either = [e for e in entries if first in e.tags or second in e.tags]
    base = serve_dir(internal_site.site_dir)
    page, watch = open_page(base + "incidents/")
    chip(page, "tags", slugify(first)).click()
    chip(page, "tags", slugify(second)).click()
    assert ids_on(page) == [e.id for e in either]  # any of the chosen tags
    assert page.locator("details[data-facet=tags] .pmkb-facet-chosen").inner_text() == "2"
    # A word of one title (typed as a person would) leaves the incidents with it.
    target = either[-1]
    word = max(re.findall(r"[A-Za-z]{5,}", target.title), key=len)
    page.locator("input.pmkb-filter-text").press_sequentially(word.lower())
    shown = ids_on(page)
    assert target.id in shown
    assert all(
        word.lower() in next(e for e in entries if e.id == id_).title.lower()
        or word.lower() in (next(e for e in entries if e.id == id_).key_learning or "").lower()
        or id_ == target.id
        for id_ in shown
    )
    assert f"q={word.lower()}" in page.url
    page.locator("input.pmkb-filter-text").fill("zzzznothing")
    assert ids_on(page) == []
    assert page.locator(".pmkb-filter-count").inner_text() == f"0 of {len(entries)} incidents"
    watch.assert_clean()


def test_the_list_sorts_by_severity_and_duration_from_its_headers(
    internal_site: BuiltSite,
    entries: list[ListingEntry],
    serve_dir: ServeDir,
    open_page: OpenPage,
) -> None:
    scale = load_settings("internal", str(REPO_ROOT / "mkdocs.yml")).severities
    base = serve_dir(internal_site.site_dir)
    page, watch = open_page(base + "incidents/")
    severity = page.locator("th.pmkb-col-severity")
    severity.locator("button.pmkb-sort").click()
    ranks = [
        scale.index(entry.severity)
        for entry in (next(e for e in entries if e.id == id_) for id_ in ids_on(page))
    ]
    assert ranks == sorted(ranks)  # worst first
    assert severity.get_attribute("aria-sort") == "ascending"
    assert page.url.endswith("#sort=severity")
    page.locator("th.pmkb-col-duration button.pmkb-sort").click()  # longest first
    durations = [next(e for e in entries if e.id == id_).duration for id_ in ids_on(page)]
    timed = [d for d in durations if d is not None]
    assert timed == sorted(timed, reverse=True)
    assert durations[: len(timed)] == timed  # the ones without a duration go last
    date = page.locator("th.pmkb-col-date button.pmkb-sort")
    date.click()  # newest first, as the page came
    assert ids_on(page) == [e.id for e in entries]
    date.click()  # then the other way
    dates = [next(e for e in entries if e.id == id_).date for id_ in ids_on(page)]
    assert dates == sorted(dates) and dates[0] < dates[-1]
    page.locator("th.pmkb-col-severity button.pmkb-sort").click()
    page.locator(".pmkb-filter-reset").click()
    assert ids_on(page) == [e.id for e in entries]
    watch.assert_clean()


def test_a_tag_page_offers_no_tag_facet(
    internal_site: BuiltSite,
    entries: list[ListingEntry],
    serve_dir: ServeDir,
    open_page: OpenPage,
) -> None:
    counts = Counter(tag for e in entries for tag in e.tags)
    tag = max(counts, key=lambda name: (counts[name], name))
    base = serve_dir(internal_site.site_dir)
    page, watch = open_page(base + f"tags/{slugify(tag)}/")
    facets = page.locator("details.pmkb-facet").evaluate_all(
        "menus => menus.map(menu => menu.dataset.facet)"
    )
    assert "tags" not in facets and "severity" in facets
    watch.assert_clean()
