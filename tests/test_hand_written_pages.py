"""Hand-written pages declare their audience; a site without a home page of its own gets one.

Pure functions first (front matter, nav, links, the generated home page, the `contact`
option), then tiny sites built into `tmp_path` for both audiences: which pages, files, nav
entries and search entries each site has, the log line naming what a build left out, the
leak guard, and the generated landing page.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import textwrap
from pathlib import Path

import pytest
import yaml
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError

from postmortem_kb.cli import main
from postmortem_kb.core.problems import Problems
from postmortem_kb.core.settings import Settings, parse_contact, settings_from_config
from postmortem_kb.search.browser_index import indexed_urls
from postmortem_kb.site.hand_written import (
    HandWrittenPage,
    declared_audience,
    drop_from_nav,
    linked_paths,
    read_hand_written_pages,
    written_home_page,
)
from postmortem_kb.site.home import HOME_INCIDENTS, home_page
from postmortem_kb.site.listing import ListingEntry
from postmortem_kb.site.render import PageRenderer
from postmortem_kb.site.search_box import SEARCH_INDEX_FOLDER
from site_builder import BuildFailed, BuiltSite, build_site, write_small_kb

SITE_URL = "https://status.example.org/"
#: A private value of the public incident (an internal service name), identifier-like, so the
#: leak guard scans for it.
PRIVATE_SERVICE = "ZONEPUSH-SVC"
PUBLIC_PAGE = "---\naudience: public\n---\n\n"
BOTH_PAGE = "---\naudience: both\n---\n\n"


def postmortem(incident_id: str, day: int, title: str) -> str:
    return textwrap.dedent(f"""\
        ---
        id: {incident_id}
        title: {title}
        date: 2024-05-{day:02d}
        severity: SEV-2
        status: published
        services: [{PRIVATE_SERVICE}]
        tags: [dns]
        summary: The nightly job pushed an empty zone.
        public:
          summary: Some names did not resolve for forty minutes.
        ---

        The narrative.
        """)


def small_kb(root: Path, pages: dict[str, str | bytes], *, config: str = "") -> Path:
    """A knowledge base with two public incidents, `docs/<name>` pages (replacing the default
    home page when `index.md` is among them), a `site_url` and `config` appended."""
    write_small_kb(root, "Hand-written test", {
        "dns-outage.md": postmortem("dns-outage", 2, "Zone push removed records"),
        "cdn-outage.md": postmortem("cdn-outage", 9, "Edge cache served stale pages"),
    })
    for name, text in pages.items():
        path = root / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    config_file = root / "mkdocs.yml"
    config_file.write_text(
        f"{config_file.read_text(encoding='utf-8')}site_url: {SITE_URL}\n{config}",
        encoding="utf-8",
    )
    return config_file


def build_both(config: Path, tmp_path: Path, **options: object) -> tuple[BuiltSite, BuiltSite]:
    internal = build_site(config, tmp_path / "site", **options)
    public = build_site(config, tmp_path / "site-public", audience="public", **options)
    return internal, public


def search_pieces(site: BuiltSite) -> dict[str, str]:
    """The search box's index: name → text of each piece."""
    folder = site.site_dir / SEARCH_INDEX_FOLDER
    return {path.name: path.read_text(encoding="utf-8") for path in folder.iterdir()}


def search_locations(site: BuiltSite) -> set[str]:
    """The pages the search box can find (by any word)."""
    return set().union(*indexed_urls(search_pieces(site)).values())


def search_text(site: BuiltSite) -> str:
    return "\n".join(search_pieces(site).values())


def sitemap(site: BuiltSite) -> str:
    xml = site.read("sitemap.xml")
    assert gzip.decompress((site.site_dir / "sitemap.xml.gz").read_bytes()).decode() == xml
    return xml


def left_out_lines(site: BuiltSite) -> list[str]:
    return [line for line in site.logs if "left out" in line]


