"""Actions: every open follow-up, grouped by owner (teams, vendors, people), overdue first.

`open_actions_by_owner()` is pure: validated `Incident`s and the build date in, plain
dataclasses out. `action_pages()` renders them into `actions/index.md`, a page of the
internal site only (owners and tickets are internal).

Open means `open` or `in-progress`: both are still to do, and both are overdue once past
their due date. Follow-ups of every incident type are here (a game day's follow-ups are work
too), whatever the metrics count. An owner written `team:<name>` or `vendor:<name>` is a
team or a vendor (`core.model.owner_group`), listed under Teams or Vendors; every other
owner is a person (a `@handle`, shown with its role from the incident's `roles`, or a role
named in words). Within each group, owners with the most overdue follow-ups come first,
then those with the most open ones, so the page reads as a to-do list for whoever chases
follow-ups. A follow-up's age counts from its incident's date.
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

#: Owner groups in page order, with their headings; "person" also holds the unassigned.
OWNER_GROUPS = (("team", "Teams"), ("vendor", "Vendors"), ("person", "People"))


@dataclass(frozen=True)
class ActionItem:
    """An open follow-up and the incident it came from."""

    follow_up: FollowUp
    incident: Incident
    overdue: bool
    #: Days from the incident's date to the build date.
    age_days: int


@dataclass(frozen=True)
class OwnerActions:
    """One owner's open follow-ups, overdue first, then by due date."""

    #: As written in the postmortems (`team:` and `vendor:` owners normalised to
    #: `team:<name>`); None for follow-ups without an owner.
    owner: str | None
    #: The owner's roles, when the owner is a `@handle` (files may disagree: all are kept).
    roles: tuple[str, ...]
    items: tuple[ActionItem, ...]
    #: The owner's section id on the page, unique among owners.
    anchor: str
    #: `team`, `vendor` or `person`.
    group: str = "person"

    @property
    def name(self) -> str:
        """What the page calls the owner: a team's or vendor's name without its prefix."""
        if self.owner is None:
            return "Unassigned"
        return self.owner.partition(":")[2] if self.group != "person" else self.owner

    @property
    def open_count(self) -> int:
        return len(self.items)

    @property
    def overdue_count(self) -> int:
        return sum(1 for item in self.items if item.overdue)


def open_actions_by_owner(incidents: Iterable[Incident], today: dt.date) -> list[OwnerActions]:
    """Open follow-ups by owner: teams, then vendors, then people; within each, most overdue
    first, then most open, then by name."""
    items: dict[str | None, list[ActionItem]] = defaultdict(list)
    roles: dict[str | None, dict[str, None]] = defaultdict(dict)
    groups: dict[str | None, str] = {}
    newest_first = sorted(incidents, key=lambda i: (i.date, i.id), reverse=True)
    for incident in newest_first:
        for follow_up in incident.follow_ups:
            if not follow_up.is_open:
                continue
            owner = follow_up.owner
            kind_and_name = follow_up.owner_group
            if kind_and_name is not None:
                owner = ":".join(kind_and_name)
            groups[owner] = kind_and_name[0] if kind_and_name else "person"
            items[owner].append(ActionItem(
                follow_up, incident, follow_up.is_overdue(today), (today - incident.date).days
            ))  # fmt: skip
            # `roles` holds handles only (validated), so a role-named owner gets none.
            if owner is not None and owner in incident.roles:
                roles[owner][incident.roles[owner]] = None
    order = {group: index for index, (group, _) in enumerate(OWNER_GROUPS)}
    found = [
        (owner, tuple(roles[owner]), tuple(sorted(owner_items, key=_most_urgent_first)))
        for owner, owner_items in items.items()
    ]
    found.sort(
        key=lambda entry: (
            order[groups[entry[0]]],
            -sum(1 for item in entry[2] if item.overdue),
            -len(entry[2]),
            entry[0] is None,  # unassigned after named owners with the same counts
            entry[0] or "",
        )
    )
    anchors = _unique_anchors((owner, groups[owner]) for owner, _, _ in found)
    return [
        OwnerActions(owner, owner_roles, owner_items, anchor, groups[owner])
        for (owner, owner_roles, owner_items), anchor in zip(found, anchors, strict=True)
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


def _unique_anchors(owners: Iterable[tuple[str | None, str]]) -> list[str]:
    anchors: list[str] = []
    for owner, group in owners:
        if owner is None:
            base = "owner-unassigned"
        elif group == "person":
            base = f"owner-{slugify(owner)}"
        else:
            base = f"{group}-{slugify(owner.partition(':')[2])}"
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
    sections = [
        (heading, [owner for owner in owners if owner.group == group])
        for group, heading in OWNER_GROUPS
    ]
    return {
        urls.ACTIONS_URI: renderer.render(
            "actions.md.j2",
            urls.ACTIONS_URI,
            owners=owners,
            sections=[(heading, members) for heading, members in sections if members],
            today=today,
            open_count=sum(owner.open_count for owner in owners),
            overdue_count=sum(owner.overdue_count for owner in owners),
        )
    }
