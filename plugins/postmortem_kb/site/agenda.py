"""The review meeting's agenda and pre-read (`pmkb agenda ID`), as Markdown to send.

A blameless review runs to a time box: an opening that sets the tone, the timeline walked
through with its decision points, what contributed / limited the damage / could make it
worse, the questions still open, the follow-ups to agree, a close that names who approves.
This module decides what goes in each part from the incident (open questions from
`unknowns` and from fields still empty, follow-ups lacking an owner or a due date, who to
invite and why); `agenda.md.j2` words it, and a knowledge base can override the template in
`overrides/pmkb/` like any page's. It is a document, not a page: no front matter, no blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.model import FollowUp, Incident
from ..public.internal_markup import HANDLE_PATTERN
from .render import PageRenderer

#: Minutes per part — opening, timeline, discussion, open questions, follow-ups, close —
#: for each meeting length the command offers.
TIME_BOXES: dict[int, tuple[int, int, int, int, int, int]] = {
    45: (5, 10, 10, 5, 10, 5),
    60: (5, 15, 15, 10, 10, 5),
}
PARTS = (
    "Blameless opening", "Timeline walk-through", "Contributors, mitigators and risks",
    "Open questions", "Follow-ups to agree", "Close and approval",
)  # fmt: skip
#: Fields a finished postmortem has: one still empty is a question for the meeting.
EXPECTED_FIELDS: tuple[tuple[str, Callable[[Incident], object]], ...] = (
    ("summary", lambda incident: incident.summary),
    ("impact.customer", lambda incident: incident.impact.customer),
    ("impact.started", lambda incident: incident.impact.started),
    ("impact.detected", lambda incident: incident.impact.detected),
    ("impact.mitigated", lambda incident: incident.impact.mitigated),
    ("impact.resolved", lambda incident: incident.impact.resolved),
    ("commander", lambda incident: incident.commander),
    ("owner", lambda incident: incident.owner),
    ("timeline", lambda incident: incident.timeline),
    ("contributors", lambda incident: incident.contributors),
    ("mitigators", lambda incident: incident.mitigators),
    ("risks", lambda incident: incident.risks),
    ("learnings", lambda incident: incident.learnings),
    ("key_learning", lambda incident: incident.key_learning),
    ("follow_ups", lambda incident: incident.follow_ups),
)


@dataclass(frozen=True)
class AgendaPart:
    title: str
    starts: int
    minutes: int

    @property
    def slot(self) -> str:
        """`0:05-0:15`, minutes into the meeting."""
        end = self.starts + self.minutes
        return f"{self.starts // 60}:{self.starts % 60:02d}-{end // 60}:{end % 60:02d}"


@dataclass(frozen=True)
class Invitee:
    """Someone to invite: a handle (or a role, where the file names no person), their role in
    the roles file, and why they are invited."""

    name: str
    role: str | None
    reasons: tuple[str, ...]


def agenda_parts(minutes: int) -> list[AgendaPart]:
    """The meeting's parts with their start and length, for a `minutes`-long meeting."""
    parts, starts = [], 0
    for title, length in zip(PARTS, TIME_BOXES[minutes], strict=True):
        parts.append(AgendaPart(title, starts, length))
        starts += length
    return parts


def invitees(incident: Incident) -> list[Invitee]:
    """Commander, owner, the people in the timeline and those the review names, each once."""
    reasons: dict[str, list[str]] = {}
    named: list[tuple[str, list[str | None]]] = [
        ("incident commander", [incident.commander]),
        ("postmortem owner", [incident.owner]),
        ("in the timeline", [f"@{match.group('name')}" for entry in incident.timeline
                             for match in HANDLE_PATTERN.finditer(entry.event)]),
        ("facilitator", [incident.review.facilitator]),
        ("note-taker", [incident.review.note_taker]),
    ]
    for why, people in named:
        for person in filter(None, people):
            if why not in reasons.setdefault(person, []):
                reasons[person].append(why)
    return [Invitee(name, incident.roles.get(name), tuple(why)) for name, why in reasons.items()]


def empty_fields(incident: Incident) -> list[str]:
    return [name for name, value in EXPECTED_FIELDS if not value(incident)]


def render_agenda(incident: Incident, minutes: int, overrides_dir: Path | None = None) -> str:
    """The agenda and pre-read of `incident`'s review meeting, as Markdown."""
    follow_ups = incident.follow_ups
    unowned: list[FollowUp] = [item for item in follow_ups if not item.owner]
    undated: list[FollowUp] = [item for item in follow_ups if not item.due]
    return PageRenderer(overrides_dir).render(
        "agenda.md.j2",
        "agenda.md",
        incident=incident,
        minutes=minutes,
        parts=agenda_parts(minutes),
        invitees=invitees(incident),
        empty_fields=empty_fields(incident),
        unowned=unowned,
        undated=undated,
    ).markdown