# -- which audience a page declares ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "audience"),
    [
        pytest.param("# No front matter\n", "internal", id="nothing"),
        pytest.param("---\ntitle: Runbook\n---\n# Runbook\n", "internal", id="other-fields"),
        pytest.param("---\naudience: public\n---\n# Status\n", "public", id="public"),
        pytest.param("---\naudience: both\n---\n# About\n", "both", id="both"),
        pytest.param("---\naudience: internal\n...\n# Notes\n", "internal", id="dots-close"),
        pytest.param("Title: About\naudience: both\n\n# About\n", "both", id="multimarkdown"),
        pytest.param("# Heading\n\naudience: public\n", "internal", id="body-text"),
        pytest.param("---\n- a list\n---\n# List\n", "internal", id="not-a-mapping"),
    ],
)
def test_the_declared_audience_defaults_to_internal(text: str, audience: str) -> None:
    problems = Problems()
    assert declared_audience(text, "docs/page.md", problems) == audience
    assert not problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "---\ntitle: Status\naudience: publc\n---\n",
            "docs/page.md:3: audience: 'publc' is not an audience (did you mean `public`?); "
            "expected internal, public or both. Until it is one, the page is internal",
            id="typo",
        ),
        pytest.param(
            "---\naudience: [public, internal]\n---\n",
            "docs/page.md:2: audience: a list is not an audience; expected internal, public "
            "or both. Until it is one, the page is internal",
            id="list",
        ),
        pytest.param(
            "---\naudience:\n---\n",
            "docs/page.md:2: audience: no value; expected internal, public or both. Until it "
            "is one, the page is internal",
            id="empty",
        ),
        pytest.param(
            "Title: About\naudience: everyone\n\n# About\n",
            "docs/page.md:2: audience: 'everyone' is not an audience; expected internal, "
            "public or both. Until it is one, the page is internal",
            id="multimarkdown",
        ),
        pytest.param(
            "---\naudience: public\naudience: both\n---\n",
            "docs/page.md:3: audience: duplicate key; each field may appear only once. Until "
            "the front matter can be read the page is internal",
            id="duplicate-key",
        ),
    ],
)
def test_a_declaration_that_cannot_be_read_is_an_error_and_the_page_internal(
    text: str, expected: str
) -> None:
    problems = Problems()
    assert declared_audience(text, "docs/page.md", problems) == "internal"
    assert [str(problem) for problem in problems.errors] == [expected]


def test_pages_are_read_from_docs_with_their_audience(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "guides").mkdir(parents=True)
    (docs / "index.md").write_text(PUBLIC_PAGE + "# Home\n", encoding="utf-8")
    (docs / "guides" / "runbook.md").write_text("# Runbook\n", encoding="utf-8")
    (docs / ".hidden.md").write_text("# Hidden\n", encoding="utf-8")
    (docs / "logo.png").write_bytes(b"\x89PNG")
    problems = Problems()
    pages = read_hand_written_pages(docs, problems)
    assert [(page.uri, page.audience) for page in pages] == [
        ("guides/runbook.md", "internal"), ("index.md", "public")]
    assert not problems
    assert written_home_page(pages, "public") == pages[1]
    assert written_home_page(pages, "internal") is None


def test_readme_is_the_home_page_only_without_an_index() -> None:
    """As in MkDocs, which drops `README.md` beside an `index.md`."""
    readme = HandWrittenPage("README.md", "both", "# Read me\n")
    index = HandWrittenPage("index.md", "internal", "# Home\n")
    assert written_home_page([readme], "public") == readme
    assert written_home_page([readme, index], "public") is None
    assert written_home_page([readme, index], "internal") == index


