"""Browse pages: every incident, and incidents by tag, service, severity and year.

Each facet is an overview page with counts plus one page per value listing its incidents
newest first. `incidents/` lists every incident and can be narrowed in the page by all four
facets together (the shared filter component: `filter.md.j2` + `assets/pmkb-filter.js`).
Pages are returned as `uri → Markdown`; the MkDocs plugin adds them as generated files. The
sidebar links the overviews only, so it stays small at any size.

Values that differ only in spelling ("Payments API", "payments-api") share a URL slug, so
they share one page under the spelling most incidents use.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core import urls
from ..core.formatting import slugify
from .listing import FilterFacet, ListingEntry, common_spelling, filter_facet, filter_slugs
from .render import PageRenderer, RenderedPage

#: The `id` of the incident list of every list page, the target of its filter controls.
LIST_CONTAINER = "pmkb-incidents"


@dataclass(frozen=True)
class Facet:
    """One way of grouping incidents, e.g. by tag."""

    name: str  # plural, for headings: "Tags"
    section: str  # URL section: "tags"
    values_of: Callable[[ListingEntry], tuple[str, ...]]
    uri_of: Callable[[str], str]
    sort_values: Callable[[list[str]], list[str]]
    #: The filter component's facet key: list items carry it as `data-<key>`.
    key: str
    #: Singular, for the filter's label: "Tag".
    label: str


def facets(severities: tuple[str, ...]) -> list[Facet]:
    """The browse facets, in sidebar order."""
    order = {level: index for index, level in enumerate(severities)}
    return [
        Facet("Tags", "tags", lambda e: e.tags, urls.tag_uri, sorted, "tags", "Tag"),
        Facet(
            "Services", "services", lambda e: e.services, urls.service_uri, sorted,
            "services", "Service",
        ),
        Facet(
            "Severity",
            "severity",
            lambda e: (e.severity,),
            urls.severity_uri,
            lambda values: sorted(values, key=lambda v: (order.get(v, len(order)), v)),
            "severity",
            "Severity",
        ),
        Facet(
            "Years",
            "years",
            lambda e: (str(e.year),),
            lambda year: urls.year_uri(int(year)),
            lambda values: sorted(values, reverse=True),
            "year",
            "Year",
        ),
    ]


def group_by(entries: list[ListingEntry], facet: Facet) -> dict[str, list[ListingEntry]]:
    """Value → its entries, keeping the entries' (newest first) order.

    Spellings of one value (same slug, hence same page) are merged under their
    `common_spelling`; an entry is listed once per value.
    """
    by_slug: dict[str, list[ListingEntry]] = defaultdict(list)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        for slug, value in {slugify(value): value for value in facet.values_of(entry)}.items():
            by_slug[slug].append(entry)
            spellings[slug][value] += 1
    return {common_spelling(spellings[slug]): members for slug, members in by_slug.items()}


def incident_filter_facets(
    entries: list[ListingEntry], severities: tuple[str, ...], own_facet: str | None = None
) -> list[FilterFacet]:
    """What a list of incidents can be narrowed by: tag, service, severity and year.

    Only values that narrow the list are offered (one every entry has would change nothing),
    and not the facet of the page itself (`own_facet`: a tag page offers no tags).
    """
    return [
        (key, label, [value for value in values if value[2] < len(entries)])
        for key, label, values in (
            filter_facet(facet.key, facet.label, map(facet.values_of, entries),
                         facet.sort_values)
            for facet in facets(severities) if facet.key != own_facet
        )
    ]


def incident_list_page(
    renderer: PageRenderer,
    uri: str,
    title: str,
    members: list[ListingEntry],
    severities: tuple[str, ...],
    own_facet: str | None = None,
    **context: Any,
) -> RenderedPage:
    """A filterable list of incidents, newest first (`incident_list.md.j2`); `own_facet` is
    the facet a page of one value lists (`tags` on a tag page), which it does not offer."""
    return renderer.render(
        "incident_list.md.j2",
        uri,
        title=title,
        entries=members,
        filter_facets=incident_filter_facets(members, severities, own_facet),
        container_id=LIST_CONTAINER,
        slugs=filter_slugs,
        severities=severities,
        **context,
    )


def index_pages(
    entries: list[ListingEntry],
    renderer: PageRenderer,
    severities: tuple[str, ...],
    descriptions: dict[str, str] | None = None,
    feeds: list[tuple[str, str]] | None = None,
    other_types: int = 0,
) -> dict[str, RenderedPage]:
    """Every browse page of the site: `incidents/`, and an overview + pages per facet.

    `feeds` ((name, URL) for `incidents/`) lets a reader of the full list follow what is new;
    `other_types` (incidents of types with a list of their own, `site/type_lists.py`) has
    `incidents/` say where those are.
    """
    descriptions = descriptions or {}
    pages = {
        urls.INCIDENTS_URI: incident_list_page(
            renderer, urls.INCIDENTS_URI, "All incidents", entries, severities, feeds=feeds,
            other_types=other_types,
        )
    }  # fmt: skip
    for facet in facets(severities):
        groups = group_by(entries, facet)
        values = facet.sort_values(list(groups))
        overview_uri = urls.overview_uri(facet.section)
        pages[overview_uri] = renderer.render(
            "facet_overview.md.j2",
            overview_uri,
            facet=facet,
            values=values,
            groups=groups,
            descriptions=descriptions,
        )
        for value in values:
            uri = facet.uri_of(value)
            pages[uri] = incident_list_page(
                renderer,
                uri,
                f"{facet.name}: {value}",
                groups[value],
                severities,
                own_facet=facet.key,
                description=descriptions.get(value),
                overview_uri=overview_uri,
                overview_name=facet.name,
            )
    return pages
