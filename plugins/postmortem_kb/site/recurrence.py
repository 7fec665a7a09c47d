"""Recurrence: which incidents repeat an earlier one, for the insights and KPI pages.

An incident repeats an earlier one when its author says so (`recurrence_of`), or when it
shares a contributing factor (a `factor` id of `contributors`, see `core.model.Factor`)
with an incident at most `RECURRENCE_WINDOW_DAYS` before it. Shared services or tags are
not enough: a broad tag such as `configuration` pairs incidents that have nothing in common.

The lists stay small as the library grows: pairs (which grow with the square of the
incidents) are counted, and only the newest few per factor are listed; factors and marked
recurrences are capped too, each saying how many it leaves out (`*_SHOWN` below).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..core.model import Incident

#: Two incidents sharing a contributing factor this close together (inclusive) recur.
RECURRENCE_WINDOW_DAYS = 90
#: Recurring pairs listed per factor, newest first; the others are only counted.
#: Pairs grow with the square of the incidents: listing them all made a page of megabytes.
RECURRENCE_PAIRS_SHOWN = 5
#: Factors listed, most pairs first; the others are counted.
RECURRENCE_GROUPS_SHOWN = 20
#: `recurrence_of` links listed, newest incident first; the others are counted.
MARKED_RECURRENCES_SHOWN = 20


@dataclass(frozen=True)
class RecurrencePair:
    """Two incidents sharing a contributing factor, at most the recurrence window apart."""

    earlier: Incident
    later: Incident

    @property
    def days(self) -> int:
        return (self.later.date - self.earlier.date).days


@dataclass(frozen=True)
class RecurrenceGroup:
    """The recurring pairs of one factor: how many, and the newest few."""

    value: str
    #: Recurring pairs in all.
    pair_count: int
    #: Incidents in at least one of those pairs.
    incident_count: int
    #: The newest pairs (by later, then earlier incident), at most `RECURRENCE_PAIRS_SHOWN`.
    newest_pairs: tuple[RecurrencePair, ...]
    #: Incidents with an earlier one of this factor within the window.
    repeats: frozenset[str] = frozenset()

    @property
    def pairs_not_shown(self) -> int:
        return self.pair_count - len(self.newest_pairs)


@dataclass(frozen=True)
class MarkedRecurrence:
    """An incident whose author wrote `recurrence_of`: a recurrence by judgement, any gap."""

    incident: Incident
    original_id: str
    #: None when the original is not among the incidents measured.
    original: Incident | None

    @property
    def days(self) -> int | None:
        return (self.incident.date - self.original.date).days if self.original else None


@dataclass(frozen=True)
class Recurrence:
    window_days: int
    #: Factors with at least one recurring pair, most pairs first (ties by id), at most
    #: `RECURRENCE_GROUPS_SHOWN`.
    by_factor: tuple[RecurrenceGroup, ...]
    #: Factors with a recurring pair that are not in `by_factor`.
    factors_not_shown: int
    #: Explicit `recurrence_of` links, newest incident first, at most
    #: `MARKED_RECURRENCES_SHOWN`.
    marked: tuple[MarkedRecurrence, ...]
    #: `recurrence_of` links in all.
    marked_count: int
    #: Ids of the incidents that repeat an earlier one within the window (either way).
    repeats: frozenset[str]
    #: Incidents looked at.
    incidents: int

    @property
    def marked_not_shown(self) -> int:
        return self.marked_count - len(self.marked)

    @property
    def rate(self) -> float | None:
        return len(self.repeats) / self.incidents if self.incidents else None


def contributing_factors(incident: Incident) -> tuple[str, ...]:
    """The factor ids of an incident's contributors, each once, in order."""
    return tuple(dict.fromkeys(item.factor for item in incident.contributors if item.factor))


def recurrence(
    incidents: Sequence[Incident],
    window_days: int = RECURRENCE_WINDOW_DAYS,
    pairs_shown: int = RECURRENCE_PAIRS_SHOWN,
    groups_shown: int = RECURRENCE_GROUPS_SHOWN,
    marked_shown: int = MARKED_RECURRENCES_SHOWN,
) -> Recurrence:
    """Pairs sharing a contributing factor at most `window_days` apart, and `recurrence_of`.

    Linear in the incidents (after one sort) and in what is shown: pairs are counted, never
    listed, except the newest `pairs_shown` of each factor.
    """
    oldest_first = _oldest_first(incidents)
    by_id = {incident.id: incident for incident in incidents}
    links = [
        (incident, original_id)
        for incident in reversed(oldest_first)
        if (original_id := incident.recurrence_of)
    ]
    marked = tuple(
        MarkedRecurrence(incident, original_id, by_id.get(original_id))
        for incident, original_id in links[:marked_shown]
    )
    window = dt.timedelta(days=window_days)
    marked_repeats = {
        incident.id
        for incident, original_id in links
        if (original := by_id.get(original_id)) is not None
        and dt.timedelta() <= incident.date - original.date <= window
    }
    groups = _recurring_groups(oldest_first, window_days, pairs_shown)
    return Recurrence(
        window_days=window_days,
        by_factor=groups[:groups_shown],
        factors_not_shown=max(len(groups) - groups_shown, 0),
        marked=marked,
        marked_count=len(links),
        repeats=frozenset(marked_repeats.union(*(group.repeats for group in groups))),
        incidents=len(incidents),
    )


def _recurring_groups(
    oldest_first: Sequence[Incident], window_days: int, pairs_shown: int
) -> tuple[RecurrenceGroup, ...]:
    """Every factor with a recurring pair, most pairs first; `oldest_first` is date-sorted."""
    members: dict[str, list[Incident]] = defaultdict(list)
    for incident in oldest_first:
        for value in contributing_factors(incident):
            members[value].append(incident)
    groups = [
        _recurring_group(value, group, window_days, pairs_shown) for value, group in members.items()
    ]
    found = sorted(
        (group for group in groups if group.pair_count),
        key=lambda group: (-group.pair_count, group.value),
    )
    return tuple(found)


def _recurring_group(
    value: str, group: Sequence[Incident], window_days: int, pairs_shown: int
) -> RecurrenceGroup:
    """The pairs of one factor's incidents (oldest first), counted with a sliding window.

    `first[j]` is the index of the oldest incident at most the window before incident `j`,
    so `j` pairs with each of `first[j]` … `j - 1`: `j - first[j]` pairs, counted, not made.
    An incident is in a pair when its nearest neighbour on either side is within the window;
    it repeats an earlier one when `first[j] < j`.
    """
    window = dt.timedelta(days=window_days)
    first: list[int] = []
    start = 0
    for later in group:
        while later.date - group[start].date > window:
            start += 1
        first.append(start)
    pair_count = sum(j - first[j] for j in range(len(group)))
    incident_count = sum(
        1 for j in range(len(group)) if first[j] < j or (j + 1 < len(group) and first[j + 1] <= j)
    )
    # Lazily, newest later incident first, then newest earlier one: only the shown are made.
    every_pair = (
        RecurrencePair(group[i], group[j])
        for j in reversed(range(len(group)))
        for i in reversed(range(first[j], j))
    )
    newest = tuple(itertools.islice(every_pair, pairs_shown))
    repeats = frozenset(group[j].id for j in range(len(group)) if first[j] < j)
    return RecurrenceGroup(value, pair_count, incident_count, newest, repeats)


def _oldest_first(incidents: Iterable[Incident]) -> list[Incident]:
    return sorted(incidents, key=lambda incident: (incident.date, incident.id))
