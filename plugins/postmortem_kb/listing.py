"""One row per incident for every list page: indexes, the gallery, feeds and facets.

A `ListingEntry` is built from an internal `Incident` or from a `PublicIncident`, so the
list pages of both audiences share one renderer and can never reach past the projection:
a public entry is made from public data only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Incident, PublicIncident


@dataclass(frozen=True)
class ListingEntry:
    id: str
    title: str
    date: dt.date
    severity: str
    key_learning: str | None
    tags: tuple[str, ...]
    services: tuple[str, ...]
    status: str

    @property
    def year(self) -> int:
        return self.date.year


def entry_for(incident: Incident | PublicIncident) -> ListingEntry:
    """The list row of an incident, from the audience's own view of it."""
    if isinstance(incident, PublicIncident):
        return ListingEntry(
            id=incident.id,
            title=incident.title,
            date=incident.date,
            severity=incident.severity,
            key_learning=incident.key_learning,
            tags=incident.tags,
            services=incident.services,
            status="published",
        )
    return ListingEntry(
        id=incident.id,
        title=incident.title,
        date=incident.date,
        severity=incident.severity,
        key_learning=incident.key_learning,
        tags=incident.tags,
        services=incident.services,
        status=incident.status,
    )


def listing(incidents: Iterable[Incident | PublicIncident]) -> list[ListingEntry]:
    """Entries newest first (ties by id, so output is stable)."""
    entries = [entry_for(incident) for incident in incidents]
    entries.sort(key=lambda entry: entry.id)
    entries.sort(key=lambda entry: entry.date, reverse=True)
    return entries