def test_pmkb_check_reports_a_bad_audience(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = small_kb(tmp_path / "kb", {"status.md": "---\naudience: Public\n---\n"})
    assert main(["-f", str(config), "check"]) == 1
    assert ("error: docs/status.md:2: audience: 'Public' is not an audience (did you mean "
            "`public`?)") in capsys.readouterr().err


# -- nav entries and links -------------------------------------------------------------------


def test_nav_entries_of_left_out_pages_are_dropped_and_empty_sections_with_them() -> None:
    nav = [
        {"Home": "index.md"},
        "runbook.md",
        {"How we work": "./how-we-work.md"},
        {"Guides": [{"Writing": "guides/writing.md"}, {"Status": "https://status.example.org/"}]},
        {"Internal": [{"Writing": "guides/writing.md"}, "runbook.md"]},
        {"Incidents": "incidents/index.md"},
    ]
    left_out = {"runbook.md", "how-we-work.md", "guides/writing.md"}
    assert drop_from_nav(nav, left_out) == [
        {"Home": "index.md"},
        {"Guides": [{"Status": "https://status.example.org/"}]},
        {"Incidents": "incidents/index.md"},
    ]


@pytest.mark.parametrize(
    ("page_url", "html", "expected"),
    [
        pytest.param("", '<img src="images/a%20b.png" alt="x">', {"images/a b.png"}, id="img"),
        pytest.param("guides/writing/", '<a href="../../files/report.pdf#page=2">PDF</a>',
                     {"files/report.pdf"}, id="relative-up"),
        pytest.param("guides/writing.html", '<a href="diagram.svg">d</a>',
                     {"guides/diagram.svg"}, id="no-directory-urls"),
        pytest.param("", '<img srcset="a.png 1x, a@2x.png 2x"><object data="b.svg"></object>',
                     {"a.png", "a@2x.png", "b.svg"}, id="srcset-and-object"),
        pytest.param("", '<a href="https://example.org/x.png">x</a><a href="mailto:a@b.c">m</a>'
                     '<a href="#top">top</a><a href="//cdn.example.org/y.png">y</a>',
                     {""}, id="other-hosts-and-schemes"),
    ],
)
def test_linked_paths_are_site_paths_the_html_links_to(
    page_url: str, html: str, expected: set[str]
) -> None:
    assert linked_paths(html, page_url) == expected


# -- the generated home page and its options -------------------------------------------------


def entry(number: int) -> ListingEntry:
    return ListingEntry(
        id=f"incident-{number:02d}", title=f"Incident <{number}>", date=dt.date(2024, 1, number),
        severity="SEV-2", key_learning=None, tags=(), services=(), status="published",
    )


def test_the_public_landing_page_lists_the_newest_incidents_and_escapes_every_value() -> None:
    settings = Settings(
        source_dir=Path("postmortems"), audience="public", site_name="Reports <b>now</b>",
        organisation="Acme & <i>Co</i>", contact=parse_contact("https://acme.example/?a=1&b=2"),
    )
    entries = sorted((entry(n) for n in range(1, 13)), key=lambda e: e.date, reverse=True)
    page = home_page(settings, entries, PageRenderer(internal=False), ()).resolved()
    assert "<b>" not in page and "<i>" not in page and "<12>" not in page
    assert 'title: "Reports \u2039b\u203anow\u2039/b\u203a"' in page
    assert "Acme &amp; &lt;i&gt;Co&lt;/i&gt;" in page
    assert 'href="https://acme.example/?a=1&amp;b=2"' in page
    assert 'href="feed.xml"' in page and 'href="feed.json"' in page
    listed = [line for line in page.splitlines() if 'href="incidents/incident-' in line]
    assert len(listed) == HOME_INCIDENTS
    assert 'href="incidents/incident-12/"' in listed[0]
    assert "[All 12 incidents](incidents/index.md)" in page


@pytest.mark.parametrize(
    ("written", "text", "href"),
    [
        ("status@acme.example", "status@acme.example", "mailto:status@acme.example"),
        ("mailto:status@acme.example", "status@acme.example", "mailto:status@acme.example"),
        ("https://acme.example/support", "https://acme.example/support",
         "https://acme.example/support"),
    ],
)
def test_a_contact_is_an_address_or_a_url(written: str, text: str, href: str) -> None:
    contact = parse_contact(written)
    assert (contact.text, contact.href) == (text, href)


def load_options(tmp_path: Path, **options: object) -> Settings:
    path = tmp_path / "mkdocs.yml"
    (tmp_path / "docs").mkdir(exist_ok=True)
    config = {"site_name": "KB", "plugins": {"postmortems": options}}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    loaded = load_config(config_file=str(path))
    return settings_from_config(loaded.plugins["postmortems"].config, loaded)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"contact": "call us"}, "'call us' is not a contact; expected an e-mail address"),
        ({"contact": "ftp://acme.example/"}, "is not a contact"),
    ],
)
def test_a_bad_contact_fails_loading_and_names_the_option(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, options: dict[str, str], expected: str
) -> None:
    with caplog.at_level(logging.ERROR), pytest.raises((Abort, ConfigurationError)):
        load_options(tmp_path, **options)
    [line] = [r.getMessage() for r in caplog.records if expected in r.getMessage()]
    assert "'contact'" in line


