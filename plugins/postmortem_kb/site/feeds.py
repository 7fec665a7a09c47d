"""The machine-readable files of a site: `feed.xml`, `feed.json` and `incidents.json`.

Each is built from the audience's own view of the incidents and nothing else: a public build
passes `PublicIncident`s (the allowlist), an internal build the validated `Incident`s.

* `feed.xml` (RSS 2.0) and `feed.json` (JSON Feed 1.1) list the newest `FEED_ITEMS`
  `status: published` incidents of the types listed everywhere (no game days, no other
  companies' incidents), newest first (a feed tells what is new; a library of 10,000
  incidents would otherwise make every reader download all of them): title, link,
  date, tags, the key learning and the summary rendered to HTML, which passes the sanitizer
  like every page (feed readers differ in what they strip). The internal feed marks
  internal-only text the way the pages do.
* `incidents.json` holds every incident of the audience, newest first. Public: exactly the
  fields of `PublicIncident`. Internal: every field of `Incident` (drafts too, with their
  `status`) except the source line numbers. Dates and timestamps are ISO 8601 strings,
  durations whole seconds. It is written compact: it is data for programs, and large. It
  holds no HTML: text fields are the authors' Markdown, for a program to render (and
  sanitize) or show as text.

Links: with the config's `site_url` every link is absolute. Without it the feeds are still
written, with links relative to the site root (where the feeds live): feed readers resolve
them against the feed's own URL, but the RSS 2.0 specification asks for absolute URLs, so set
`site_url` for a feed you publish. The public site needs its own `site_url` (in
`mkdocs.public.yml`), or its feeds would link to the internal site's address.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import itertools
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import markdown

from ..core import urls
from ..core.fields import zone_for
from ..core.formatting import escape_html
from ..core.model import Incident, PublicIncident
from ..core.sanitize import MARKDOWN_TABLES_CONFIG, sanitize_html
from ..core.settings import Settings
from ..public.internal_markup import mark_internal
from .incident_types import listed_everywhere

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
#: How many of the newest published incidents the feeds carry.
FEED_ITEMS = 50
#: Markdown extensions for feed content: what the internal-only marks need, plus tables.
FEED_MARKDOWN_EXTENSIONS = ("admonition", "attr_list", "md_in_html", "tables", "fenced_code")
#: Fields of the internal model that are bookkeeping (source line numbers), not data.
BOOKKEEPING_FIELDS = frozenset({"lines", "line"})


@dataclass(frozen=True)
class FeedItem:
    """One incident as a feed shows it, from the audience's view of it."""

    id: str
    title: str
    date: dt.date
    severity: str
    tags: tuple[str, ...]
    key_learning: str | None
    #: Markdown, already without internal-only parts (public) or with them marked (internal).
    summary: str | None


def feed_item(incident: Incident | PublicIncident) -> FeedItem:
    if isinstance(incident, PublicIncident):
        summary: str | None = incident.summary
    else:
        summary = mark_internal(incident.summary) if incident.summary else None
    return FeedItem(
        id=incident.id,
        title=incident.title,
        date=incident.date,
        severity=incident.severity,
        tags=incident.tags,
        key_learning=incident.key_learning,
        summary=summary,
    )


def feed_files(
    settings: Settings,
    incidents: Iterable[Incident | PublicIncident],
    records: Sequence[str] | None = None,
) -> dict[str, str]:
    """uri → text of the feeds and `incidents.json`, for the audience's `incidents`;
    `records`: their `incident_record`s in the same order, when already made."""
    incidents = list(incidents)
    if records is not None:
        by_id = {incident.id: record for incident, record in zip(incidents, records, strict=True)}
    ordered = sorted(incidents, key=lambda incident: (incident.date, incident.id), reverse=True)
    listed = listed_everywhere(ordered, settings.types)  # not game days, others' incidents …
    newest = (i for i in listed if isinstance(i, PublicIncident) or i.is_published)
    published = [feed_item(incident) for incident in itertools.islice(newest, FEED_ITEMS)]
    return {
        urls.RSS_FEED_FILE: rss_feed(settings, published),
        urls.JSON_FEED_FILE: json_feed(settings, published),
        urls.INCIDENTS_JSON_FILE: incidents_json(
            settings, ordered, [by_id[incident.id] for incident in ordered] if records else None),
    }


