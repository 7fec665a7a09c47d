"""Feeds and `incidents.json`: RSS 2.0 read back by feedparser, JSON Feed 1.1 checked against
its specification, newest first, published only, and nothing the audience may not see — on
hand-made incidents, the example knowledge base and the leak fixture."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, ClassVar

import feedparser
import pytest

from postmortem_kb.core import urls
from postmortem_kb.core.model import Incident, PublicIncident
from postmortem_kb.core.settings import Settings
from postmortem_kb.site.feeds import FEED_ITEMS, feed_files, feed_links
from postmortem_kb.site.home import home_page
from postmortem_kb.site.indexes import index_pages
from postmortem_kb.site.listing import listing
from postmortem_kb.site.render import PageRenderer
from site_builder import REPO_ROOT, build_site
from test_redaction_build import LEAKY_KB, load_markers

SITE_URL = "https://status.example.org/"
RSS_ITEM_ELEMENTS = ("title", "link", "guid", "pubDate", "description")


def incident(incident_id: str, date: str, status: str = "published", **fields: Any) -> Incident:
    return Incident(
        id=incident_id,
        source=f"postmortems/{incident_id}.md",
        title=fields.pop("title", f"Title of {incident_id}"),
        date=dt.date.fromisoformat(date),
        severity="SEV-2",
        status=status,
        **fields,
    )


INCIDENTS = [
    incident("older", "2021-03-01", summary="The *older* one.", tags=("dns",)),
    incident("draft", "2024-01-01", status="draft", summary="Not final."),
    incident(
        "newest",
        "2023-05-02",
        title='Payments <b>down</b> & "slow"',
        summary="Checkout failed.\n\n[Handled by the night shift]{.internal}",
        key_learning="Watch <queues> & workers.",
        tags=("capacity", "third-party"),
    ),
    incident("review", "2022-07-07", status="review"),
]


def settings(**fields: Any) -> Settings:
    return Settings(source_dir=Path("postmortems"), site_name="Incident library", **fields)


def rss_of(files: dict[str, str]) -> Any:
    parsed = feedparser.parse(files["feed.xml"])
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    return parsed


def assert_valid_rss(xml_text: str) -> ET.Element:
    """The elements RSS 2.0 requires of a channel, and what an item needs to be useful."""
    channel = ET.fromstring(xml_text).find("channel")
    assert channel is not None
    for name in ("title", "link", "description"):
        assert (channel.findtext(name) or "").strip(), f"channel <{name}> is required"
    for item in channel.findall("item"):
        for name in RSS_ITEM_ELEMENTS:
            assert (item.findtext(name) or "").strip(), f"item <{name}> is missing"
        email.utils.parsedate_to_datetime(item.findtext("pubDate"))  # RFC 822, or raises
    return channel


def assert_valid_json_feed(
    text: str, absolute: bool, site_url: str = SITE_URL
) -> dict[str, Any]:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1): required keys and value types.

    feedparser 6.0 reads no JSON Feed, so the specification's rules are checked here.
    `absolute`: links must start with `site_url`; otherwise they must be relative.
    """
    feed = json.loads(text)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert isinstance(feed["items"], list)
    for key in ("home_page_url", "feed_url"):
        assert (key in feed) == absolute
        assert not absolute or feed[key].startswith(site_url)
    ids = [item["id"] for item in feed["items"]]
    assert len(set(ids)) == len(ids) and all(isinstance(i, str) and i for i in ids)
    for item in feed["items"]:
        assert item.get("content_html") or item.get("content_text"), "content is required"
        assert item["url"].startswith(site_url) == absolute
        dt.datetime.fromisoformat(item["date_published"])  # RFC 3339, or raises
        assert all(isinstance(tag, str) for tag in item["tags"])
    return feed


