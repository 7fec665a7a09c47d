"""The generated home page, for a build without a hand-written `docs/index.md` of its audience.

A public site always has a landing page, laid out like a status-history page: who publishes
the reports (the `organisation` option), how to reach them (`contact`), the feeds to follow
(absolute URLs when the site has a `site_url`, as a feed reader needs) and the newest
incidents by month, each with its severity, date, duration and affected services.

The internal home is the library's front page: a search prompt, a few headline numbers
(incidents in the last year, high-severity ones among them, postmortems not yet published,
overdue follow-ups), what needs attention (high-severity postmortems still in draft or
review, the most overdue follow-ups), the newest incidents, the main sections and the feeds.
It is generated rather than included in a hand-written page: a knowledge base that wants its
own words on it overrides `home_internal.md.j2` in `overrides/pmkb/` (its context is listed
there), and keeps every generated part; a hand-written `docs/index.md` replaces it whole.

Rendered from `home_public.md.j2` and `home_internal.md.j2`; the lists are autoescaping HTML
blocks, and every other value from the configuration goes through the `inline` filter, so a
site name never becomes markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..core import urls
from ..core.model import FollowUp, Incident
from ..core.settings import Settings
from .feeds import feed_links
from .incident_view import severity_rank
from .listing import ListingEntry
from .render import PageRenderer, RenderedPage

#: How many of the newest incidents the home page lists.
HOME_INCIDENTS = 10
#: How many postmortems waiting for review, and overdue follow-ups, the internal home lists.
ATTENTION_ITEMS = 6
#: The severity levels (places on the scale) the internal home calls high.
HIGH_SEVERITY_RANKS = 2
#: What "recent" means for the headline numbers.
RECENT_DAYS = 365


@dataclass(frozen=True)
class Section:
    """A main section of the site, as the internal home page links it."""

    name: str
    uri: str
    about: str


#: The internal home page's sections, in order; each is linked when the build generates it.
SECTIONS = (
    Section("All incidents", urls.INCIDENTS_URI, "every incident, newest first, filterable"),
    Section("Learning gallery", urls.GALLERY_URI, "a card per incident with its key learning"),
    Section("Onboarding", urls.ONBOARDING_URI, "reading paths through past incidents"),
    Section("Insights", urls.INSIGHTS_URI, "time to detect, mitigate and resolve; trends"),
    Section("Actions", urls.ACTIONS_URI, "open and overdue follow-ups by owner"),
    Section("Reviews", urls.REVIEWS_URI, "postmortems waiting for a meeting or an approval"),
    Section("KPIs", urls.KPI_URI, "how the response and the follow-through measure up"),
    Section("Factors", urls.FACTORS_URI, "contributing factors shared across incidents"),
    Section("Near misses", urls.NEAR_MISSES_URI, "what almost went wrong"),
    Section("Incident types", urls.TYPES_URI, "game days, false alarms, maintenance"),
    Section("Tags", urls.overview_uri("tags"), "incidents by theme"),
    Section("Services", urls.overview_uri("services"), "incidents by affected service"),
    Section("Severity", urls.overview_uri("severity"), "incidents by severity"),
    Section("Years", urls.overview_uri("years"), "incidents by year"),
)


@dataclass(frozen=True)
class Headline:
    """One of the internal home's headline numbers, and the page that lists what it counts."""

    value: int
    label: str
    uri: str | None = None
    #: Red: something is late.
    alarm: bool = False


@dataclass(frozen=True)
class OverdueFollowUp:
    follow_up: FollowUp
    incident_id: str
    incident_title: str
    days: int
    #: The incident's `@handle` → role, to name the owner.
    roles: Mapping[str, str]


