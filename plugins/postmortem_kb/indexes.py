"""Browse pages: every incident, and incidents by tag, service, severity and year.

Each facet is an overview page with counts plus one page per value listing its incidents
newest first. Pages are returned as `uri → Markdown`; the MkDocs plugin adds them as
generated files. The sidebar links the overviews only, so it stays small at any size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from . import site_urls
from .listing import ListingEntry
from .render import PageRenderer


@dataclass(frozen=True)
class Facet:
    """One way of grouping incidents, e.g. by tag."""

    name: str  # plural, for headings: "Tags"
    section: str  # URL section: "tags"
    values_of: Callable[[ListingEntry], tuple[str, ...]]
    uri_of: Callable[[str], str]
    sort_values: Callable[[list[str]], list[str]]


def _by_count_then_name(counts: dict[str, int]) -> Callable[[list[str]], list[str]]:
    return lambda values: sorted(values, key=lambda value: (-counts[value], value))


def facets(severities: tuple[str, ...]) -> list[Facet]:
    """The browse facets, in sidebar order."""
    order = {level: index for index, level in enumerate(severities)}
    return [
        Facet("Tags", "tags", lambda e: e.tags, site_urls.tag_uri, sorted),
        Facet("Services", "services", lambda e: e.services, site_urls.service_uri, sorted),
        Facet(
            "Severity",
            "severity",
            lambda e: (e.severity,),
            site_urls.severity_uri,
            lambda values: sorted(values, key=lambda v: order.get(v, len(order))),
        ),
        Facet(
            "Years",
            "years",
            lambda e: (str(e.year),),
            lambda year: site_urls.year_uri(int(year)),
            lambda values: sorted(values, reverse=True),
        ),
    ]


def group_by(entries: list[ListingEntry], facet: Facet) -> dict[str, list[ListingEntry]]:
    """Value → its entries, keeping the entries' (newest first) order."""
    groups: dict[str, list[ListingEntry]] = defaultdict(list)
    for entry in entries:
        for value in facet.values_of(entry):
            groups[value].append(entry)
    return dict(groups)


def index_pages(
    entries: list[ListingEntry],
    renderer: PageRenderer,
    severities: tuple[str, ...],
    descriptions: dict[str, str] | None = None,
) -> dict[str, str]:
    """Every browse page of the site: `incidents/`, and an overview + pages per facet."""
    pages = {
        "incidents/index.md": renderer.render(
            "incident_list.md.j2", "incidents/index.md", title="All incidents", entries=entries
        )
    }
    for facet in facets(severities):
        groups = group_by(entries, facet)
        values = facet.sort_values(list(groups))
        overview_uri = f"{facet.section}/index.md"
        pages[overview_uri] = renderer.render(
            "facet_overview.md.j2",
            overview_uri,
            facet=facet,
            values=values,
            groups=groups,
            descriptions=descriptions or {},
        )
        for value in values:
            uri = facet.uri_of(value)
            pages[uri] = renderer.render(
                "incident_list.md.j2",
                uri,
                title=f"{facet.name}: {value}",
                entries=groups[value],
                description=(descriptions or {}).get(value),
            )
    return pages
