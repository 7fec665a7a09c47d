"""Plan one audience's site: load → validate → project → enrich → render.

`plan_site()` is the whole core pipeline in one readable function, and the only thing the
MkDocs plugin and the CLI call to know what a build contains. It returns plain data: the
Markdown of every generated page, the files to copy, the problems found. For the public
audience every page is rendered from `PublicIncident`s; the internal `Incident`s are kept
only to tell the leak guard which strings must never appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import site_urls
from .indexes import index_pages
from .kb import KnowledgeBase, load_knowledge_base
from .listing import ListingEntry, listing
from .model import Incident, PublicIncident
from .problems import Problem, Problems
from .public import project_public
from .render import PageRenderer
from .settings import Settings


@dataclass
class SitePlan:
    """What one build of one audience contains."""

    settings: Settings
    kb: KnowledgeBase
    #: Internal audience: every valid incident. Public: empty (see `public`).
    incidents: list[Incident]
    #: Public projections of the incidents that are public, by id (both audiences).
    public: dict[str, PublicIncident]
    #: Why an incident is not public, by id.
    not_public: dict[str, str]
    entries: list[ListingEntry]
    problems: Problems
    #: Problems making public text safe: they stop a public build.
    projection_problems: Problems = field(default_factory=Problems)
    #: uri → Markdown of every generated page.
    pages: dict[str, str] = field(default_factory=dict)
    #: uri → source file to copy verbatim (evidence files; internal only).
    files: dict[str, Path] = field(default_factory=dict)
    #: uri → text of data files written after the pages (feeds, JSON).
    data_files: dict[str, str] = field(default_factory=dict)

    @property
    def public_errors(self) -> list[Problem]:
        return self.projection_problems.errors

    @property
    def audience_incidents(self) -> list[Incident] | list[PublicIncident]:
        """The incidents as this audience may see them."""
        if self.settings.is_public:
            return [self.public[entry.id] for entry in self.entries]
        return self.incidents


def plan_site(settings: Settings, overrides_dir: Path | None = None) -> SitePlan:
    """Everything a build of `settings.audience` will generate, with every problem found."""
    kb = load_knowledge_base(settings)
    projection_problems = Problems()
    public: dict[str, PublicIncident] = {}
    not_public: dict[str, str] = {}
    for incident in kb.incidents:
        projection = project_public(incident, settings)
        projection_problems.extend(projection.problems)
        if projection.incident is not None:
            public[incident.id] = projection.incident
        else:
            not_public[incident.id] = projection.reason or "not published publicly"
    incidents = [] if settings.is_public else kb.incidents
    shown: list[Incident | PublicIncident] = (
        [public[i.id] for i in kb.incidents if i.id in public]
        if settings.is_public
        else list(kb.incidents)
    )
    problems = Problems([*kb.problems.items, *projection_problems.items])
    plan = SitePlan(
        settings, kb, incidents, public, not_public, listing(shown), problems, projection_problems
    )
    renderer = PageRenderer(overrides_dir, internal=not settings.is_public)
    plan.pages.update(incident_pages(plan, renderer))
    plan.pages.update(index_pages(plan.entries, renderer, settings.severities, settings.tags))
    if not settings.is_public:
        plan.files.update(evidence_files(kb.incidents, settings.source_dir))
    return plan


def incident_pages(plan: SitePlan, renderer: PageRenderer) -> dict[str, str]:
    """`incidents/<id>/index.md` for every incident this audience sees."""
    settings = plan.settings
    pages = {}
    if settings.is_public:
        for entry in plan.entries:
            public = plan.public[entry.id]
            uri = site_urls.incident_uri(public.id)
            pages[uri] = renderer.render(
                "public_incident.md.j2",
                uri,
                public=public,
                page_title=settings.page_title(
                    public.title, public.date, public.id, public.severity
                ),
            )
        return pages
    by_id = plan.kb.by_id()
    for incident in plan.incidents:
        uri = site_urls.incident_uri(incident.id)
        pages[uri] = renderer.render(
            "incident.md.j2",
            uri,
            incident=incident,
            today=settings.build_date,
            page_title=settings.page_title(
                incident.title, incident.date, incident.id, incident.severity
            ),
            public=plan.public.get(incident.id),
            public_reason=plan.not_public.get(incident.id),
            public_tags=settings.public_tags,
            related=[by_id[ref] for ref in incident.related if ref in by_id],
            evidence_path=lambda file, incident=incident: evidence_link(incident, file),
        )
    return pages


def evidence_link(incident: Incident, file: str) -> str:
    """Where an evidence file is published, relative to its incident page."""
    return f"evidence/{PurePosixPath(file).name}"


def evidence_files(incidents: list[Incident], source_dir: Path) -> dict[str, Path]:
    """uri → source path of every evidence file (validated to exist inside source_dir)."""
    files = {}
    for incident in incidents:
        folder = (source_dir.parent / incident.source).parent
        for evidence in incident.evidence:
            if evidence.file:
                uri = f"incidents/{incident.id}/{evidence_link(incident, evidence.file)}"
                files[uri] = (folder / evidence.file).resolve()
    return files
