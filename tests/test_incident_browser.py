"""An incident page of the example knowledge base, in a real browser, as a reader sees it."""

from __future__ import annotations

import pytest

from conftest import OpenPage, ServeDir
from site_builder import REPO_ROOT, BuiltSite, build_site

pytestmark = pytest.mark.browser
INCIDENT = "incidents/2017-01-31-dashboard-data-loss/"


@pytest.fixture(scope="module")
def internal_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return build_site(REPO_ROOT / "mkdocs.yml", tmp_path_factory.mktemp("internal") / "site")


def test_incident_page_shows_timeline_and_follow_ups_offline(
    internal_site: BuiltSite, serve_dir: ServeDir, open_page: OpenPage
) -> None:
    base = serve_dir(internal_site.site_dir)
    page, watch = open_page(base + INCIDENT)
    assert "Merchant database deleted by mistake" in page.locator("h1").inner_text()
    timeline = page.locator("h2#timeline + table, h2#timeline ~ div table").first
    assert timeline.locator("tbody tr").count() >= 10
    assert "Replication lag alert fires" in timeline.inner_text()
    follow_ups = page.locator("h2#follow-ups ~ div table, h2#follow-ups + table").first
    assert "Action" in follow_ups.locator("thead").inner_text()
    assert follow_ups.locator("tbody tr").count() == 5
    assert "wont-do" in follow_ups.inner_text()
    assert page.locator(".pmkb-internal-section").count() >= 3  # internal parts are marked
    watch.assert_clean()


def test_overdue_follow_ups_are_flagged(
    internal_site: BuiltSite, serve_dir: ServeDir, open_page: OpenPage
) -> None:
    base = serve_dir(internal_site.site_dir)
    page, watch = open_page(base + "incidents/2021-01-04-outage-after-the-holidays/")
    overdue = page.locator("h2#follow-ups ~ div table .pmkb-overdue, "
                           "h2#follow-ups + table .pmkb-overdue")
    assert overdue.count() >= 1
    assert overdue.first.evaluate("el => getComputedStyle(el).color") == "rgb(198, 40, 40)"
    watch.assert_clean()


def test_public_preview_opens_on_the_internal_page(
    internal_site: BuiltSite, serve_dir: ServeDir, open_page: OpenPage
) -> None:
    base = serve_dir(internal_site.site_dir)
    page, watch = open_page(base + INCIDENT)
    preview = page.locator("details.public")
    assert not preview.evaluate("el => el.open")
    preview.locator("summary").click()
    assert preview.evaluate("el => el.open")
    assert "What we fixed" in preview.inner_text()
    watch.assert_clean()
