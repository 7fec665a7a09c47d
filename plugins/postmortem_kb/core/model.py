"""The validated incident: plain, immutable data that every later stage reads.

`validate.py` builds these from a parsed file; `public.py` builds the much smaller
`PublicIncident` from them by allowlist. Nothing here knows about MkDocs or Markdown
rendering. Durations are derived (never stored) so they cannot disagree with `impact`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: Timeline entry kinds the format knows.
TIMELINE_KINDS = ("alert", "action", "decision", "communication")
#: Incident statuses, in workflow order.
STATUSES = ("draft", "review", "published")
#: Follow-up statuses.
FOLLOW_UP_STATUSES = ("open", "done", "wont-do")
#: Learning categories; a plain list of learnings lands under "general".
LEARNING_CATEGORIES = ("technical", "coordination", "product")


@dataclass(frozen=True)
class Impact:
    """When the incident hurt, and how much."""

    started: dt.datetime | None = None
    detected: dt.datetime | None = None
    mitigated: dt.datetime | None = None
    resolved: dt.datetime | None = None
    customer: str | None = None
    data_loss: bool | None = None

    @property
    def time_to_detect(self) -> dt.timedelta | None:
        return _span(self.started, self.detected)

    @property
    def time_to_mitigate(self) -> dt.timedelta | None:
        return _span(self.started, self.mitigated)

    @property
    def duration(self) -> dt.timedelta | None:
        """Start to resolution; falls back to mitigation when not yet resolved."""
        return _span(self.started, self.resolved or self.mitigated)


def _span(start: dt.datetime | None, end: dt.datetime | None) -> dt.timedelta | None:
    return end - start if start is not None and end is not None else None


@dataclass(frozen=True)
class TimelineEntry:
    """One moment in the timeline; `date_only` entries cover a whole day."""

    at: dt.datetime
    event: str
    kind: str | None = None
    public: bool = False
    date_only: bool = False
    line: int | None = None


@dataclass(frozen=True)
class Evidence:
    """A figure: a caption plus a link or a file next to the postmortem."""

    caption: str
    link: str | None = None
    file: str | None = None


@dataclass(frozen=True)
class FollowUp:
    action: str
    owner: str | None = None
    due: dt.date | None = None
    status: str = "open"
    ticket: str | None = None
    priority: str | None = None
    public: bool = False

    def is_overdue(self, today: dt.date) -> bool:
        return self.status == "open" and self.due is not None and self.due < today


@dataclass(frozen=True)
class Waiver:
    """A quality-gate finding the authors accepted (`waive:`), with why; internal."""

    rule: str
    reason: str
    #: Only findings on this field (or below it); None: the rule anywhere in the file.
    field: str | None = None


@dataclass(frozen=True)
class Review:
    """The review meeting and the approvals (`review:` in the file); internal, all of it.

    The public approval is `pmkb approve --public`'s record: who, when, and the fingerprint of
    the public source text it covered (`public/approval.py`), so the public build can tell an
    approval of the text as it is now from one of words since changed.
    """

    meeting: dt.date | None = None
    facilitator: str | None = None
    note_taker: str | None = None
    attendees: tuple[str, ...] = ()
    #: Link to the recording or the notes.
    notes: str | None = None
    approved_by: str | None = None
    approved_on: dt.date | None = None
    public_approved_by: str | None = None
    public_approved_on: dt.date | None = None
    public_fingerprint: str | None = None


@dataclass(frozen=True)
class PublicView:
    """The author's customer-facing text (`public:` in the file)."""

    summary: str
    title: str | None = None
    impact: str | None = None
    remediation: str | None = None
    services: tuple[str, ...] = ()
    key_learning: str | None = None


@dataclass(frozen=True)
class Incident:
    """One validated postmortem, with everything the internal audience may see."""

    id: str
    source: str  # path relative to the knowledge-base root, posix style
    title: str
    date: dt.date
    severity: str
    status: str = "draft"
    services: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    trigger: str | None = None
    impact: Impact = field(default_factory=Impact)
    commander: str | None = None
    owner: str | None = None
    drafted: dt.date | None = None
    published: dt.date | None = None
    key_learning: str | None = None
    summary: str | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    contributors: tuple[str, ...] = ()
    mitigators: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    #: category → learnings; categories from LEARNING_CATEGORIES or "general".
    learnings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    surprises: tuple[str, ...] = ()
    went_well: tuple[str, ...] = ()
    went_wrong: tuple[str, ...] = ()
    got_lucky: tuple[str, ...] = ()
    five_whys: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    unknowns: tuple[str, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    related: tuple[str, ...] = ()
    recurrence_of: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    #: `@handle` → role, the file's own `roles` merged over `_roles.yml`.
    roles: dict[str, str] = field(default_factory=dict)
    public: PublicView | None = None
    #: Quality-gate findings the authors accepted.
    waivers: tuple[Waiver, ...] = ()
    review: Review = field(default_factory=Review)
    body: str = ""
    #: dotted field path (e.g. "timeline[2].at") → line in the source file.
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    def line_of(self, field_path: str) -> int | None:
        return self.lines.get(field_path)


@dataclass(frozen=True)
class PublicFollowUp:
    """What customers may know of a follow-up: never owner, ticket or priority."""

    action: str
    status: str
    due: dt.date | None = None


@dataclass(frozen=True)
class PublicTimelineEntry:
    at: dt.datetime
    event: str
    date_only: bool = False


@dataclass(frozen=True)
class PublicIncident:
    """The customer-facing incident, built by allowlist in `public.py`.

    Holds only `public.*`, date, duration, severity, public tags, public timeline entries
    and public follow-ups — with internal-only text stripped and handles turned into roles,
    all before any Markdown is rendered. No field here points back at the source file.
    """

    id: str
    title: str
    date: dt.date
    severity: str
    summary: str
    duration: dt.timedelta | None = None
    impact: str | None = None
    remediation: str | None = None
    services: tuple[str, ...] = ()
    key_learning: str | None = None
    tags: tuple[str, ...] = ()
    timeline: tuple[PublicTimelineEntry, ...] = ()
    follow_ups: tuple[PublicFollowUp, ...] = ()
