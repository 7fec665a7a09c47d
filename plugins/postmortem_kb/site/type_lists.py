"""Incident types in the site: `types/`, and a list for each type that has its own.

The `types` option says where each type's incidents are listed (`incident_types.py`): in
every list, only in a list of their own (game days, false alarms, maintenance), or only in the
learning gallery (other companies' incidents). `types/` names every type with its count and
where it is listed, so an incident left out of `incidents/` is never lost; each `listed: own`
type gets `types/<type>/`, a filterable list like the other browse pages.

Both audiences get these pages, each from its own listing rows: a public game-day report needs
a list on the public site too. The public overview names only the types that have public
incidents, and says nothing of the metrics (internal pages).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..core import urls
from ..core.settings import Settings, TypeRule
from .incident_types import NEAR_MISS, of_type, rule_of, type_names
from .indexes import incident_list_page
from .listing import ListingEntry
from .render import PageRenderer, RenderedPage

#: The overview's name, in the nav and on each type's list.
TYPES_TITLE = "Incident types"


@dataclass(frozen=True)
class TypeRow:
    """One type on the overview: its rule, how many incidents, and where they are listed."""

    name: str
    rule: TypeRule
    count: int
    #: (name, uri) of the page listing its incidents.
    listed_at: tuple[str, str]


def listed_at(name: str, rule: TypeRule) -> tuple[str, str]:
    if rule.listed == "own":
        return name, urls.type_uri(name)
    if rule.listed == "gallery":
        return "Learning gallery", urls.GALLERY_URI
    return "All incidents", urls.INCIDENTS_URI


def type_pages(
    entries: list[ListingEntry], renderer: PageRenderer, settings: Settings
) -> dict[str, RenderedPage]:
    """`types/index.md` and `types/<type>/index.md` for each `listed: own` type.

    Internal: every configured type, and a list for each own-list type even while empty.
    Public: only the types with public incidents, and none of it when every public incident
    is in `incidents/` anyway.
    """
    counts = Counter(entry.type for entry in entries)
    rows = [
        TypeRow(name, rule_of(name, settings.types), counts[name],
                listed_at(name, rule_of(name, settings.types)))
        for name in type_names(settings.types, entries)
        if counts[name] or not settings.is_public
    ]  # fmt: skip
    own = [row for row in rows if row.rule.listed == "own"]
    if settings.is_public and all(row.rule.listed == "all" for row in rows):
        return {}
    pages = {
        urls.TYPES_URI: renderer.render(
            "types.md.j2",
            urls.TYPES_URI,
            title=TYPES_TITLE,
            rows=rows,
            internal=not settings.is_public,
            near_miss=NEAR_MISS,
        )
    }
    for row in own:
        uri = urls.type_uri(row.name)
        pages[uri] = incident_list_page(
            renderer,
            uri,
            f"Type: {row.name}",
            of_type(entries, row.name),
            settings.severities,
            overview_uri=urls.TYPES_URI,
            overview_name=TYPES_TITLE,
        )
    return pages
