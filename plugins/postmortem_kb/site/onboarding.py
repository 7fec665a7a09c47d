"""Onboarding reading paths: `postmortems/_paths.yml`, rendered under `onboarding/`.

A path is a named, ordered list of incidents to read, each with why it is on the path and
questions to discuss. The file is validated in every build, like every other file of the
knowledge base, so a broken path fails `--strict` whichever site is built; the pages exist
only on the internal site (a public build generates no `onboarding/` page at all).

A step naming an unknown incident is an error naming the file, the line and the field, with
the nearest known id; the path keeps its other steps, so one typo hides nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..core import urls
from ..core.fields import ID_PATTERN, FieldReader, suggest
from ..core.formatting import slugify
from ..core.problems import Problems
from ..core.settings import Settings
from ..core.side_files import PATHS_FILE, read_side_file
from .listing import ListingEntry
from .render import PageRenderer, RenderedPage

FILE_FIELDS = ("paths",)
PATH_FIELDS = ("id", "title", "description", "steps")
STEP_FIELDS = ("incident", "why", "questions")


@dataclass(frozen=True)
class PathStep:
    incident: str
    why: str | None = None
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadingPath:
    id: str
    title: str
    description: str | None
    steps: tuple[PathStep, ...]


def load_paths(
    settings: Settings, incident_ids: Iterable[str], problems: Problems
) -> list[ReadingPath]:
    """The reading paths of `_paths.yml` (none when the file is absent), problems collected."""
    reader = read_side_file(settings, PATHS_FILE, problems)
    if reader is None:
        return []
    paths = _PathsReader(reader, sorted(incident_ids)).read(reader.data)
    problems.extend(reader.problems)
    return paths


class _PathsReader:
    """Reads the mapping of `_paths.yml` with a `FieldReader`'s typed getters."""

    def __init__(self, reader: FieldReader, incident_ids: list[str]) -> None:
        self.check = reader
        self.incident_ids = incident_ids
        self.known = set(incident_ids)
        self.path_ids: set[str] = set()

    def read(self, data: dict[str, Any]) -> list[ReadingPath]:
        self.check.unknown_fields(data, "", FILE_FIELDS, "`paths:`")
        if data.get("paths") is None:
            self.check.error("paths", "is required; expected a list of reading paths")
            return []
        return list(self.check.each(data["paths"], "paths", self.path, PATH_FIELDS))

    def path(self, item: dict[str, Any], where: str) -> ReadingPath | None:
        title = self.check.text(item.get("title"), f"{where}.title", required=True)
        path_id = self.check.text(item.get("id"), f"{where}.id")
        if path_id is not None and not ID_PATTERN.match(path_id):
            self.check.error(
                f"{where}.id",
                f"'{path_id}' is not a valid id; expected lowercase letters, digits and "
                "hyphens (it is the page's URL)",
            )
            return None
        description = self.check.text(item.get("description"), f"{where}.description")
        steps = self.check.each(item.get("steps"), f"{where}.steps", self.step, STEP_FIELDS)
        if item.get("steps") is None:
            self.check.error(f"{where}.steps", "is required; expected a list of incidents")
        if title is None or not steps:
            return None
        path_id = path_id or slugify(title)
        if path_id in self.path_ids:
            self.check.error(
                f"{where}.id",
                f"'{path_id}' is the id of an earlier path; expected an id unique in this file",
            )
            return None
        self.path_ids.add(path_id)
        return ReadingPath(path_id, title, description, steps)

    def step(self, item: dict[str, Any], where: str) -> PathStep | None:
        incident = self.check.text(item.get("incident"), f"{where}.incident", required=True)
        why = self.check.text(item.get("why"), f"{where}.why")
        questions = self.check.text_list(item.get("questions"), f"{where}.questions")
        if incident is None:
            return None
        if incident not in self.known:
            self.check.error(
                f"{where}.incident",
                f"no incident has id '{incident}'{suggest(incident, self.incident_ids)}; "
                "expected the id of an incident in this knowledge base",
            )
            return None
        return PathStep(incident, why, questions)


def onboarding_pages(
    paths: list[ReadingPath], entries: list[ListingEntry], renderer: PageRenderer
) -> dict[str, RenderedPage]:
    """`onboarding/index.md` and a page per path (internal site only)."""
    by_id = {entry.id: entry for entry in entries}
    pages = {
        urls.ONBOARDING_URI: renderer.render(
            "onboarding_index.md.j2",
            urls.ONBOARDING_URI,
            paths=paths,
            path_uri=urls.onboarding_path_uri,
        )
    }
    for path in paths:
        uri = urls.onboarding_path_uri(path.id)
        pages[uri] = renderer.render(
            "onboarding_path.md.j2",
            uri,
            path=path,
            steps=[(step, by_id[step.incident]) for step in path.steps if step.incident in by_id],
            index_uri=urls.ONBOARDING_URI,
        )
    return pages
