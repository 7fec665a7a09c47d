"""The validated incident: plain, immutable data that every later stage reads.

`validate.py` builds these from a parsed file; `public.py` builds the much smaller
`PublicIncident` from them by allowlist. Nothing here knows about MkDocs or Markdown
rendering. Durations are derived (never stored) so they cannot disagree with `impact`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: Timeline entry kinds the format knows; `alert` and `detection` mark when we knew.
TIMELINE_KINDS = ("alert", "detection", "action", "decision", "communication")
#: The kinds whose earliest entry is the derived `impact.detected`.
DETECTION_KINDS = ("alert", "detection")
#: Incident statuses, in workflow order.
STATUSES = ("draft", "review", "published")
#: Follow-up statuses; `open` and `in-progress` are still to do (and can be overdue).
FOLLOW_UP_STATUSES = ("open", "in-progress", "done", "wont-do")
OPEN_FOLLOW_UP_STATUSES = ("open", "in-progress")
#: What a follow-up is for.
FOLLOW_UP_TYPES = ("mitigate", "prevent", "detect", "process")
#: Kinds of contributing factor (contributors, mitigators, risks written as objects).
FACTOR_KINDS = ("technical", "human", "process", "organisational", "external")
#: A risk's likelihood and severity.
RISK_LEVELS = ("low", "medium", "high")
#: Owner prefixes that name a team or a vendor rather than a person (`team:payments`).
OWNER_GROUPS = ("team", "vendor")
#: Learning categories; a plain list of learnings lands under "general".
LEARNING_CATEGORIES = ("technical", "coordination", "product")


@dataclass(frozen=True)
class ImpactPhase:
    """One stretch of what customers saw (`impact.phases`): degraded, outage, recovering …

    `end` is None for a phase still going on, or the last one written without `to`.
    """

    state: str
    start: dt.datetime
    end: dt.datetime | None = None
    note: str | None = None
    public: bool = False
    line: int | None = None

    @property
    def duration(self) -> dt.timedelta | None:
        return _span(self.start, self.end)


@dataclass(frozen=True)
class ImpactMeasure:
    """A number the impact can be summed and compared by (`impact.measures`)."""

    what: str
    value: float
    unit: str | None = None
    public: bool = False


@dataclass(frozen=True)
class Impact:
    """When the incident hurt, and how much.

    `started`, `detected` and `resolved` may be derived (from the phases and the timeline)
    when the file does not give them; `derived` names those, so pages can say so.
    """

    started: dt.datetime | None = None
    detected: dt.datetime | None = None
    mitigated: dt.datetime | None = None
    resolved: dt.datetime | None = None
    customer: str | None = None
    data_loss: bool | None = None
    phases: tuple[ImpactPhase, ...] = ()
    measures: tuple[ImpactMeasure, ...] = ()
    #: Names of the timestamps above that were derived rather than written (a tuple, not a
    #: set: the model is written to JSON as it is).
    derived: tuple[str, ...] = ()

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
    """One moment in the timeline; `date_only` entries cover a whole day.

    `at` is the earliest point: an approximate time (`~23:00`) or a range (`23:00..23:30`,
    with `until` its end) is ordered and measured by it, and shown as written.
    """

    at: dt.datetime
    event: str
    kind: str | None = None
    public: bool = False
    date_only: bool = False
    line: int | None = None
    approximate: bool = False
    until: dt.datetime | None = None


@dataclass(frozen=True)
class Evidence:
    """A figure: a caption plus a link or a file next to the postmortem."""

    caption: str
    link: str | None = None
    file: str | None = None


@dataclass(frozen=True)
class FollowUp:
    action: str
    #: `@handle`, a role, `team:<name>` or `vendor:<name>` (see `owner_group`).
    owner: str | None = None
    due: dt.date | None = None
    status: str = "open"
    ticket: str | None = None
    priority: str | None = None
    public: bool = False
    #: When it was done (or dropped); a v1 `done` without it lacks data for on-time closure.
    closed: dt.date | None = None
    #: mitigate | prevent | detect | process
    type: str | None = None
    #: How we will know it worked.
    check: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_FOLLOW_UP_STATUSES

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_open and self.due is not None and self.due < today

    @property
    def owner_group(self) -> tuple[str, str] | None:
        """`("team", "payments")` for `team:payments` (or vendor); None for a person or role."""
        return owner_group(self.owner)


def owner_group(owner: str | None) -> tuple[str, str] | None:
    """The (kind, name) of a `team:` or `vendor:` owner; None for a person or a role."""
    if owner is None or ":" not in owner:
        return None
    kind, _, name = owner.partition(":")
    kind, name = kind.strip().lower(), name.strip()
    return (kind, name) if kind in OWNER_GROUPS and name else None


@dataclass(frozen=True)
class Factor:
    """A contributor, mitigator or risk: its text, and optionally what kind of factor it is.

    Plain strings in a file become a Factor with only `text`. `factor` is an id from the
    configured `factors` vocabulary, so incidents can be grouped by a shared cause;
    `likelihood` and `severity` are for risks only.
    """

    text: str
    kind: str | None = None
    factor: str | None = None
    likelihood: str | None = None
    severity: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class ImportSource:
    """Where `pmkb import` read a postmortem from (`imported_from`); internal."""

    path: str
    sha256: str


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
    #: incident | near-miss | false-alarm | external | game-day | maintenance (configurable:
    #: `core.settings.TypeRule` says where each type counts).
    type: str = "incident"
    #: For `external` incidents: the public postmortem and whose it is.
    source_url: str | None = None
    company: str | None = None
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
    contributors: tuple[Factor, ...] = ()
    mitigators: tuple[Factor, ...] = ()
    risks: tuple[Factor, ...] = ()
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
    imported_from: ImportSource | None = None
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
    approximate: bool = False
    until: dt.datetime | None = None


@dataclass(frozen=True)
class PublicPhase:
    """A phase marked `public`, like a public timeline entry: its note is public text too."""

    state: str
    start: dt.datetime
    end: dt.datetime | None = None
    note: str | None = None


@dataclass(frozen=True)
class PublicMeasure:
    what: str
    value: float
    unit: str | None = None


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
    phases: tuple[PublicPhase, ...] = ()
    measures: tuple[PublicMeasure, ...] = ()
    #: The incident's type; only types whose `TypeRule.public` allows reach the public.
    type: str = "incident"
