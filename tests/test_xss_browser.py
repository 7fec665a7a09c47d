"""Planted payloads in a real browser: nothing runs, and the Content-Security-Policy would
stop what the sanitizer let through.

Every payload of the corpus sets `window.__pwned` or opens a dialog when it runs. The pages
of the planted knowledge bases (`planted_kb.py`) are opened, every element in them is
hovered, focused and toggled, and the client search shows them; then nothing may have run.
A second build switches the sanitizer off (in this test only: the product has no switch)
to show the policy blocking an inline handler, a `javascript:` link and a planted script on
its own. The example site keeps working under the policy: search, palette, filter.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page

from browser_support import PageWatch
from conftest import OpenPage, ServeDir
from site_builder import REPO_ROOT, BuiltSite, build_site, write_small_kb

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Fires the handlers a payload could hang on an element and wait for a reader to trigger
#: (the others, `onerror`, `onload`, `onfocus` with `autofocus`, fire on their own).
PROVOKE = """() => {
  for (const el of document.querySelectorAll(".md-content *, .md-sidebar *")) {
    for (const type of ["mouseover", "mouseenter", "focus", "toggle"]) {
      el.dispatchEvent(new Event(type));
    }
  }
}"""
#: What a payload that ran leaves behind.
RAN = "() => window.__pwned"


def csp_reports(watch: PageWatch) -> list[str]:
    return [message for message in watch.console_errors if "Content Security Policy" in message]


def open_watched(open_page: OpenPage, url: str) -> tuple[Page, PageWatch, list[str]]:
    """The page, its watch, and the dialogs it opened (each dismissed)."""
    page, watch = open_page("about:blank")
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.goto(url)
    return page, watch, dialogs


def assert_nothing_ran(page: Page, watch: PageWatch, dialogs: list[str]) -> None:
    page.evaluate(PROVOKE)
    page.wait_for_timeout(50)
    assert page.evaluate(RAN) is None
    assert dialogs == []
    assert watch.page_errors == []


#: Pages alike but for one value: one of each kind is opened. Public incident pages are alike
#: too (payloads in the public fields, the same in every incident).
ALIKE = {
    "internal": re.compile(r"(services|tags)/[^/]+/"),
    "public": re.compile(r"(services|tags|incidents)/[^/]+/"),
}


def pages_of(site: BuiltSite, audience: str) -> list[str]:
    """Every page with author text: incidents, lists, gallery, onboarding, actions."""
    uris = sorted(
        path.parent.relative_to(site.site_dir).as_posix() + "/"
        for path in site.site_dir.rglob("index.html")
    )
    kinds = {match.group(1): uri for uri in reversed(uris) if (match := ALIKE[audience].match(uri))}
    return [uri for uri in uris if not ALIKE[audience].match(uri)] + sorted(kinds.values())


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_no_planted_payload_runs_on_any_page(
    planted_sites: dict[str, BuiltSite],
    audience: str,
    serve_dir: ServeDir,
    open_page: OpenPage,
) -> None:
    site = planted_sites[audience]
    base = serve_dir(site.site_dir)
    uris = pages_of(site, audience)
    assert len(uris) > 10
    page, watch, dialogs = open_watched(open_page, base)
    for uri in uris:
        page.goto(base + uri)
        assert_nothing_ran(page, watch, dialogs)
    # The sanitizer removed every payload: the policy had nothing left to block.
    assert csp_reports(watch) == []


def test_no_planted_payload_runs_in_search_results(
    planted_sites: dict[str, BuiltSite], serve_dir: ServeDir, open_page: OpenPage
) -> None:
    base = serve_dir(planted_sites["internal"].site_dir)
    page, watch, dialogs = open_watched(open_page, base)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").press_sequentially("isummary", delay=30)
    page.locator(".md-search-result__item").first.wait_for(timeout=15_000)
    assert_nothing_ran(page, watch, dialogs)
    assert csp_reports(watch) == []


def identity(html: str) -> str:
    return html


@pytest.fixture
def unsanitized_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BuiltSite:
    """A site built with the sanitizer swapped for the identity, here only."""
    for module in ("postmortem_kb.site.render", "postmortem_kb.mkdocs_plugin.plugin"):
        monkeypatch.setattr(f"{module}.sanitize_html", identity)
    summary = (
        '<img src="nope.png" onerror="window.__pwned=1">\n\n'
        "<script>window.__pwned = 1</script>\n\n"
        "[click me](javascript:window.__pwned=1){: #js-link }\n\n"
        "![attribute list](nope.png){onerror=window.__pwned=1}\n"
    )
    text = (
        "---\ntitle: Unsanitized\ndate: 2024-05-02\nseverity: SEV-2\nstatus: published\n"
        f"summary: |\n{''.join('  ' + line + chr(10) for line in summary.splitlines())}---\n"
    )
    root = write_small_kb(tmp_path / "kb", "Unsanitized", {"unsanitized.md": text})
    return build_site(root / "mkdocs.yml", tmp_path / "site", strict=False)


def test_the_policy_alone_blocks_handlers_scripts_and_javascript_links(
    unsanitized_site: BuiltSite, serve_dir: ServeDir, open_page: OpenPage
) -> None:
    html = unsanitized_site.read("incidents/unsanitized/index.html")
    assert re.search(r"<img[^>]* onerror=", html), "the sanitizer was not switched off"
    assert "<script>window.__pwned = 1</script>" in html
    base = serve_dir(unsanitized_site.site_dir)
    page, watch, dialogs = open_watched(open_page, base + "incidents/unsanitized/")
    page.locator("#js-link").click()
    assert_nothing_ran(page, watch, dialogs)
    blocked = (
        "Executing inline event handler",
        "Executing inline script",
        "Running the JavaScript URL",
    )
    for _ in range(100):  # the browser reports asynchronously
        reports = csp_reports(watch)
        if all(any(report.startswith(kind) for report in reports) for kind in blocked):
            break
        page.wait_for_timeout(20)
    assert {kind for kind in blocked for report in reports if report.startswith(kind)} == set(
        blocked
    ), reports


def test_the_example_site_works_under_its_policy(
    tmp_path: Path, serve_dir: ServeDir, open_page: OpenPage
) -> None:
    site = build_site(REPO_ROOT / "mkdocs.yml", tmp_path / "site")
    base = serve_dir(site.site_dir)
    page, watch = open_page(base + "incidents/")
    policy = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
    assert policy is not None and "'unsafe-inline'" not in policy.split(";")[0]
    # The theme's inline scripts ran (they set the palette up), and so does ours (filter).
    scheme = "() => document.body.getAttribute('data-md-color-scheme')"
    assert page.evaluate(scheme) == "default"
    page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.evaluate(scheme) == "slate"
    assert page.locator("form.pmkb-filters").is_visible()
    page.locator("details.pmkb-facet summary").first.click()
    page.locator("button.pmkb-chip-option").first.click()
    count = page.locator(".pmkb-filter-count").inner_text()
    assert count != "" and not count.startswith(str(page.locator(".pmkb-item").count()) + " ")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").press_sequentially("database", delay=30)
    page.locator(".md-search-result__item").first.wait_for(timeout=15_000)
    watch.assert_clean()
