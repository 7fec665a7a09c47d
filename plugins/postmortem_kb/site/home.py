"""The generated home page, for a build without a hand-written `docs/index.md` of its audience.

A public site always has a landing page: who publishes the reports (the `organisation`
option), how to reach them (`contact`), the feeds to follow (absolute URLs when the site has a
`site_url`, as a feed reader needs) and the newest incidents. An internal site gets the newest
incidents, a link to each main section the build generates and the feeds.

Rendered from `home_public.md.j2` and `home_internal.md.j2` (a knowledge base overrides them
in `overrides/pmkb/`); the lists are autoescaping HTML blocks, and every other value from
the configuration goes through the `inline` filter, so a site name never becomes markup.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ..core import urls
from ..core.settings import Settings
from .feeds import feed_links
from .listing import ListingEntry
from .render import PageRenderer, RenderedPage

#: How many of the newest incidents the home page lists.
HOME_INCIDENTS = 10


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
    Section("Tags", urls.overview_uri("tags"), "incidents by theme"),
    Section("Services", urls.overview_uri("services"), "incidents by affected service"),
    Section("Severity", urls.overview_uri("severity"), "incidents by severity"),
    Section("Years", urls.overview_uri("years"), "incidents by year"),
)


def home_page(
    settings: Settings,
    entries: list[ListingEntry],
    renderer: PageRenderer,
    generated_uris: Collection[str],
) -> RenderedPage:
    """The home page of `settings.audience`'s site at `urls.HOME_URI`.

    `entries` are the audience's incidents, newest first; `generated_uris` the other pages
    the build generates (the internal home links only sections that exist).
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
            total=len(entries),
        )
    return renderer.render(
        "home_internal.md.j2",
        urls.HOME_URI,
        site_name=settings.site_name,
        site_description=settings.site_description,
        sections=[section for section in SECTIONS if section.uri in generated_uris],
        feeds=feed_links(settings, urls.HOME_URI),
        entries=newest,
        total=len(entries),
    )
