"""The learning gallery: a card per incident with its key learning, plus lessons from others.

`gallery/` shows one card per incident the audience sees, built from its `ListingEntry` only
(so a public card carries only public data: the public title, public services and tags and
the public key learning), filterable by tag and severity with the shared filter component.
Below them, `postmortems/_gallery.yml` lists well-known public postmortems of other
companies, each with our own reading of its key learning; it is validated like every other
file, and on the public site its tags are limited to `public_tags` like ours. The internal
gallery adds the other companies' incidents we wrote up ourselves (`type: external`, listed
nowhere else; `incident_lessons`), each linking the original report and our write-up.

`core.side_files.read_side_file` reads `_gallery.yml` with the strict YAML reader and hands
back a `FieldReader`, whose typed getters check its fields with the postmortems' messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from ..core import urls
from ..core.fields import FieldReader
from ..core.model import Incident
from ..core.problems import Problems
from ..core.settings import Settings
from ..core.side_files import GALLERY_FILE, read_side_file
from .listing import ListingEntry, filter_facet, filter_slugs
from .render import PageRenderer, RenderedPage

FILE_FIELDS = ("entries",)
ENTRY_FIELDS = ("company", "year", "incident", "key_learning", "link", "tags")
#: The `id` of the incident cards' container, the target of its filter controls.
INCIDENTS_CONTAINER = "pmkb-gallery-incidents"
EXTERNAL_CONTAINER = "pmkb-gallery-external"
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class ExternalLesson:
    """A public postmortem of another company, with the lesson in our own words."""

    company: str
    year: int
    incident: str
    key_learning: str
    link: str
    tags: tuple[str, ...] = ()
    #: The id of our own write-up: an `external` incident (internal site only).
    page_id: str | None = None


def incident_lessons(incidents: Iterable[Incident]) -> list[ExternalLesson]:
    """Other companies' incidents written up as our own postmortems (types listed only in the
    gallery, `type: external`), as gallery cards linking the original and our write-up.

    Internal only: they never reach the public site, so their text is not public text."""
    return [
        ExternalLesson(
            company=incident.company or "",
            year=incident.date.year,
            incident=incident.title,
            key_learning=incident.key_learning or "",
            link=incident.source_url or "",
            tags=incident.tags,
            page_id=incident.id,
        )
        for incident in incidents
    ]


def load_gallery(settings: Settings, problems: Problems) -> list[ExternalLesson]:
    """The external lessons of `_gallery.yml` in file order (none when it is absent)."""
    reader = read_side_file(settings, GALLERY_FILE, problems)
    if reader is None:
        return []
    data = reader.data
    reader.unknown_fields(data, "", FILE_FIELDS, "`entries:`")
    if data.get("entries") is None:
        reader.error("entries", "is required; expected a list of public postmortems")
    read = _LessonReader(reader, settings).read
    lessons = list(reader.each(data.get("entries"), "entries", read, ENTRY_FIELDS))
    problems.extend(reader.problems)
    return lessons


class _LessonReader:
    def __init__(self, reader: FieldReader, settings: Settings) -> None:
        self.check = reader
        self.settings = settings

    def read(self, item: dict[str, Any], where: str) -> ExternalLesson | None:
        texts = {
            name: self.check.text(item.get(name), f"{where}.{name}", required=True)
            for name in ("company", "incident", "key_learning")
        }
        year = self.year(item.get("year"), f"{where}.year")
        link = self.link(item.get("link"), f"{where}.link")
        tags = self.check.tag_list(item.get("tags"), f"{where}.tags", tuple(self.settings.tags))
        company, incident, key_learning = texts["company"], texts["incident"], texts["key_learning"]
        if company is None or incident is None or key_learning is None:
            return None
        if year is None or link is None:
            return None
        return ExternalLesson(company, year, incident, key_learning, link, tags)

    def year(self, value: Any, where: str) -> int | None:
        text = self.check.text(value, where, required=True)
        if text is None:
            return None
        if not _YEAR.match(text) or int(text) > self.settings.build_date.year:
            self.check.error(where, f"'{text}' is not a year; expected e.g. 2021")
            return None
        return int(text)

    def link(self, value: Any, where: str) -> str | None:
        text = self.check.text(value, where, required=True)
        if text is None:
            return None
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", text):
            self.check.error(
                where, f"'{text}' is not a web address; expected the https:// URL of the report"
            )
            return None
        return text


def lesson_texts(lessons: Iterable[ExternalLesson]) -> list[str]:
    """Every text of the external lessons: written for the public, so public everywhere."""
    return [
        text
        for lesson in lessons
        for text in (lesson.company, lesson.incident, lesson.key_learning, lesson.link)
    ]


def gallery_pages(
    entries: list[ListingEntry],
    lessons: list[ExternalLesson],
    renderer: PageRenderer,
    settings: Settings,
) -> dict[str, RenderedPage]:
    """`gallery/index.md`: the audience's incident cards, then the external lessons."""
    if settings.is_public:
        allowed = set(settings.public_tags)
        lessons = [
            replace(lesson, tags=tuple(tag for tag in lesson.tags if tag in allowed))
            for lesson in lessons
        ]
    scale = {level: index for index, level in enumerate(settings.severities)}
    incident_facets = [
        filter_facet("tags", "Tag", (entry.tags for entry in entries), sorted),
        filter_facet(
            "severity",
            "Severity",
            ((entry.severity,) for entry in entries),
            lambda names: sorted(names, key=lambda name: (scale.get(name, len(scale)), name)),
        ),
    ]
    external_facets = [
        filter_facet("tags", "Tag", (lesson.tags for lesson in lessons), sorted),
        filter_facet("year", "Year", ((str(lesson.year),) for lesson in lessons), _newest_first),
    ]
    return {
        urls.GALLERY_URI: renderer.render(
            "gallery.md.j2",
            urls.GALLERY_URI,
            entries=entries,
            lessons=lessons,
            incident_facets=incident_facets,
            external_facets=external_facets,
            incidents_container=INCIDENTS_CONTAINER,
            external_container=EXTERNAL_CONTAINER,
            slugs=filter_slugs,
            severities=settings.severities,
        )
    }


def _newest_first(years: list[str]) -> list[str]:
    return sorted(years, reverse=True)
