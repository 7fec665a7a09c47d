"""Plan one audience's site: load → validate → project → enrich → render.

`plan_site()` is the whole core pipeline in one readable function, and the only thing the
MkDocs plugin and the CLI call to know what a build contains. It returns plain data: the
Markdown of every generated page (the home page too, unless `docs/` has one for the
audience), the hand-written pages with their audiences, the files to copy, the problems found.
For the public audience every page is rendered from `PublicIncident`s; the internal
`Incident`s are kept only to tell the leak guard which strings must never appear.

The MkDocs plugin passes a `PlanCache` (`build_cache.py`): what a file, an incident or a page
template computed in an earlier build with the same inputs is reused rather than computed
again. Stages that take one incident at a time (projection, quality findings, search
documents) are therefore called one incident at a time: their result must depend on that
incident and the settings alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from ..core import urls
from ..core.knowledge_base import KnowledgeBase, load_knowledge_base
from ..core.model import Incident, PublicIncident
from ..core.problems import Problem, Problems
from ..core.settings import Settings
from ..core.side_files import load_roles
from ..public.projection import PublicProjection, preview_public, project_public
from ..quality.gate import check_quality
from ..search.documents import SearchDocument, search_documents
from ..search.related import compute_related
from .actions import action_pages
from .build_cache import PlanCache
from .factors import factor_pages
from .feeds import feed_files, feed_links, incident_record
from .gallery import gallery_pages, incident_lessons, lesson_texts, load_gallery
from .hand_written import (
    HandWrittenPage,
    drop_from_nav,
    read_hand_written_pages,
    written_home_page,
)
from .home import home_page
from .incident_types import in_gallery_only, is_listed_everywhere, listed_everywhere
from .indexes import index_pages
from .insights import insights_pages
from .kpi import kpi_pages
from .listing import ListingEntry, listing
from .near_misses import near_miss_pages
from .onboarding import load_paths, onboarding_pages
from .quality_pages import quality_pages
from .render import PageRenderer, RenderedPage, orphaned_overrides
from .reviews import review_pages
from .type_lists import type_pages


@dataclass
class AudienceView:
    """One audience's view of the knowledge base, projected but not yet rendered."""

    settings: Settings
    kb: KnowledgeBase
    #: Public projections of the incidents that are public, by id.
    public: dict[str, PublicIncident]
    #: Why an incident is not public, by id.
    not_public: dict[str, str]
    #: What a not-yet-public incident would show once published (internal pages' preview).
    previews: dict[str, PublicIncident]
    #: Problems making public text safe: they stop a public build.
    projection_problems: Problems

    @property
    def incidents(self) -> list[Incident] | list[PublicIncident]:
        """The incidents as this audience may see them, newest first."""
        if self.settings.is_public:
            return [self.public[i.id] for i in self.kb.incidents if i.id in self.public]
        return self.kb.incidents

    @property
    def held_back(self) -> list[tuple[Incident, str]]:
        """Published incidents the public site leaves out, each with why (newest first):
        the authors consider them done, so a public build names them."""
        return [(incident, self.not_public[incident.id]) for incident in self.kb.incidents
                if incident.is_published and incident.id in self.not_public]

    @property
    def public_errors(self) -> list[Problem]:
        return self.projection_problems.errors

    def search_documents(self) -> list[SearchDocument]:
        return search_documents(self.incidents)


