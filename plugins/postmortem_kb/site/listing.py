"""One row per incident for every list page: indexes, the gallery, feeds and facets.

A `ListingEntry` is built from an internal `Incident` or from a `PublicIncident`, so the
list pages of both audiences share one renderer and can never reach past the projection:
a public entry is made from public data only.

The filter component (`templates/filter.html.j2`, `assets/pmkb-filter.js`) narrows any list
of such rows in the page: `filter_slugs` gives an item's `data-<facet>` value and
`filter_facet` one facet of its controls.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..core.formatting import slugify
from ..core.model import Incident, PublicIncident

#: One facet of the filter component: (key, label, [(slug, name, count)]). Items carry the
#: facet as `data-<key>`; `name` is shown, `count` is how many items have the value.
FilterFacet = tuple[str, str, list[tuple[str, str, int]]]


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
    #: The incident's type (`incident_types.py` says which lists show it).
    type: str = "incident"
    #: From the start of impact to its end (resolved, else mitigated), when both are known.
    duration: dt.timedelta | None = None

    @property
    def year(self) -> int:
        return self.date.year


def entry_for(incident: Incident | PublicIncident) -> ListingEntry:
    """The list row of an incident, from the audience's own view of it.

    Both views carry the same row fields; a public incident is by definition published.
    """
    status = "published" if isinstance(incident, PublicIncident) else incident.status
    return ListingEntry(
        id=incident.id,
        title=incident.title,
        date=incident.date,
        severity=incident.severity,
        key_learning=incident.key_learning,
        tags=incident.tags,
        services=incident.services,
        status=status,
        type=incident.type,
        duration=(incident.duration if isinstance(incident, PublicIncident)
                  else incident.impact.duration),
    )


def listing(incidents: Iterable[Incident | PublicIncident]) -> list[ListingEntry]:
    """Entries newest first (ties by id, so output is stable)."""
    entries = [entry_for(incident) for incident in incidents]
    entries.sort(key=lambda entry: entry.id)
    entries.sort(key=lambda entry: entry.date, reverse=True)
    return entries


def filter_slugs(values: Iterable[str]) -> str:
    """An item's `data-<facet>` value for the filter component: its values' slugs."""
    return " ".join(dict.fromkeys(slugify(value) for value in values))


def filter_facet(
    key: str,
    label: str,
    values: Iterable[Iterable[str]],
    order: Callable[[list[str]], list[str]],
) -> FilterFacet:
    """A facet of the filter controls from every item's values (one iterable per item).

    Spellings that share a slug are one option, counted once per item and named by
    `common_spelling`; `order` sorts the option names.
    """
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for item_values in values:
        for slug, value in {slugify(value): value for value in item_values}.items():
            spellings[slug][value] += 1
    slug_of = {common_spelling(spelled): slug for slug, spelled in spellings.items()}
    return key, label, [
        (slug_of[name], name, spellings[slug_of[name]].total()) for name in order(list(slug_of))
    ]


def common_spelling(spellings: Counter[str]) -> str:
    """The spelling most items use for one value (ties: the first in sort order)."""
    return min(spellings, key=lambda value: (-spellings[value], value))