def test_organisation_and_contact_become_settings(tmp_path: Path) -> None:
    internal = load_options(tmp_path, organisation="Acme", contact="status@acme.example")
    assert internal.organisation_name == "Acme"
    assert internal.contact == parse_contact("mailto:status@acme.example")
    assert internal.docs_dir == (tmp_path / "docs").resolve()
    public = load_options(tmp_path, audience="public", contact="https://acme.example/support")
    assert public.organisation_name == "KB"  # the site's name when none is given
    assert public.contact is not None and public.contact.href == "https://acme.example/support"


# -- built sites ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_page_without_audience_is_only_in_the_internal_site(tmp_path: Path) -> None:
    config = small_kb(tmp_path / "kb", {
        "index.md": PUBLIC_PAGE + "# Welcome\n",
        "runbook.md": "# Runbook\n\nThe zzrunbookword procedure.\n",
        "about.md": BOTH_PAGE + "# About\n\nThe zzaboutword page.\n",
    })
    internal, public = build_both(config, tmp_path)

    assert not (public.site_dir / "runbook").exists()
    assert "runbook/" not in search_locations(public)
    assert "zzrunbookword" not in search_text(public)
    assert "runbook" not in sitemap(public)
    for site in (internal, public):
        assert (site.site_dir / "about" / "index.html").is_file()
        assert "about/" in search_locations(site) and "zzaboutword" in search_text(site)
        assert f"{SITE_URL}about/" in sitemap(site)
    assert (internal.site_dir / "runbook" / "index.html").is_file()
    assert "runbook/" in search_locations(internal) and "zzrunbookword" in search_text(internal)
    assert f"{SITE_URL}runbook/" in sitemap(internal)

    assert left_out_lines(public) == [
        "INFO: postmortem_kb: public site: left out 1 internal page(s): runbook.md"]
    # The public home page is the internal site's: its audience is public, not both.
    assert left_out_lines(internal) == [
        "INFO: postmortem_kb: internal site: left out 1 public page(s): index.md"]


@pytest.mark.slow
def test_one_line_lists_every_page_a_build_left_out(tmp_path: Path) -> None:
    config = small_kb(tmp_path / "kb", {
        "writing.md": "# Writing\n",
        "team/how-we-work.md": "---\naudience: internal\n---\n# How we work\n",
        "status.md": PUBLIC_PAGE + "# Status\n",
    })
    public = build_site(config, tmp_path / "site-public", audience="public")
    assert left_out_lines(public) == [
        "INFO: postmortem_kb: public site: left out 3 internal page(s): index.md, "
        "team/how-we-work.md, writing.md"]


@pytest.mark.slow
def test_nav_entries_for_internal_pages_are_dropped_from_a_strict_public_build(
    tmp_path: Path,
) -> None:
    config = small_kb(
        tmp_path / "kb",
        {"index.md": BOTH_PAGE + "# Home\n", "runbook.md": "# Runbook\n",
         "guides/writing.md": "# Writing\n"},
        config=textwrap.dedent("""\
            nav:
              - Home: index.md
              - Runbook: runbook.md
              - Guides:
                  - Writing: guides/writing.md
              - Incidents: incidents/index.md
            """),
    )
    internal, public = build_both(config, tmp_path)  # both strict
    assert public.warnings() == [] and internal.warnings() == []
    home = public.read("index.html")
    assert 'href="runbook/"' not in home and "Guides" not in home
    assert 'href="incidents/"' in home
    internal_home = internal.read("index.html")
    assert 'href="runbook/"' in internal_home and 'href="guides/writing/"' in internal_home