@dataclass
class SitePlan:
    """What one build of one audience contains: its view, and everything rendered from it."""

    view: AudienceView
    #: The audience's incidents as listing rows, newest first.
    entries: list[ListingEntry]
    #: Every problem found: loading, validation, projection, side files.
    problems: Problems
    #: uri → every generated page (Markdown and its HTML blocks).
    pages: dict[str, RenderedPage] = field(default_factory=dict)
    #: uri → source file to copy verbatim (evidence files; internal only).
    files: dict[str, Path] = field(default_factory=dict)
    #: uri → text of data files written after the pages (feeds, JSON).
    data_files: dict[str, str] = field(default_factory=dict)
    #: The audience's search documents (for the whoosh index) and related incidents by id.
    documents: list[SearchDocument] = field(default_factory=list)
    related: dict[str, list[str]] = field(default_factory=dict)
    #: The quality gate's findings (internal audience only): never MkDocs warnings, never
    #: a reason to leave an incident out; `pmkb check` exits on them.
    findings: list[Problem] = field(default_factory=list)
    #: Every hand-written page of `docs/` with its audience (the plugin leaves out the others).
    hand_written: list[HandWrittenPage] = field(default_factory=list)
    #: Text written for the public that is not an incident (the gallery's external lessons,
    #: the public hand-written pages, the organisation and contact): the leak guard counts it
    #: as public. Internal pages are not in it: their text must not switch the scan off.
    public_texts: list[str] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return self.view.settings

    def hand_written_uris(self) -> set[str]:
        """The hand-written pages of `docs/` a build of this audience includes."""
        return {page.uri for page in self.hand_written if page.is_for(self.settings.audience)}

    def audience_nav(self, nav: list[Any], left_out: Iterable[str]) -> list[Any]:
        """MkDocs' `nav` setting without the entries of the `left_out` hand-written pages.

        A generated page may take a left-out page's place (the home page): its entry stays.
        """
        return drop_from_nav(nav, set(left_out) - self.pages.keys())

    @property
    def kb(self) -> KnowledgeBase:
        return self.view.kb

    @property
    def listed(self) -> list[ListingEntry]:
        """The rows of the lists, indexes and home page: the types listed everywhere (the
        others have their own list or the gallery; `incident_types.py`)."""
        return listed_everywhere(self.entries, self.settings.types)

    @property
    def every_problem(self) -> list[Problem]:
        """Format problems and quality findings together: what `pmkb check` and the
        `problems/` page list."""
        return [*self.problems.items, *self.findings]


T = TypeVar("T")
#: What takes long to compute over the whole library: the live preview may show an edit with
#: the last build's result of these, and a moment later with the new one (`PlanCache.defer`).
LIBRARY_WIDE = (compute_related, feed_files)


def project_audience(settings: Settings, cache: PlanCache | None = None) -> AudienceView:
    """Load, validate and project the knowledge base for `settings.audience`."""
    if cache is None:
        kb = load_knowledge_base(settings)
    else:
        # Computed where each file is read: on every core, for the files read again.
        cache.with_each_file(project_incident, settings)
        if not settings.is_public:
            cache.with_each_file(incident_findings, *_quality_context(settings))
            cache.with_each_file(incident_documents)
            cache.with_each_file(incident_record)
        kb = load_knowledge_base(settings, cache.read_files)
        cache.name_incidents(kb)
    projection_problems = Problems()
    public: dict[str, PublicIncident] = {}
    not_public: dict[str, str] = {}
    previews: dict[str, PublicIncident] = {}
    for incident in kb.incidents:
        projection, preview = _computed(cache, project_incident, incident, settings)
        projection_problems.extend(projection.problems)
        if projection.incident is not None:
            public[incident.id] = projection.incident
        else:
            not_public[incident.id] = projection.reason or "not published publicly"
            if preview is not None:
                previews[incident.id] = preview
    return AudienceView(settings, kb, public, not_public, previews, projection_problems)


def project_incident(
    incident: Incident, settings: Settings
) -> tuple[PublicProjection, PublicIncident | None]:
    """The incident's public projection and, when it is not public, what it would show once
    published (None when its public text has problems)."""
    projection = project_public(incident, settings)
    if projection.incident is not None:
        return projection, None
    preview = preview_public(incident, settings).incident
    return projection, None if projection.problems else preview


def incident_documents(incident: Incident | PublicIncident) -> list[SearchDocument]:
    """The search index's documents of one incident."""
    return search_documents([incident])


