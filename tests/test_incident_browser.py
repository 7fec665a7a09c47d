"""An incident page of the example knowledge base, in a real browser, as a reader sees it:
the timeline by day, decisions set apart, follow-ups as rows, the public preview."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import OpenPage, ServeDir

pytestmark = pytest.mark.browser
INCIDENT = "incidents/2017-01-31-dashboard-data-loss/"


def test_incident_page_shows_timeline_and_follow_ups_offline(
    example_sites: dict[str, Path], serve_dir: ServeDir, open_page: OpenPage
) -> None:
    base = serve_dir(example_sites["internal"])
    page, watch = open_page(base + INCIDENT)
    # The title alone (and the heading's permalink): the date is in the header band.
    assert page.locator("h1").inner_text().rstrip("¶") == (
        "Merchant database deleted by mistake during replica repair, and the backups did not work"
    )
    timeline = page.locator(".pmkb-timeline")
    days = timeline.locator(".pmkb-tl-date").all_inner_texts()
    assert days[:2] == ["Tue 31 Jan 2017 UTC", "Wed 1 Feb 2017 UTC"]
    assert timeline.locator(".pmkb-tl-entry").count() >= 10
    alert = timeline.locator(".pmkb-tl-entry", has_text="Replication lag alert fires")
    assert alert.locator(".pmkb-tl-time").inner_text().startswith("21:22")
    assert alert.locator(".pmkb-tl-kind").inner_text() == "ALERT"  # the label, uppercase
    assert alert.locator(".pmkb-tl-offset").inner_text() == "T+0:17"
    # A decision stands out from an action: a tinted box, not plain text.
    decision = timeline.locator(".pmkb-tl-decision .pmkb-tl-body").first
    action = timeline.locator(".pmkb-tl-action .pmkb-tl-body").first
    background = "el => getComputedStyle(el).backgroundColor"
    assert decision.evaluate(background) != action.evaluate(background)
    assert timeline.locator(".pmkb-tl-public .pmkb-chip-public").count() >= 5
    follow_ups = page.locator("h2#follow-ups + ul.pmkb-follow-ups > li.pmkb-fu")
    assert follow_ups.count() == 5
    assert follow_ups.locator(".pmkb-fu-status").all_inner_texts().count("Won\u2019t do") == 1
    assert page.locator(".pmkb-internal-section").count() >= 3  # internal parts are marked
    watch.assert_clean()


def test_overdue_follow_ups_are_flagged(
    example_sites: dict[str, Path], serve_dir: ServeDir, open_page: OpenPage
) -> None:
    base = serve_dir(example_sites["internal"])
    page, watch = open_page(base + "incidents/2021-01-04-outage-after-the-holidays/")
    overdue = page.locator("ul.pmkb-follow-ups .pmkb-overdue")
    assert overdue.count() >= 1
    assert overdue.first.evaluate("el => getComputedStyle(el).color") == "rgb(198, 40, 40)"
    assert "overdue by" in overdue.first.inner_text()
    watch.assert_clean()


def test_public_preview_opens_on_the_internal_page(
    example_sites: dict[str, Path], serve_dir: ServeDir, open_page: OpenPage
) -> None:
    base = serve_dir(example_sites["internal"])
    page, watch = open_page(base + INCIDENT)
    preview = page.locator("details.public")
    assert not preview.evaluate("el => el.open")
    preview.locator("summary").click()
    assert preview.evaluate("el => el.open")
    assert "What we fixed" in preview.inner_text()
    assert preview.locator(".pmkb-header-public .pmkb-sev").inner_text() == "SEV-1"
    watch.assert_clean()


def test_more_facts_open_on_demand(
    example_sites: dict[str, Path], serve_dir: ServeDir, open_page: OpenPage
) -> None:
    base = serve_dir(example_sites["internal"])
    page, watch = open_page(base + INCIDENT)
    facts = page.locator("details.pmkb-more-facts")
    started = facts.locator(".pmkb-fact", has_text="Started")
    assert not started.is_visible()
    facts.locator("summary").click()
    assert started.locator("dd").inner_text() == "2017-01-31 21:05 UTC"
    watch.assert_clean()
