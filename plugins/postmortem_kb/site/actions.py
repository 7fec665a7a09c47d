"""Actions: every open follow-up, grouped by owner, overdue ones first.

`open_actions_by_owner()` is pure: validated `Incident`s and the build date in, plain
dataclasses out. `action_pages()` renders them into `actions/index.md`, a page of the
internal site only (owners and tickets are internal). Owners with the most overdue
follow-ups come first, then those with the most open ones, so the page reads as a to-do
list for whoever chases follow-ups. An owner written as a `@handle` is shown with its role
from the incident's `roles` (the file's own map merged over `_roles.yml`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..core import urls
from ..core.formatting import slugify
from ..core.model import FollowUp, Incident
from .render import PageRenderer, RenderedPage


@dataclass(frozen=True)
class ActionItem:
    """An open follow-up and the incident it came from."""

    follow_up: FollowUp
    incident: Incident
    overdue: bool


@dataclass(frozen=True)
class OwnerActions:
    """One owner's open follow-ups, overdue first, then by due date."""

    #: As written in the postmortems; None for follow-ups without an owner.
    owner: str | None
    #: The owner's roles, when the owner is a `@handle` (files may disagree: all are kept).
    roles: tuple[str, ...]
    items: tuple[ActionItem, ...]
    #: The owner's section id on the page, unique among owners.
    anchor: str

    @property
    def open_count(self) -> int:
        return len(self.items)

    @property
    def overdue_count(self) -> int:
        return sum(1 for item in self.items if item.overdue)


def open_actions_by_owner(incidents: Iterable[Incident], today: dt.date) -> list[OwnerActions]:
    """Open follow-ups by owner: most overdue first, then most open, then by name."""
    items: dict[str | None, list[ActionItem]] = defaultdict(list)
    roles: dict[str | None, dict[str, None]] = defaultdict(dict)
    newest_first = sorted(incidents, key=lambda i: (i.date, i.id), reverse=True)
    for incident in newest_first:
        for follow_up in incident.follow_ups:
            if follow_up.status != "open":
                continue
            owner = follow_up.owner
            items[owner].append(ActionItem(follow_up, incident, follow_up.is_overdue(today)))
            # `roles` holds handles only (validated), so a role-named owner gets none.
            if owner is not None and owner in incident.roles:
                roles[owner][incident.roles[owner]] = None
    groups = [
        (owner, tuple(roles[owner]), tuple(sorted(owner_items, key=_most_urgent_first)))
        for owner, owner_items in items.items()
    ]
    groups.sort(
        key=lambda group: (
            -sum(1 for item in group[2] if item.overdue),
            -len(group[2]),
            group[0] is None,  # unassigned after named owners with the same counts
            group[0] or "",
        )
    )
    anchors = _unique_anchors(owner for owner, _, _ in groups)
    return [
        OwnerActions(owner, owner_roles, owner_items, anchor)
        for (owner, owner_roles, owner_items), anchor in zip(groups, anchors, strict=True)
    ]


def _most_urgent_first(item: ActionItem) -> tuple[bool, bool, dt.date, str, str]:
    due = item.follow_up.due
    return (
        not item.overdue,
        due is None,
        due or dt.date.max,
        item.incident.id,
        item.follow_up.action,
    )


def _unique_anchors(owners: Iterable[str | None]) -> list[str]:
    anchors: list[str] = []
    for owner in owners:
        base = f"owner-{slugify(owner) if owner is not None else 'unassigned'}"
        anchor, number = base, 2
        while anchor in anchors:
            anchor, number = f"{base}-{number}", number + 1
        anchors.append(anchor)
    return anchors


def action_pages(
    incidents: Iterable[Incident], renderer: PageRenderer, today: dt.date
) -> dict[str, RenderedPage]:
    """`actions/index.md` (internal site only)."""
    owners = open_actions_by_owner(incidents, today)
    return {
        urls.ACTIONS_URI: renderer.render(
            "actions.md.j2",
            urls.ACTIONS_URI,
            owners=owners,
            today=today,
            open_count=sum(owner.open_count for owner in owners),
            overdue_count=sum(owner.overdue_count for owner in owners),
        )
    }