def incident_findings(incident: Incident, *context: Any) -> list[Problem]:
    """The quality gate's findings on one incident (`_quality_context` is the rest)."""
    return check_quality([incident], *context)


def _quality_context(
    settings: Settings, names: dict[str, tuple[str, ...]] | None = None
) -> tuple[object, ...]:
    """What the quality gate reads besides the incident; `names`: the roles file's (read
    here when not given)."""
    if names is None:
        names = load_roles(settings, Problems())[1]  # its problems are the load's to report
    return settings.quality, settings.severities, settings.build_date, names


def _computed(cache: PlanCache | None, function: Callable[..., T], *arguments: object) -> T:
    """`function(*arguments)`: from the cache when there is one (`PlanCache.result`)."""
    return function(*arguments) if cache is None else cache.result(function, *arguments)


def manual_links(incidents: list[Incident]) -> dict[str, tuple[str, ...]]:
    """The relations authors wrote (`related`, `recurrence_of`), by incident id."""
    return {
        incident.id: (*incident.related, *filter(None, [incident.recurrence_of]))
        for incident in incidents
    }


def plan_site(
    settings: Settings,
    overrides_dir: Path | None = None,
    cache: PlanCache | None = None,
    on_documents: Callable[[list[Incident], list[SearchDocument]], None] | None = None,
) -> SitePlan:
    """Everything a build of `settings.audience` will generate, with every problem found.

    `on_documents` is called with the incidents and their search documents as soon as they
    are known, before any page is planned: the build starts updating its index there.
    """
    if cache is not None:
        cache.begin(settings, overrides_dir)
    view = project_audience(settings, cache)
    kb = view.kb
    problems = Problems([*kb.problems.items, *view.projection_problems.items,
                         *orphaned_overrides(overrides_dir)])
    lessons = load_gallery(settings, problems)
    paths = load_paths(settings, (incident.id for incident in kb.incidents), problems)
    documents = [document for incident in view.incidents
                 for document in _computed(cache, incident_documents, incident)]
    if on_documents is not None:
        on_documents(kb.incidents, documents)
    plan = SitePlan(
        view,
        listing(view.incidents),
        problems,
        documents=documents,
        related=_computed(cache, compute_related, documents, manual_links(kb.incidents)),
    )
    renderer = (cache.renderer if cache else PageRenderer)(
        overrides_dir, internal=not settings.is_public, directory_urls=settings.directory_urls
    )
    if not settings.is_public:
        context = _quality_context(settings, kb.names)
        plan.findings = [finding for incident in kb.incidents
                         for finding in _computed(cache, incident_findings, incident, *context)]
    plan.pages.update(incident_pages(plan, renderer))
    listed = plan.listed
    plan.pages.update(index_pages(
        listed, renderer, settings.severities, settings.tags,
        feeds=feed_links(settings, urls.INCIDENTS_URI),
        other_types=len(plan.entries) - len(listed),
    ))
    plan.pages.update(type_pages(plan.entries, renderer, settings))
    # Other companies' incidents are internal: the public gallery has the curated ones only.
    written_up = [] if settings.is_public else in_gallery_only(kb.incidents, settings.types)
    plan.pages.update(gallery_pages(
        listed, [*incident_lessons(written_up), *lessons], renderer, settings
    ))
    plan.public_texts.extend(lesson_texts(lessons))
    records = [_computed(cache, incident_record, incident) for incident in view.incidents]
    plan.data_files.update(_computed(cache, feed_files, settings, view.incidents, records))
    if not settings.is_public:
        plan.pages.update(onboarding_pages(paths, plan.entries, renderer))
        plan.pages.update(insights_pages(kb.incidents, renderer, settings))
        plan.pages.update(kpi_pages(kb.incidents, renderer, settings))
        plan.pages.update(factor_pages(kb.incidents, renderer, settings.factors))
        plan.pages.update(near_miss_pages(kb.incidents, renderer))
        plan.pages.update(action_pages(kb.incidents, renderer, settings.build_date))
        plan.pages.update(review_pages(
            kb.incidents, view.not_public, plan.findings, renderer, settings.build_date
        ))
        plan.files.update(evidence_files(kb.incidents, settings.source_dir))
        plan.pages.update(quality_pages(
            plan.every_problem, kb.skipped, kb.incidents, renderer
        ))
    if settings.docs_dir is not None:
        plan.hand_written = read_hand_written_pages(settings.docs_dir, problems)
    plan.public_texts.extend(page.text for page in plan.hand_written if page.is_for("public"))
    plan.public_texts.append(settings.organisation_name)
    if settings.contact is not None:
        plan.public_texts.append(settings.contact.text)
    if written_home_page(plan.hand_written, settings.audience) is None:
        # Last: the internal home links the sections generated above.
        plan.pages[urls.HOME_URI] = home_page(
            settings, plan.listed, renderer, plan.pages,
            incidents=() if settings.is_public else kb.incidents,
        )
    if cache is not None:
        cache.name_plan(plan, plan.pages)
    return plan


