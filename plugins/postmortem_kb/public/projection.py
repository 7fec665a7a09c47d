"""The public projection: the customer-facing incident, built by allowlist.

`project_public` is the only way an incident reaches the public audience. It builds a new
`PublicIncident` from the allowlisted fields — `public.*`, date, duration, severity, type,
public tags, and the timeline entries, follow-ups, impact phases and impact measures marked
`public: true` — and copies nothing else, so a field added to `Incident` later stays
internal until someone adds it here on purpose. An incident of a type whose rule keeps it
internal (`external`: another company's postmortem) never has a public version at all.

Every text goes through the same steps before anything else sees it: internal blocks and
spans are cut out of the source, `@handles` become roles (whose own internal parts are cut
first), and what is left is read again by Python-Markdown, the parser that renders it: raw HTML,
internal markup the cut missed, and text that looks like internal markup but does not parse as
such are errors. The result holds Markdown source, never HTML; rendering happens later, from
this object only, so pages, feeds, JSON, exports and the search index all show the cut text.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.model import (
    Incident,
    PublicFollowUp,
    PublicIncident,
    PublicMeasure,
    PublicPhase,
    PublicTimelineEntry,
)
from ..core.problems import Problem
from ..core.settings import Settings, TypeRule
from .approval import approval_reason
from .internal_markup import internal_markup_problems, replace_handles, strip_internal
from .markdown_reading import read_markdown

#: The public title when the author wrote no `public.title`: the internal title never shows.
NEUTRAL_TITLE = "Service disruption on {date}"


@dataclass(frozen=True)
class PublicProjection:
    """The public version of one incident, or why there is none, plus the problems found.

    From `project_public`: `incident` is set only when the incident is published publicly,
    otherwise `reason` says why not. From `preview_public`: `incident` is the would-be public
    version whenever one can be built, and `reason` still says why it is not published.
    """

    incident: PublicIncident | None
    reason: str | None = None
    problems: tuple[Problem, ...] = ()


def project_public(incident: Incident, settings: Settings) -> PublicProjection:
    """The customer-facing incident, if it is published publicly (fail closed).

    Public means `status: published` and a `public.summary` that is not empty once internal
    text is dropped, and, with `require_public_approval`, a public approval of the text as it
    is now (`approval.py`). Raw HTML, an unresolved `@handle` or broken internal markup in any
    public text is an error, and an incident with errors is not projected at all. The text is
    checked before the approval, so its errors are reported while it waits for one.
    """
    internal_type = _type_reason(incident, settings)
    if internal_type is not None:
        return PublicProjection(None, internal_type)
    unpublished = _status_reason(incident)
    if unpublished is not None:
        return PublicProjection(None, unpublished)
    preview = preview_public(incident, settings)
    if preview.incident is None:
        return preview
    if any(problem.is_error for problem in preview.problems):
        return PublicProjection(None, "its public text has errors", preview.problems)
    unapproved = approval_reason(incident) if settings.require_public_approval else None
    if unapproved is not None:
        return PublicProjection(None, unapproved, preview.problems)
    return preview


def preview_public(incident: Incident, settings: Settings) -> PublicProjection:
    """What the public version would be whatever the status: the internal page's preview.

    None for a type that never reaches the public (there is nothing to preview).
    """
    internal_type = _type_reason(incident, settings)
    if internal_type is not None:
        return PublicProjection(None, internal_type)
    if incident.public is None or not incident.public.summary.strip():
        return PublicProjection(None, "it has no `public.summary`")
    texts = _PublicTexts(incident)
    view = incident.public
    summary = texts.clean("public.summary", view.summary)
    if summary is None:
        reason = "its `public.summary` is empty once internal-only text is removed"
        return PublicProjection(None, reason, texts.problems())
    title = texts.clean("public.title", view.title)
    services = (texts.clean(f"public.services[{i}]", name) for i, name in enumerate(view.services))
    timeline = tuple(
        PublicTimelineEntry(entry.at, event, entry.date_only, entry.approximate, entry.until)
        for i, entry in enumerate(incident.timeline)
        if entry.public
        if (event := texts.clean(f"timeline[{i}].event", entry.event, entry.line)) is not None
    )
    follow_ups = tuple(
        PublicFollowUp(action, follow_up.status, follow_up.due)
        for i, follow_up in enumerate(incident.follow_ups)
        if follow_up.public
        if (action := texts.clean(f"follow_ups[{i}].action", follow_up.action)) is not None
    )
    phases = tuple(
        PublicPhase(
            phase.state,
            phase.start,
            phase.end,
            texts.clean(f"impact.phases[{i}].note", phase.note, phase.line),
        )
        for i, phase in enumerate(incident.impact.phases)
        if phase.public
    )
    measures = tuple(
        PublicMeasure(what, measure.value, texts.clean(f"impact.measures[{i}].unit", measure.unit))
        for i, measure in enumerate(incident.impact.measures)
        if measure.public
        if (what := texts.clean(f"impact.measures[{i}].what", measure.what)) is not None
    )
    public_incident = PublicIncident(
        id=incident.id,
        title=title or NEUTRAL_TITLE.format(date=incident.date.isoformat()),
        date=incident.date,
        severity=incident.severity,
        summary=summary,
        duration=incident.impact.duration,
        impact=texts.clean("public.impact", view.impact),
        remediation=texts.clean("public.remediation", view.remediation),
        services=tuple(dict.fromkeys(name for name in services if name is not None)),
        key_learning=texts.clean("public.key_learning", view.key_learning),
        tags=tuple(tag for tag in incident.tags if tag in settings.public_tags),
        timeline=timeline,
        follow_ups=follow_ups,
        phases=phases,
        measures=measures,
        type=incident.type,
    )
    return PublicProjection(public_incident, _status_reason(incident), texts.problems())


def _type_reason(incident: Incident, settings: Settings) -> str | None:
    """Why the incident's type keeps it off the public site, or None when it may go there."""
    if settings.types.get(incident.type, TypeRule()).public:
        return None
    return f"its type `{incident.type}` never reaches the public site"