class TestInternalFeeds:
    def test_rss_lists_published_incidents_newest_first_with_escaped_values(self) -> None:
        files = feed_files(settings(site_url=SITE_URL), INCIDENTS)
        assert_valid_rss(files["feed.xml"])
        parsed = rss_of(files)
        assert [entry.link for entry in parsed.entries] == [
            f"{SITE_URL}incidents/newest/",
            f"{SITE_URL}incidents/older/",
        ]
        newest = parsed.entries[0]
        assert newest.title == 'Payments <b>down</b> & "slow"'
        assert [tag.term for tag in newest.tags] == ["capacity", "third-party"]
        assert newest.id == f"{SITE_URL}incidents/newest/"
        assert newest.published_parsed[:3] == (2023, 5, 2)
        # The summary is HTML; internal-only text is marked as on the internal pages.
        assert "<p>Checkout failed.</p>" in newest.description
        assert "pmkb-internal" in files["feed.xml"]
        assert parsed.feed.title == "Incident library"
        assert parsed.feed.link == SITE_URL

    def test_json_feed_lists_published_incidents_newest_first(self) -> None:
        files = feed_files(settings(site_url=SITE_URL), INCIDENTS)
        feed = assert_valid_json_feed(files["feed.json"], absolute=True)
        assert [item["url"] for item in feed["items"]] == [
            f"{SITE_URL}incidents/newest/",
            f"{SITE_URL}incidents/older/",
        ]
        newest = feed["items"][0]
        assert newest["title"] == 'Payments <b>down</b> & "slow"'
        assert newest["summary"] == "Watch <queues> & workers."
        assert newest["date_published"] == "2023-05-02T00:00:00+00:00"
        assert feed["items"][1]["content_html"] == "<p>The <em>older</em> one.</p>"

    def test_without_site_url_links_are_relative_to_the_site_root(self) -> None:
        files = feed_files(settings(), INCIDENTS)
        assert_valid_rss(files["feed.xml"])
        parsed = rss_of(files)
        assert [entry.link for entry in parsed.entries] == [
            "incidents/newest/",
            "incidents/older/",
        ]
        assert "atom:link" not in files["feed.xml"]
        feed = assert_valid_json_feed(files["feed.json"], absolute=False)
        assert feed["items"][0]["url"] == "incidents/newest/"

    def test_incidents_json_holds_every_incident_with_its_validated_data(self) -> None:
        data = json.loads(feed_files(settings(), INCIDENTS)["incidents.json"])
        assert data["audience"] == "internal"
        records = data["incidents"]
        assert [record["id"] for record in records] == ["draft", "newest", "review", "older"]
        expected = {field.name for field in dataclasses.fields(Incident)} - {"lines"}
        assert set(records[0]) == expected
        assert records[0]["status"] == "draft"
        assert records[1]["date"] == "2023-05-02"

    def test_feeds_carry_the_newest_published_incidents_and_the_json_every_one(self) -> None:
        many = [incident(f"i{number:03d}", f"{2000 + number // 12}-{number % 12 + 1:02d}-01",
                         status="draft" if number % 5 == 0 else "published")
                for number in range(150)]
        files = feed_files(settings(), many)
        published = sorted((i for i in many if i.is_published), key=lambda i: i.date,
                           reverse=True)
        newest = [f"incidents/{i.id}/" for i in published[:FEED_ITEMS]]
        assert len(published) > FEED_ITEMS
        assert [entry.link for entry in rss_of(files).entries] == newest
        feed = assert_valid_json_feed(files["feed.json"], absolute=False)
        assert [item["url"] for item in feed["items"]] == newest
        assert len(json.loads(files["incidents.json"])["incidents"]) == len(many)

    def test_an_empty_knowledge_base_still_has_valid_feeds(self) -> None:
        files = feed_files(settings(), [])
        channel = assert_valid_rss(files["feed.xml"])
        assert channel.findall("item") == []
        assert assert_valid_json_feed(files["feed.json"], absolute=False)["items"] == []


class TestPublicFeeds:
    PUBLIC: ClassVar[list[PublicIncident]] = [
        PublicIncident(
            id="older",
            title="Public title of older",
            date=dt.date(2021, 3, 1),
            severity="SEV-2",
            summary="Public summary.",
            duration=dt.timedelta(minutes=42),
            key_learning="Public lesson.",
            tags=("dns",),
        ),
        PublicIncident(
            id="newer",
            title="Public title of newer",
            date=dt.date(2023, 5, 2),
            severity="SEV-1",
            summary="Another public summary.",
        ),
    ]

    def test_feeds_carry_the_public_view_newest_first(self) -> None:
        files = feed_files(settings(audience="public", site_url=SITE_URL), self.PUBLIC)
        assert [entry.title for entry in rss_of(files).entries] == [
            "Public title of newer",
            "Public title of older",
        ]
        feed = assert_valid_json_feed(files["feed.json"], absolute=True)
        assert feed["items"][1]["summary"] == "Public lesson."
        assert feed["items"][1]["content_html"] == "<p>Public summary.</p>"

    def test_incidents_json_holds_exactly_the_public_incident_fields(self) -> None:
        data = json.loads(feed_files(settings(audience="public"), self.PUBLIC)["incidents.json"])
        assert data["audience"] == "public"
        fields = {field.name for field in dataclasses.fields(PublicIncident)}
        assert [set(record) for record in data["incidents"]] == [fields, fields]
        older = data["incidents"][1]
        assert older["duration"] == 42 * 60
        assert older["tags"] == ["dns"]


@pytest.mark.parametrize("site_url", [SITE_URL, None])
def test_internal_feed_links_are_absolute_exactly_when_the_site_has_a_url(
    site_url: str | None,
) -> None:
    files = feed_files(settings(site_url=site_url), INCIDENTS)
    base = site_url or ""
    assert [entry.link for entry in rss_of(files).entries] == [
        f"{base}incidents/newest/", f"{base}incidents/older/"]
    items = json.loads(files["feed.json"])["items"]
    assert [item["url"] for item in items] == [
        f"{base}incidents/newest/", f"{base}incidents/older/"]


def test_feed_links_of_a_page_are_absolute_with_a_site_url_else_relative_to_the_page() -> None:
    assert feed_links(settings(), urls.HOME_URI) == [("RSS", "feed.xml"),
                                                      ("JSON Feed", "feed.json")]
    assert feed_links(settings(), urls.INCIDENTS_URI) == [("RSS", "../feed.xml"),
                                                           ("JSON Feed", "../feed.json")]
    assert feed_links(settings(site_url=SITE_URL), urls.INCIDENTS_URI) == [
        ("RSS", f"{SITE_URL}feed.xml"), ("JSON Feed", f"{SITE_URL}feed.json")]