def home_page(
    settings: Settings,
    entries: list[ListingEntry],
    renderer: PageRenderer,
    generated_uris: Collection[str],
    incidents: Sequence[Incident] = (),
) -> RenderedPage:
    """The home page of `settings.audience`'s site at `urls.HOME_URI`.

    `entries` are the audience's incidents of the types listed everywhere, newest first;
    `generated_uris` the other pages the build generates (the internal home links only
    sections that exist); `incidents` every internal incident, for the follow-ups (never
    read for the public site).
    """
    newest = entries[:HOME_INCIDENTS]
    if settings.is_public:
        return renderer.render(
            "home_public.md.j2",
            urls.HOME_URI,
            site_name=settings.site_name,
            site_description=settings.site_description,
            organisation=settings.organisation_name,
            contact=settings.contact,
            feeds=feed_links(settings, urls.HOME_URI),
            entries=newest,
            months=by_month(newest),
            total=len(entries),
            severities=settings.severities,
        )
    today = settings.build_date
    waiting = [entry for entry in entries if entry.status != "published"]
    overdue = overdue_follow_ups(incidents, today)
    sections = [section for section in SECTIONS if section.uri in generated_uris]
    linked = {section.uri for section in sections}
    return renderer.render(
        "home_internal.md.j2",
        urls.HOME_URI,
        site_name=settings.site_name,
        site_description=settings.site_description,
        sections=sections,
        feeds=feed_links(settings, urls.HOME_URI),
        entries=newest,
        total=len(entries),
        severities=settings.severities,
        headlines=headlines(
            entries, waiting, incidents, overdue, today, settings.severities, linked
        ),
        high_waiting=[entry for entry in waiting if is_high(entry.severity, settings.severities)][
            :ATTENTION_ITEMS
        ],
        overdue=overdue[:ATTENTION_ITEMS],
        overdue_total=len(overdue),
        actions_uri=urls.ACTIONS_URI if urls.ACTIONS_URI in linked else None,
        reviews_uri=urls.REVIEWS_URI if urls.REVIEWS_URI in linked else None,
    )


def is_high(severity: str, severities: Sequence[str]) -> bool:
    return severity_rank(severity, severities) <= HIGH_SEVERITY_RANKS


def headlines(
    entries: Sequence[ListingEntry],
    waiting: Sequence[ListingEntry],
    incidents: Iterable[Incident],
    overdue: Sequence[OverdueFollowUp],
    today: dt.date,
    severities: Sequence[str],
    linked: Collection[str],
) -> list[Headline]:
    """The internal home's numbers: what a lead asks first about the library (each whole
    number with its last 12 months, so a quiet year reads as such, not as an empty library)."""

    def recent(items: Iterable[ListingEntry]) -> int:
        return sum((today - entry.date).days < RECENT_DAYS for entry in items)

    def page(uri: str) -> str | None:
        return uri if uri in linked else None

    high = [entry for entry in entries if is_high(entry.severity, severities)]
    first = min((entry.date.year for entry in entries), default=today.year)
    open_count = sum(f.is_open for incident in incidents for f in incident.follow_ups)
    return [
        Headline(
            len(entries),
            f"incidents since {first}, {recent(entries)} in the last 12 months",
            page(urls.INCIDENTS_URI),
        ),
        Headline(
            len(high),
            f"{' or '.join(severities[:HIGH_SEVERITY_RANKS])}, "
            f"{recent(high)} in the last 12 months",
            page(urls.overview_uri("severity")),
        ),
        Headline(len(waiting), "postmortems in draft or review", page(urls.REVIEWS_URI)),
        Headline(
            len(overdue),
            f"overdue follow-ups, of {open_count} open",
            page(urls.ACTIONS_URI),
            alarm=bool(overdue),
        ),
    ]


def overdue_follow_ups(incidents: Iterable[Incident], today: dt.date) -> list[OverdueFollowUp]:
    """Every overdue follow-up, the longest overdue first (every type: a follow-up is work)."""
    found = [
        OverdueFollowUp(
            follow_up,
            incident.id,
            incident.title,
            (today - follow_up.due).days if follow_up.due else 0,
            incident.roles,
        )
        for incident in incidents
        for follow_up in incident.follow_ups
        if follow_up.is_overdue(today)
    ]
    return sorted(found, key=lambda item: (-item.days, item.incident_id))


def by_month(entries: Iterable[ListingEntry]) -> list[tuple[str, list[ListingEntry]]]:
    """("March 2022", its entries) for each month, in the entries' (newest first) order."""
    months: dict[str, list[ListingEntry]] = {}
    for entry in entries:
        months.setdefault(f"{entry.date:%B %Y}", []).append(entry)
    return list(months.items())