def _status_reason(incident: Incident) -> str | None:
    if incident.is_published:
        return None
    return f"its status is `{incident.status}`, not `published`"


class _PublicTexts:
    """Turns an incident's public texts into public Markdown, collecting what is wrong."""

    def __init__(self, incident: Incident) -> None:
        self._incident = incident
        self._problems: list[Problem] = []

    def clean(self, field: str, text: str | None, line: int | None = None) -> str | None:
        """The text without internal parts, handles as roles; None when nothing is left."""
        if text is None:
            return None
        for message in internal_markup_problems(text):
            self._error(field, line, message)
        cut, unresolved = replace_handles(strip_internal(text), self._incident.roles)
        # Only blank lines are trimmed: the first line's indentation is Markdown structure, and
        # what is read below must be exactly what is published.
        public_text = _without_blank_edges(cut)
        for handle in unresolved:
            self._error(
                field,
                line,
                f"{handle} has no role; public text shows roles, not handles: add it to `roles:`"
                " in this file or in postmortems/_roles.yml",
            )
        reading = read_markdown(public_text)
        if reading.raw_html:
            self._error(
                field,
                line,
                f"raw HTML is not allowed in public text (found {', '.join(reading.raw_html[:3])});"
                " write Markdown instead",
            )
        if reading.unsafe:
            found = ", ".join(reading.unsafe[:3])
            self._error(
                field,
                line,
                f"public text cannot carry {found}; expected plain Markdown with http(s) or"
                " mailto links",
            )
        if reading.internal_parts:
            self._error(
                field,
                line,
                "internal markup that Markdown reads as internal was not cut (inside a"
                " blockquote, an indented code fence or a list?); write `::: internal` at the"
                " start of a line, outside other blocks",
            )
        if reading.look_alikes:
            found = ", ".join(f"`{text}`" for text in dict.fromkeys(reading.look_alikes))
            self._error(
                field,
                line,
                f"{found} looks like internal markup but does not parse as such (an invisible"
                " character, or a fence inside other text?); expected `::: internal` … `:::` on"
                " lines of their own, or `[text]{.internal}`",
            )
        return public_text or None

    def problems(self) -> tuple[Problem, ...]:
        return tuple(self._problems)

    def _error(self, field: str, line: int | None, message: str) -> None:
        where = self._incident.line_of(field)
        self._problems.append(
            Problem(self._incident.source, line if where is None else where, field, message)
        )


def _without_blank_edges(text: str) -> str:
    """The text without leading blank lines and trailing whitespace; the first line keeps its
    indentation."""
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).rstrip()