def site_link(settings: Settings, path: str) -> str:
    """A URL of the site: absolute with `site_url`, else relative to the site root."""
    if settings.site_url:
        return urljoin(settings.site_url, path)
    return path or "./"


def feed_links(settings: Settings, page_uri: str) -> list[tuple[str, str]]:
    """(name, URL) of each feed, for a page at `page_uri` to link: absolute with `site_url`
    (a reader may copy it into a feed reader), else relative to that page."""

    def link(feed: str) -> str:
        return site_link(settings, feed) if settings.site_url else urls.relative_link(
            page_uri, feed)

    return [("RSS", link(urls.RSS_FEED_FILE)), ("JSON Feed", link(urls.JSON_FEED_FILE))]


def incident_link(settings: Settings, incident_id: str) -> str:
    return site_link(settings, urls.page_url(urls.incident_uri(incident_id)))


def content_html(item: FeedItem) -> str:
    """The summary as HTML; the key learning, else the title, when there is no summary."""
    if item.summary:
        html = markdown.markdown(
            item.summary,
            extensions=list(FEED_MARKDOWN_EXTENSIONS),
            extension_configs={"tables": MARKDOWN_TABLES_CONFIG},
        )
        return sanitize_html(html)
    return f"<p>{escape_html(item.key_learning or item.title)}</p>"


def feed_description(settings: Settings) -> str:
    return settings.site_description or f"Postmortems published on {settings.site_name}"


def rss_feed(settings: Settings, items: list[FeedItem]) -> str:
    """RSS 2.0, newest first. ElementTree escapes every value."""
    ET.register_namespace("atom", ATOM_NAMESPACE)
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    _text_element(channel, "title", settings.site_name)
    _text_element(channel, "link", site_link(settings, ""))
    _text_element(channel, "description", feed_description(settings))
    if settings.site_url:
        ET.SubElement(
            channel,
            f"{{{ATOM_NAMESPACE}}}link",
            href=site_link(settings, urls.RSS_FEED_FILE),
            rel="self",
            type="application/rss+xml",
        )
    zone = zone_for(settings)
    for item in items:
        entry = ET.SubElement(channel, "item")
        link = incident_link(settings, item.id)
        _text_element(entry, "title", item.title)
        _text_element(entry, "link", link)
        guid = _text_element(entry, "guid", link)
        guid.set("isPermaLink", "true" if settings.site_url else "false")
        started = dt.datetime.combine(item.date, dt.time(), zone)
        _text_element(entry, "pubDate", email.utils.format_datetime(started))
        _text_element(entry, "description", content_html(item))
        for tag in item.tags:
            _text_element(entry, "category", tag)
    ET.indent(rss)
    body = ET.tostring(rss, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'


def _text_element(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def json_feed(settings: Settings, items: list[FeedItem]) -> str:
    """JSON Feed 1.1, newest first."""
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": settings.site_name,
        "description": feed_description(settings),
    }
    if settings.site_url:
        feed["home_page_url"] = site_link(settings, "")
        feed["feed_url"] = site_link(settings, urls.JSON_FEED_FILE)
    zone = zone_for(settings)
    feed["items"] = [
        {
            "id": incident_link(settings, item.id),
            "url": incident_link(settings, item.id),
            "title": item.title,
            "content_html": content_html(item),
            **({"summary": item.key_learning} if item.key_learning else {}),
            "date_published": dt.datetime.combine(item.date, dt.time(), zone).isoformat(),
            "tags": list(item.tags),
        }
        for item in items
    ]
    return _dump(feed)


def incidents_json(
    settings: Settings,
    incidents: Iterable[Incident | PublicIncident],
    records: Sequence[str] | None = None,
) -> str:
    """The audience's incidents as data: see the module docstring for what each holds."""
    if records is None:
        records = [incident_record(incident) for incident in incidents]
    audience = json.dumps(settings.audience)
    return f'{{"audience":{audience},"incidents":[{",".join(records)}]}}\n'


def incident_record(incident: Incident | PublicIncident) -> str:
    """One incident of `incidents.json`, as JSON text (made with each file: `plan.py`)."""
    return json.dumps(_json_value(incident), ensure_ascii=False, separators=(",", ":"))


def _json_value(value: Any) -> Any:
    """Model values as JSON: ISO 8601 for dates and times, seconds for durations."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: _json_value(getattr(value, item.name))
            for item in dataclasses.fields(value)
            if item.name not in BOOKKEEPING_FIELDS
        }
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds())
    return value


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