def test_the_internal_home_and_the_incident_list_link_to_the_feeds() -> None:
    internal = settings()
    entries = listing(INCIDENTS)
    home = home_page(internal, entries, PageRenderer(), ()).resolved()
    assert '<a href="feed.xml">RSS</a> · <a href="feed.json">JSON Feed</a>' in home
    pages = index_pages(entries, PageRenderer(), internal.severities,
                        feeds=feed_links(internal, urls.INCIDENTS_URI))
    incidents = pages[urls.INCIDENTS_URI].resolved()
    assert '<a href="../feed.xml">RSS</a> · <a href="../feed.json">JSON Feed</a>' in incidents
    tag_page = pages[urls.tag_uri("dns")].resolved()
    assert "feed.xml" not in tag_page


@pytest.fixture(scope="module")
def example_public_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example")
    return build_site(REPO_ROOT / "mkdocs.public.yml", root / "site-public").site_dir


@pytest.mark.slow
def test_example_public_feeds_parse_and_hold_only_public_incidents(
    example_public_site: Path,
) -> None:
    data = json.loads((example_public_site / "incidents.json").read_text(encoding="utf-8"))
    public_ids = [record["id"] for record in data["incidents"]]
    assert public_ids and public_ids == [
        record["id"] for record in sorted(data["incidents"], key=lambda r: r["date"], reverse=True)
    ]
    fields = {field.name for field in dataclasses.fields(PublicIncident)}
    assert all(set(record) == fields for record in data["incidents"])
    rss = (example_public_site / "feed.xml").read_text(encoding="utf-8")
    assert_valid_rss(rss)
    parsed = feedparser.parse(rss)
    assert not parsed.bozo
    # mkdocs.public.yml sets the public site's own site_url: feed links are absolute.
    base = "https://status.lumenpay.example/"
    assert [entry.link for entry in parsed.entries] == [
        f"{base}incidents/{i}/" for i in public_ids]
    feed = assert_valid_json_feed(
        (example_public_site / "feed.json").read_text(encoding="utf-8"), absolute=True,
        site_url=base,
    )
    assert [item["url"] for item in feed["items"]] == [f"{base}incidents/{i}/" for i in public_ids]
    # Pages name the feeds in their head (overrides/main.html), relative to the page (the
    # theme fetches a sitemap beside each), and the list links them absolute.
    for page, root in (("index.html", "."), ("incidents/index.html", ".."),
                       (f"incidents/{public_ids[0]}/index.html", "../..")):
        heads = (f'<link rel="alternate" type="application/rss+xml" title="Lumen Pay incident '
                 f'reports (RSS)" href="{root}/feed.xml">', '<link rel="alternate" '
                 f'type="application/feed+json" title="Lumen Pay incident reports (JSON Feed)" '
                 f'href="{root}/feed.json">')
        html = (example_public_site / page).read_text(encoding="utf-8")
        assert all(head in html for head in heads), page
    listed = (example_public_site / "incidents" / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{base}feed.xml">RSS</a> · <a href="{base}feed.json">JSON Feed</a>' in listed


#: The public markers each output must show: the allowlisted fields it is built from.
EXPECTED_PUBLIC_MARKERS = {
    "feed.xml": ("pubmark-idalpha", "PUBMARK-TITLE", "PUBMARK-SUMMARY", "PUBMARK-ROLE",
                 "pubmark-tag"),
    "feed.json": ("pubmark-idalpha", "PUBMARK-TITLE", "PUBMARK-SUMMARY", "PUBMARK-ROLE",
                  "PUBMARK-KEYLEARNING", "pubmark-tag"),
    "incidents.json": "all",
    "gallery/index.html": ("pubmark-idalpha", "PUBMARK-TITLE", "PUBMARK-KEYLEARNING",
                           "pubmark-tag", "pubmark-svc"),
}  # fmt: skip


@pytest.mark.slow
def test_leak_fixture_public_feeds_and_gallery_hold_public_markers_only(tmp_path: Path) -> None:
    markers = load_markers()
    site = build_site(LEAKY_KB / "mkdocs.public.yml", tmp_path / "site-public")
    for uri, expected in EXPECTED_PUBLIC_MARKERS.items():
        text = site.read(uri).lower()
        wanted = markers.PUBLIC_MARKERS if expected == "all" else expected
        missing = [marker for marker in wanted if marker.lower() not in text]
        assert not missing, f"{uri} lacks public markers {missing}"
        leaked = [marker for marker in markers.PRIVATE_MARKERS if marker.lower() in text]
        assert not leaked, f"{uri} holds private markers {leaked}"
    # The fixture sets site_url: the public feeds link absolutely.
    parsed = feedparser.parse(site.read("feed.xml"))
    assert not parsed.bozo
    assert [entry.link for entry in parsed.entries] == [f"{SITE_URL}incidents/pubmark-idalpha/"]