@pytest.mark.slow
def test_a_file_of_docs_is_public_only_when_a_public_page_links_to_it(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n"
    config = small_kb(tmp_path / "kb", {
        "index.md": PUBLIC_PAGE + "# Home\n\n![Uptime](images/uptime.png)\n\n"
                    "[Report](files/report%20v2.pdf)\n",
        "runbook.md": "# Runbook\n\n![Topology](images/topology.png)\n",
        "images/uptime.png": png,
        "images/topology.png": png,
        "files/report v2.pdf": b"%PDF-1.4",
        "files/unlinked.txt": "never linked\n",
        "css/brand.css": "body { color: black; }\n",
    }, config="extra_css: [css/brand.css]\n")
    internal, public = build_both(config, tmp_path)

    for name in ("images/uptime.png", "files/report v2.pdf", "css/brand.css"):
        assert (public.site_dir / name).is_file(), name
    for name in ("images/topology.png", "files/unlinked.txt"):
        assert not (public.site_dir / name).exists(), name
    for name in ("images/uptime.png", "images/topology.png", "files/unlinked.txt"):
        assert (internal.site_dir / name).is_file(), name
    assert (
        "INFO: postmortem_kb: public site: left out 2 file(s) no public page links to: "
        "files/unlinked.txt, images/topology.png"
    ) in public.logs


@pytest.mark.slow
def test_an_internal_page_does_not_switch_the_leak_scan_off(tmp_path: Path) -> None:
    """A private value an internal page mentions still fails the public build wherever else
    it appears; a public page mentioning it makes it public on purpose."""
    pages = {
        "index.md": PUBLIC_PAGE + "# Home\n\n[Escalation notes](notes.txt)\n",
        "notes.txt": f"Escalations go to {PRIVATE_SERVICE}.\n",
        "escalation.md": f"# Escalation\n\nPage the owners of {PRIVATE_SERVICE}.\n",
    }
    config = small_kb(tmp_path / "kb", pages)
    with pytest.raises(BuildFailed) as failure:
        build_site(config, tmp_path / "site-public", audience="public")
    leaks = [line for line in failure.value.logs if line.startswith("ERROR")]
    assert any("notes.txt: private field services of " in line for line in leaks), leaks
    assert PRIVATE_SERVICE.lower() not in "\n".join(failure.value.logs).lower()

    escalation = tmp_path / "kb" / "docs" / "escalation.md"
    escalation.write_text(BOTH_PAGE + escalation.read_text(encoding="utf-8"), encoding="utf-8")
    public = build_site(config, tmp_path / "site-public-2", audience="public")
    assert PRIVATE_SERVICE in public.read("notes.txt")


@pytest.mark.slow
def test_the_public_landing_page_is_generated_without_a_public_index(tmp_path: Path) -> None:
    config = small_kb(tmp_path / "kb", {})  # docs/index.md declares no audience: internal
    public = build_site(config, tmp_path / "site-public", audience="public",
                        organisation="Example Payments", contact="https://example.org/help")
    home = public.read("index.html")
    assert "Example Payments" in home
    assert '<a href="https://example.org/help">https://example.org/help</a>' in home
    assert f'href="{SITE_URL}feed.xml"' in home and f'href="{SITE_URL}feed.json"' in home
    newest, older = home.index("incidents/cdn-outage/"), home.index("incidents/dns-outage/")
    assert newest < older
    assert '<h1 id="home"' not in home
    assert (public.site_dir / "incidents" / "cdn-outage" / "index.html").is_file()
    assert "index.md" in left_out_lines(public)[0]


@pytest.mark.slow
def test_the_internal_home_is_generated_without_an_internal_index(tmp_path: Path) -> None:
    config = small_kb(tmp_path / "kb", {"index.md": PUBLIC_PAGE + "# Status page\n"})
    internal = build_site(config, tmp_path / "site")
    home = internal.read("index.html")
    assert "Status page" not in home.split("<article")[1]
    for section in ("incidents/", "gallery/", "insights/", "actions/", "tags/"):
        assert f'href="{section}"' in home, section
    assert 'href="incidents/cdn-outage/"' in home


@pytest.mark.slow
def test_a_public_index_page_wins_over_the_generated_landing_page(tmp_path: Path) -> None:
    config = small_kb(tmp_path / "kb", {"index.md": PUBLIC_PAGE + "# Our status\n\nzzhomeword\n"})
    public = build_site(config, tmp_path / "site-public", audience="public",
                        organisation="Example Payments")
    home = public.read("index.html")
    assert "zzhomeword" in home and "Latest incidents" not in home
    assert left_out_lines(public) == []


@pytest.mark.slow
def test_a_bad_audience_fails_a_strict_build_naming_file_line_and_field(tmp_path: Path) -> None:
    config = small_kb(tmp_path / "kb", {
        "status.md": "---\ntitle: Status\naudience: publik\n---\n# Status\n"})
    expected = ("WARNING: postmortem_kb: docs/status.md:3: audience: 'publik' is not an "
                "audience (did you mean `public`?); expected internal, public or both. Until it "
                "is one, the page is internal")
    with pytest.raises(BuildFailed) as failure:
        build_site(config, tmp_path / "site-public", audience="public")
    assert expected in failure.value.logs

    plain = build_site(config, tmp_path / "site-plain", strict=False, audience="public")
    assert expected in plain.logs
    assert not (plain.site_dir / "status").exists()
