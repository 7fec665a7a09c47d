"""Browse pages: every incident, the tag / service / severity / year indexes, the filter
component's markup, the search box's index, and a sidebar without incident pages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import json
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urljoin

import pytest

from postmortem_kb.core.settings import Settings
from postmortem_kb.search.browser_index import indexed_urls
from postmortem_kb.search.terms import stem
from postmortem_kb.site.indexes import LIST_CONTAINER, index_pages
from postmortem_kb.site.listing import ListingEntry, filter_facet, filter_slugs
from postmortem_kb.site.plan import plan_site
from postmortem_kb.site.render import PageRenderer
from postmortem_kb.site.search_box import SEARCH_INDEX_FOLDER
from site_builder import REPO_ROOT, BuiltSite, build_site

SEVERITIES = ("SEV-1", "SEV-2", "SEV-3", "SEV-4")


def entry(
    incident_id: str,
    date: str,
    severity: str = "SEV-2",
    tags: tuple[str, ...] = (),
    services: tuple[str, ...] = (),
    title: str | None = None,
    key_learning: str | None = "Keep a lesson.",
    status: str = "published",
) -> ListingEntry:
    return ListingEntry(
        id=incident_id,
        title=title or f"Title of {incident_id}",
        date=dt.date.fromisoformat(date),
        severity=severity,
        key_learning=key_learning,
        tags=tags,
        services=services,
        status=status,
    )


ENTRIES = [  # newest first, as `listing()` orders them
    entry("c", "2024-05-02", "SEV-1", ("dns", "networking"), ("edge",)),
    entry("b", "2023-02-01", "SEV-3", ("dns",), ("auth", "edge"), status="draft"),
    entry("a", "2021-07-09", "SEV-1", ("capacity",), ("auth",), key_learning=None),
]


def pages(entries: list[ListingEntry] = ENTRIES, **descriptions: str) -> dict[str, str]:
    rendered = index_pages(entries, PageRenderer(), SEVERITIES, descriptions)
    return {uri: page.resolved() for uri, page in rendered.items()}


def items(markdown: str) -> list[str]:
    """The `<tr class="pmkb-item" …>` rows of a list page, in order."""
    return re.findall(r'<tr class="pmkb-item".*?</tr>', markdown, re.DOTALL)


def linked_ids(markdown: str) -> list[str]:
    """Incident ids linked from the items of a list page, in order."""
    return [re.findall(r'href="(?:\.\./\.\./incidents/)?([^/"]+)/"', line)[0]
            for line in items(markdown)]


# -- pages and their content ---------------------------------------------------------------


def test_every_facet_has_an_overview_and_a_page_per_value() -> None:
    assert sorted(pages()) == sorted([
        "incidents/index.md",
        "tags/index.md", "tags/dns/index.md", "tags/networking/index.md",
        "tags/capacity/index.md",
        "services/index.md", "services/edge/index.md", "services/auth/index.md",
        "severity/index.md", "severity/sev-1/index.md", "severity/sev-3/index.md",
        "years/index.md", "years/2024/index.md", "years/2023/index.md", "years/2021/index.md",
    ])  # fmt: skip


def test_each_list_shows_its_incidents_newest_first_with_date_severity_and_learning() -> None:
    site = pages()
    assert linked_ids(site["incidents/index.md"]) == ["c", "b", "a"]
    assert linked_ids(site["tags/dns/index.md"]) == ["c", "b"]
    assert linked_ids(site["services/auth/index.md"]) == ["b", "a"]
    assert linked_ids(site["severity/sev-1/index.md"]) == ["c", "a"]
    assert linked_ids(site["years/2023/index.md"]) == ["b"]
    first, second, third = items(site["incidents/index.md"])
    assert ('<a href="c/">Title of c</a></p><p class="pmkb-row-learning">Keep a lesson.</p>'
            in first)
    assert '<td class="pmkb-col-date">2024-05-02</td>' in first
    assert '<span class="pmkb-sev pmkb-sev-1" title="Severity SEV-1">SEV-1</span>' in first
    assert '<a href="b/">Title of b</a> <span class="pmkb-chip pmkb-status pmkb-status-draft">' \
        'Draft</span>' in second
    assert '<span class="pmkb-sev pmkb-sev-3"' in second
    assert "pmkb-row-learning" not in third  # no key learning, no empty line
    assert '<a href="../../incidents/c/">Title of c</a>' in site["tags/dns/index.md"]
    assert "2 incidents, newest first. All tags: [Tags](../index.md)." in site["tags/dns/index.md"]


def test_overviews_count_incidents_and_show_the_latest_and_the_description() -> None:
    site = pages(dns="Name resolution and records")
    assert "| [dns](dns/index.md) | 2 | 2024-05-02 | Name resolution and records |" in site[
        "tags/index.md"]
    assert "| [capacity](capacity/index.md) | 1 | 2021-07-09 |  |" in site["tags/index.md"]
    assert "Name resolution and records" in site["tags/dns/index.md"]
    severity = site["severity/index.md"]
    assert severity.index("[SEV-1]") < severity.index("[SEV-3]")  # the scale's order
    years = site["years/index.md"]
    assert years.index("[2024]") < years.index("[2023]") < years.index("[2021]")


def test_spellings_that_share_a_slug_share_one_page_under_the_common_one() -> None:
    entries = [
        entry("c", "2024-01-03", services=("Payments API",)),
        entry("b", "2024-01-02", services=("payments-api",)),
        entry("a", "2024-01-01", services=("Payments API", "payments api")),
    ]
    site = pages(entries)
    assert [uri for uri in site if uri.startswith("services/")] == [
        "services/index.md", "services/payments-api/index.md"]
    page = site["services/payments-api/index.md"]
    assert 'title: "Services: Payments API"' in page
    assert linked_ids(page) == ["c", "b", "a"]
    assert "| [Payments API](payments-api/index.md) | 3 |" in site["services/index.md"]


# -- the filter component ------------------------------------------------------------------


def test_list_items_carry_the_filter_data_and_the_page_its_controls() -> None:
    page = pages()["incidents/index.md"]
    form = re.search(r"<form [^>]*>", page)
    assert form is not None
    assert f'data-pmkb-filter-for="{LIST_CONTAINER}"' in form[0] and " hidden" in form[0]
    assert f'<div class="pmkb-filterable pmkb-incident-list" id="{LIST_CONTAINER}"' in page
    assert page.index("<form") < page.index('id="pmkb-incidents"')
    first = items(page)[0]
    assert ('data-tags="dns networking" data-services="edge" data-severity="sev-1" '
            'data-year="2024"') in first
    for key in ("tags", "services", "severity", "year"):
        assert f'<select name="{key}">' in page
    assert '<option value="sev-1" data-label="SEV-1">SEV-1 (2)</option>' in page
    assert '<option value="dns" data-label="dns">dns (2)</option>' in page


def test_only_facets_that_can_narrow_the_list_get_a_control() -> None:
    assert "<form" not in pages()["years/2023/index.md"]  # one incident: nothing to narrow
    tag_page = pages()["tags/dns/index.md"]  # both tagged dns, only one networking
    assert '<select name="tags">' not in tag_page  # the page's own facet: never on its page
    assert '<select name="severity">' in tag_page and '<select name="year">' in tag_page
    # Both have edge (narrows nothing), one auth: a facet of one value is no choice.
    assert '<select name="services">' not in tag_page
    severity_page = pages()["severity/sev-1/index.md"]
    assert '<select name="severity">' not in severity_page
    assert '<select name="tags">' in severity_page


def test_the_list_sorts_by_keys_the_text_does_not_give() -> None:
    page = pages([*ENTRIES[:2], dataclasses.replace(ENTRIES[2], duration=dt.timedelta(
        hours=2, minutes=5))])["incidents/index.md"]
    assert '<table class="pmkb-table pmkb-sortable">' in page
    for column in ("date", "severity", "duration", "services"):
        assert f'class="pmkb-col-{column} pmkb-sortable-col"' in page
    last = items(page)[2]
    assert ('<td class="pmkb-col-duration"><span class="pmkb-sort-key" hidden="">7500</span>'
            '2 h 05 min</td>') in last
    assert '<span class="pmkb-sort-key" hidden="">1</span><span class="pmkb-sev pmkb-sev-1"' in last


def test_filter_facets_merge_spellings_and_count_each_item_once() -> None:
    facet = filter_facet(
        "services", "Service",
        [("Payments API", "payments api"), ("payments-api",), ("Payments API", "Edge"), ()],
        sorted,
    )
    assert facet == ("services", "Service", [("edge", "Edge", 1),
                                              ("payments-api", "Payments API", 3)])
    assert filter_slugs(["Payments API", "payments-api", "SEV-1"]) == "payments-api sev-1"


def test_values_from_yaml_are_escaped_in_lists_and_controls() -> None:
    hostile = entry(
        "x", "2024-01-01",
        tags=('"><script>alert(1)</script>',),
        services=('a"b<i>c</i>',),
        title="<img src=x onerror=alert(1)> & co",
        key_learning="Use <b>bold</b> | pipes",
    )
    site = pages([hostile, entry("y", "2023-01-01", services=("other",))])
    for page in site.values():
        assert "<script>" not in page and "<img" not in page and "<i>c" not in page
    page = site["incidents/index.md"]
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; co" in page
    assert "Use &lt;b&gt;bold&lt;/b&gt; | pipes" in page
    # As the sanitizer writes HTML out: a quote is escaped only inside an attribute.
    assert 'data-label="a&quot;b&lt;i&gt;c&lt;/i&gt;">a"b&lt;i&gt;c&lt;/i&gt; (1)' in page
    assert 'data-services="a-b-i-c-i"' in page


# -- the example knowledge base, built ---------------------------------------------------------


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return build_site(REPO_ROOT / "mkdocs.yml", tmp_path_factory.mktemp("example") / "site")


def test_the_sidebar_lists_sections_and_indexes_never_incident_pages(
    example_site: BuiltSite,
) -> None:
    for page in ("index.html", "incidents/index.html", "tags/dns/index.html",
                 "incidents/2017-01-31-dashboard-data-loss/index.html"):
        sidebar = example_site.read(page).split('class="md-sidebar md-sidebar--secondary"')[0]
        hrefs = re.findall(r'href="([^"#]+)"[^>]*class="md-nav__link', sidebar)
        targets = {urljoin("/" + page, href) for href in hrefs}
        assert {"/incidents/", "/tags/", "/services/", "/severity/", "/years/"} <= targets, page
        assert not [t for t in targets if re.search(r"^/(incidents|tags)/[^/]+/", t)], page


def test_incident_pages_link_to_their_tag_service_severity_and_year_pages(
    example_site: BuiltSite,
) -> None:
    page = example_site.read("incidents/2017-01-31-dashboard-data-loss/index.html")
    for target in ("../../severity/sev-1/", "../../years/2017/", "../../tags/database/",
                   "../../services/"):
        assert f'href="{target}' in page, target


def test_unknown_tags_warn_with_a_suggestion(tmp_path: Path) -> None:
    source = tmp_path / "postmortems"
    source.mkdir()
    (source / "x.md").write_text(textwrap.dedent("""\
        ---
        title: T
        date: 2024-01-01
        severity: SEV-3
        tags: [dsn]
        ---
        Body.
        """), encoding="utf-8")
    plan = plan_site(Settings(source_dir=source, tags={"dns": "Names", "capacity": "Room"}))
    assert [str(problem) for problem in plan.problems.items] == [
        "postmortems/x.md:5: tags[0]: unknown tag 'dsn' (did you mean `dns`?); "
        "add it to the `tags` vocabulary or use a known one"
    ]
    assert "tags/dsn/index.md" in plan.pages  # a warning: the incident is still published


# -- the search index of a generated library ------------------------------------------------


def load_benchmark() -> ModuleType:
    """`benchmarks/build.py`: its synthetic library and its search-index check."""
    spec = importlib.util.spec_from_file_location(
        "pmkb_build_benchmark", REPO_ROOT / "benchmarks" / "build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@dataclass
class GeneratedSite:
    benchmark: ModuleType
    incidents: list[Any]
    site_dir: Path


@pytest.fixture(scope="module")
def generated_site(tmp_path_factory: pytest.TempPathFactory) -> GeneratedSite:
    """16 synthetic incidents, each with a word of its own in the timeline and narrative."""
    benchmark = load_benchmark()
    incidents = [
        dataclasses.replace(
            incident,
            timeline=(dataclasses.replace(incident.timeline[0], event=f"Zyxtimeline{number}."),
                      *incident.timeline[1:]),
            body=f"{incident.body}\n\nZyxnarrative{number} closes it.",
        )
        for number, incident in enumerate(benchmark.synthetic_library(16, seed=3))
    ]
    root = tmp_path_factory.mktemp("generated")
    config = benchmark.write_ours(root, incidents)
    return GeneratedSite(benchmark, incidents, build_site(config, root / "site").site_dir)


def test_every_incident_is_found_by_its_title_learning_summary_tags_and_services(
    generated_site: GeneratedSite,
) -> None:
    site = generated_site
    assert len(site.incidents) == 16
    assert site.benchmark.search_misses(site.site_dir, site.incidents) == []


def test_search_finds_timeline_and_narrative_and_the_theme_indexes_no_page(
    generated_site: GeneratedSite,
) -> None:
    """The search box finds an incident by what happened in it, as `pmkb search` does; the
    theme's own index, which every page downloads, holds no page at all."""
    incidents, site = generated_site.incidents, generated_site.site_dir
    assert json.loads((site / "search" / "search_index.json").read_text("utf-8"))["docs"] == []
    found = indexed_urls({path.name: path.read_text("utf-8")
                          for path in (site / SEARCH_INDEX_FOLDER).iterdir()})
    for number, incident in enumerate(incidents):
        page = f"incidents/{incident.id}/"
        assert found[stem(f"zyxtimeline{number}")] == {page}
        assert found[stem(f"zyxnarrative{number}")] == {page}
