"""The internal `reviews/` page: which postmortems wait for what, and which are late.

A postmortem moves from its review meeting to the owner's approval to, for the public site,
the approval of its public text; the quality gate sets deadlines for the drafting and the
publishing. This page is the queue for whoever runs reviews: each incident under the first
step it waits for, with its age (days since the incident) and its owner. It reads what the
build already knows — the `review` blocks, why the projection holds an incident back, the
gate's `process/…` findings — and decides nothing of its own. Internal site only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..core import urls
from ..core.model import Incident
from ..core.problems import Problem
from ..public.approval import AWAITING_APPROVAL, CHANGED_SINCE_APPROVAL
from .render import PageRenderer, RenderedPage

#: The quality gate's rules that are deadlines (see `quality/gate.py`).
DEADLINE_RULES = ("process/draft-age", "process/publish-age")


@dataclass(frozen=True)
class Waiting:
    """One incident in one queue, and what it waits for or has missed."""

    incident: Incident
    age: int
    detail: str


@dataclass(frozen=True)
class ReviewQueue:
    title: str
    about: str
    items: tuple[Waiting, ...]


def review_queues(
    incidents: Iterable[Incident],
    not_public: Mapping[str, str],
    findings: Iterable[Problem],
    today: dt.date,
) -> list[ReviewQueue]:
    """The queues of the reviews page, each newest incident first (as `incidents` come)."""
    meeting, approval, public, late = [], [], [], []
    deadlines: dict[str, list[str]] = {}
    for finding in findings:
        if finding.rule in DEADLINE_RULES:
            deadlines.setdefault(finding.file, []).append(finding.message)
    for incident in incidents:
        review = incident.review

        def waiting(detail: str, incident: Incident = incident) -> Waiting:
            return Waiting(incident, (today - incident.date).days, detail)

        held = review.meeting is not None and review.meeting <= today
        if incident.status == "review" and not held:
            scheduled = f"meeting on {review.meeting}" if review.meeting else "no meeting yet"
            meeting.append(waiting(scheduled))
        elif held and review.approved_by is None:
            approval.append(waiting(f"meeting held on {review.meeting}"))
        reason = not_public.get(incident.id)
        if incident.is_published and reason in (AWAITING_APPROVAL, CHANGED_SINCE_APPROVAL):
            public.append(waiting(reason))
        if incident.source in deadlines:
            late.append(waiting("; ".join(deadlines[incident.source])))
    return [
        ReviewQueue("Waiting for a review meeting", "In `review`, no meeting held yet",
                    tuple(meeting)),
        ReviewQueue("Waiting for approval", "Reviewed in a meeting, not approved yet",
                    tuple(approval)),
        ReviewQueue("Waiting for public approval",
                    "Published, held back from the public site until `pmkb approve --public`",
                    tuple(public)),
        ReviewQueue("Past the quality gate's deadlines",
                    "Still a draft, or still unpublished, later than the gate allows",
                    tuple(late)),
    ]


def review_pages(
    incidents: Iterable[Incident],
    not_public: Mapping[str, str],
    findings: Iterable[Problem],
    renderer: PageRenderer,
    today: dt.date,
) -> dict[str, RenderedPage]:
    """`reviews/index.md`."""
    queues = review_queues(incidents, not_public, findings, today)
    return {urls.REVIEWS_URI: renderer.render(
        "reviews.md.j2", urls.REVIEWS_URI, queues=queues, today=today
    )}
