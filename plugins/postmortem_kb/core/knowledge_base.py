"""Load a whole knowledge base: every file, the KB-wide roles, and cross-file checks.

`load_knowledge_base(settings)` is the first stage of every build and of `pmkb check`. It
never raises for user input: unreadable and invalid files become problems, and every valid
incident is kept. Cross-file checks (unique ids, `related` and `recurrence_of` pointing at
known incidents) run once all files are read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .fields import suggest
from .loader import LoadProblem, discover_postmortem_files, display_name, read_postmortem
from .model import Incident
from .problems import Problem, Problems
from .settings import Settings
from .side_files import load_roles
from .validate import validate_postmortem


@dataclass
class KnowledgeBase:
    """The valid incidents of one knowledge base, and what was wrong with the rest."""

    incidents: list[Incident]
    problems: Problems
    roles: dict[str, str] = field(default_factory=dict)
    #: Display names of files that were not published because of errors.
    skipped: list[str] = field(default_factory=list)
    #: `@handle` → the names `_roles.yml` gives that person (for the quality gate).
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def by_id(self) -> dict[str, Incident]:
        return {incident.id: incident for incident in self.incidents}


#: One file's incident (None when it cannot be published) and its problems.
FileRead = tuple[Incident | None, Sequence[Problem]]
#: Reads files, all at once: for each path in order, what `read_file` gives.
FilesReader = Callable[[Sequence[Path], Settings, dict[str, str]], list[FileRead]]


def read_file(path: Path, settings: Settings, roles: dict[str, str]) -> FileRead:
    """Read and validate one postmortem file on its own (the cross-file checks come later)."""
    try:
        raw = read_postmortem(path, settings.source_dir)
    except LoadProblem as exc:
        return None, [exc.problem]
    incident, found = validate_postmortem(raw, settings, roles)
    return incident, found.items


def read_files(paths: Sequence[Path], settings: Settings, roles: dict[str, str]) -> list[FileRead]:
    """`read_file` of each path, in order."""
    return [read_file(path, settings, roles) for path in paths]


def load_knowledge_base(settings: Settings, read: FilesReader = read_files) -> KnowledgeBase:
    """Read, validate and cross-check every postmortem under `settings.source_dir`.

    `read` reads the files; the site build passes one that reuses what an earlier build read
    and reads the rest on every core (`site/build_cache.py`).
    """
    problems = Problems()
    source_dir = settings.source_dir
    if not source_dir.is_dir():
        problems.error(
            str(source_dir),
            None,
            "source_dir",
            "folder not found; expected the folder holding the postmortem files",
        )
        return KnowledgeBase([], problems)
    roles, names = load_roles(settings, problems)
    incidents: list[Incident] = []
    skipped: list[str] = []
    paths = discover_postmortem_files(source_dir)
    for path, (incident, found) in zip(paths, read(paths, settings, roles), strict=True):
        problems.extend(found)
        if incident is None:
            skipped.append(display_name(path, source_dir))
        else:
            incidents.append(incident)
    incidents = _drop_duplicate_ids(incidents, problems, skipped)
    incidents = _drop_broken_references(incidents, problems)
    incidents.sort(key=lambda incident: (incident.date, incident.id), reverse=True)
    return KnowledgeBase(incidents, problems, roles, skipped, names)


def _drop_duplicate_ids(
    incidents: list[Incident], problems: Problems, skipped: list[str]
) -> list[Incident]:
    first_by_id: dict[str, Incident] = {}
    kept = []
    for incident in incidents:
        first = first_by_id.setdefault(incident.id, incident)
        if first is incident:
            kept.append(incident)
            continue
        problems.error(
            incident.source,
            incident.line_of("id"),
            "id",
            f"'{incident.id}' is already the id of {first.source}; "
            "expected an id unique across the knowledge base",
        )
        skipped.append(incident.source)
    return kept


def _drop_broken_references(incidents: list[Incident], problems: Problems) -> list[Incident]:
    """Report `related`/`recurrence_of` ids that name no incident, and keep the incident
    without them: a typo in a cross-reference must not unpublish a valid postmortem."""
    known = sorted(incident.id for incident in incidents)
    known_set = set(known)

    def is_valid(incident: Incident, path: str, ref: str) -> bool:
        if ref == incident.id:
            message = "an incident cannot refer to itself"
        elif ref not in known_set:
            message = (
                f"no incident has id '{ref}'{suggest(ref, known)}; "
                "expected the id of another incident"
            )
        else:
            return True
        problems.error(incident.source, incident.line_of(path), path, message)
        return False

    checked = []
    for incident in incidents:
        related = tuple(
            ref
            for index, ref in enumerate(incident.related)
            if is_valid(incident, f"related[{index}]", ref)
        )
        recurrence_of = incident.recurrence_of
        if recurrence_of and not is_valid(incident, "recurrence_of", recurrence_of):
            recurrence_of = None
        if related != incident.related or recurrence_of != incident.recurrence_of:
            incident = replace(incident, related=related, recurrence_of=recurrence_of)
        checked.append(incident)  # the same object when nothing was dropped: see `PlanCache`
    return checked