def incident_pages(plan: SitePlan, renderer: PageRenderer) -> dict[str, RenderedPage]:
    """`incidents/<id>/index.md` for every incident this audience sees."""
    settings, view = plan.settings, plan.view
    pages = {}
    if settings.is_public:
        for entry in plan.entries:
            public = view.public[entry.id]
            uri = urls.incident_uri(public.id)
            pages[uri] = renderer.render(
                "public_incident.md.j2",
                uri,
                public=public,
                related=[
                    view.public[ref]
                    for ref in plan.related.get(public.id, ())
                    if ref in view.public
                ],
                page_title=settings.page_title(
                    public.title, public.date, public.id, public.severity
                ),
                index_links=is_listed_everywhere(public.type, settings.types),
                severities=settings.severities,
            )
        return pages
    by_id = plan.kb.by_id()
    findings: dict[str, list[Problem]] = {}
    for finding in plan.findings:
        findings.setdefault(finding.file, []).append(finding)
    for incident in plan.kb.incidents:
        uri = urls.incident_uri(incident.id)
        pages[uri] = renderer.render(
            "incident.md.j2",
            uri,
            incident=incident,
            today=settings.build_date,
            page_title=settings.page_title(
                incident.title, incident.date, incident.id, incident.severity
            ),
            public=view.public.get(incident.id) or view.previews.get(incident.id),
            public_reason=view.not_public.get(incident.id),
            public_tags=settings.public_tags,
            related=[by_id[ref] for ref in plan.related.get(incident.id, ()) if ref in by_id],
            findings=findings.get(incident.source, []),
            evidence_path=evidence_links(incident).__getitem__,
            index_links=is_listed_everywhere(incident.type, settings.types),
            severities=settings.severities,
            ticket_url=settings.ticket_url,
        )
    return pages


def evidence_links(incident: Incident) -> dict[str, str]:
    """file → where it is published, relative to its incident page: `evidence/<name>`.

    Two files of one incident can share a name (`before/graph.png`, `after/graph.png`):
    the later ones get a number (`graph-2.png`) rather than overwrite the first.
    """
    links: dict[str, str] = {}
    for file in dict.fromkeys(evidence.file for evidence in incident.evidence if evidence.file):
        path = PurePosixPath(file)
        name, number = path.name, 1
        while f"evidence/{name}" in links.values():
            number += 1
            name = f"{path.stem}-{number}{path.suffix}"
        links[file] = f"evidence/{name}"
    return links


def evidence_files(incidents: list[Incident], source_dir: Path) -> dict[str, Path]:
    """uri → source path of every evidence file (validated to exist inside source_dir)."""
    files = {}
    for incident in incidents:
        folder = (source_dir.parent / incident.source).parent
        for file, link in evidence_links(incident).items():
            files[f"incidents/{incident.id}/{link}"] = (folder / file).resolve()
    return files
