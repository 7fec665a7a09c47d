"""Insights: the metrics on hand-made incidents with known answers, the SVG chart, the page,
and that the example KB's internal build has it while the public build has no trace of it."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from postmortem_kb.core.model import FollowUp, Impact, Incident
from postmortem_kb.core.urls import INSIGHTS_URI
from postmortem_kb.site.charts import Series, stacked_bar_chart
from postmortem_kb.site.insights import (
    MARKED_RECURRENCES_SHOWN,
    RECURRENCE_GROUPS_SHOWN,
    RECURRENCE_PAIRS_SHOWN,
    FollowUpStats,
    SpanStats,
    compute_insights,
    format_days,
    insights_pages,
    monthly_trend,
    recurrence,
    span_stats,
    yearly_trend,
)
from postmortem_kb.site.render import PageRenderer

TODAY = dt.date(2026, 1, 15)
T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
SEVERITIES = ("SEV-1", "SEV-2", "SEV-3", "SEV-4")


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def incident(incident_id: str, date: dt.date = dt.date(2025, 3, 1), **fields: Any) -> Incident:
    fields.setdefault("severity", "SEV-2")
    fields.setdefault("title", incident_id.title())
    return Incident(id=incident_id, source=f"postmortems/{incident_id}.md", date=date, **fields)


def impact(**offsets: float | None) -> Impact:
    """An impact whose timestamps are minutes after T0 (`started=0`, `detected=5`, …)."""
    return Impact(**{name: T0 + minutes(m) for name, m in offsets.items() if m is not None})


def insights_markdown(incidents: list[Incident]) -> str:
    """The insights page as Markdown, with any HTML blocks in place."""
    return insights_pages(incidents, PageRenderer(), TODAY, SEVERITIES)[INSIGHTS_URI].resolved()


# --- Medians and means -------------------------------------------------------------------


def test_median_of_an_odd_count_is_the_middle_value_and_missing_spans_are_counted() -> None:
    stats = span_stats([minutes(30), None, minutes(10), minutes(20), None])
    assert stats == SpanStats(median=minutes(20), mean=minutes(20), measured=3, missing=2)


def test_median_of_an_even_count_is_the_mean_of_the_two_middle_values() -> None:
    stats = span_stats([minutes(10), minutes(1), minutes(40), minutes(2)])
    assert stats == SpanStats(median=minutes(6), mean=dt.timedelta(seconds=795), measured=4,
                              missing=0)  # fmt: skip


def test_no_measurable_span_gives_no_median_rather_than_zero() -> None:
    assert span_stats([None, None]) == SpanStats(None, None, 0, 2)


def test_mttd_excludes_and_counts_incidents_missing_a_timestamp() -> None:
    insights = compute_insights(
        [
            incident("a", impact=impact(started=0, detected=4)),
            incident("b", impact=impact(started=0, detected=10)),
            incident("c", impact=impact(started=0)),  # never detected: left out
            incident("d", impact=impact(detected=3)),  # no start: left out
            incident("e"),
        ],
        TODAY,
    )
    assert insights.incidents == 5
    assert insights.time_to_detect == SpanStats(minutes(7), minutes(7), measured=2, missing=3)


def test_mttr_runs_to_resolution_and_to_mitigation_only_while_unresolved() -> None:
    insights = compute_insights(
        [
            # Resolved: mitigation is not the end of recovery.
            incident("a", impact=impact(started=0, mitigated=30, resolved=100)),
            # Not resolved yet: measured to mitigation, and counted as such.
            incident("b", impact=impact(started=0, mitigated=50)),
            incident("c", impact=impact(started=0, resolved=60)),
            incident("d", impact=impact(started=0, detected=5)),  # neither: missing
        ],
        TODAY,
    )
    assert insights.time_to_recover == SpanStats(minutes(60), minutes(70), measured=3, missing=1)
    assert insights.recovered_at_mitigation == 1


def test_time_to_draft_and_publish_count_days_from_the_incident_date() -> None:
    day = dt.date(2025, 3, 1)
    insights = compute_insights(
        [
            incident("a", day, drafted=day + dt.timedelta(days=2), published=day.replace(day=11)),
            incident("b", day, drafted=day + dt.timedelta(days=5)),  # not published yet
            incident("c", day, drafted=day + dt.timedelta(days=1), published=day.replace(day=21)),
            incident("d", day, drafted=day + dt.timedelta(days=2)),
            incident("e", day),
        ],
        TODAY,
    )
    assert insights.time_to_draft == SpanStats(
        dt.timedelta(days=2), dt.timedelta(days=2.5), measured=4, missing=1
    )
    assert insights.time_to_publish == SpanStats(
        dt.timedelta(days=15), dt.timedelta(days=15), measured=2, missing=3
    )
    assert format_days(insights.time_to_publish.median) == "15 days"
    assert format_days(dt.timedelta(days=3.5)) == "3.5 days"
    assert format_days(dt.timedelta(days=1)) == "1 day"
    assert format_days(dt.timedelta(days=10) / 3) == "3.3 days"
    assert format_days(None) == ""


# --- Follow-ups --------------------------------------------------------------------------


def test_closure_rate_leaves_wont_do_out_and_overdue_is_judged_on_the_build_date() -> None:
    day = dt.timedelta(days=1)
    insights = compute_insights(
        [
            incident("a", follow_ups=(
                FollowUp("late", due=TODAY - day),  # open, due yesterday: overdue
                FollowUp("due today", due=TODAY),  # not overdue yet
                FollowUp("no due date"),  # cannot be overdue
                FollowUp("done late", due=TODAY - 10 * day, status="done"),
            )),
            incident("b", follow_ups=(
                FollowUp("x", status="done"),
                FollowUp("y", status="done"),
                FollowUp("z", status="wont-do", due=TODAY - day),
                FollowUp("also late", due=dt.date(2020, 1, 1)),
            )),
        ],
        TODAY,
    )  # fmt: skip
    assert insights.follow_ups == FollowUpStats(done=3, open=4, wont_do=1, overdue=2)
    assert insights.follow_ups.closure_rate == pytest.approx(3 / 7)


def test_closure_rate_is_unknown_without_done_or_open_follow_ups() -> None:
    only_dropped = incident("a", follow_ups=(FollowUp("x", status="wont-do"),))
    assert compute_insights([only_dropped], TODAY).follow_ups.closure_rate is None
    assert compute_insights([], TODAY).follow_ups.closure_rate is None


# --- Recurrence --------------------------------------------------------------------------


def test_recurrence_window_includes_exactly_90_days_and_excludes_91() -> None:
    start = dt.date(2025, 1, 1)
    incidents = [
        incident("first", start, services=("api",), tags=("dns",)),
        incident("day-90", start + dt.timedelta(days=90), services=("api",)),
        incident("day-91", start + dt.timedelta(days=91), tags=("dns",)),
    ]
    found = recurrence(incidents)
    assert found.window_days == 90
    assert [(g.value, g.pair_count, [(p.earlier.id, p.later.id, p.days) for p in g.newest_pairs])
            for g in found.by_service] == [("api", 1, [("first", "day-90", 90)])]  # fmt: skip
    assert found.by_tag == ()


def test_recurring_groups_count_pairs_and_incidents_newest_first_most_pairs_first() -> None:
    incidents = [
        incident("c", dt.date(2025, 3, 1), services=("db", "api")),
        incident("a", dt.date(2025, 1, 1), services=("db",)),
        incident("b", dt.date(2025, 2, 1), services=("db", "api")),
        incident("old", dt.date(2024, 1, 1), services=("db",), tags=("capacity",)),
        incident("lone", dt.date(2025, 2, 1), tags=("capacity",)),
    ]
    groups = recurrence(incidents).by_service
    assert [
        (
            g.value,
            g.pair_count,
            g.incident_count,
            [(p.earlier.id, p.later.id) for p in g.newest_pairs],
        )
        for g in groups
    ] == [
        ("db", 3, 3, [("b", "c"), ("a", "c"), ("a", "b")]),  # "old" is a year before any
        ("api", 1, 2, [("b", "c")]),
    ]
    assert recurrence(incidents).by_tag == ()
    assert recurrence(incidents).services_not_shown == 0


def brute_force_pairs(incidents: list[Incident], service: str) -> list[tuple[str, str]]:
    """Every pair of `service`, the obvious quadratic way, newest first (later, then earlier)."""
    members = sorted((i for i in incidents if service in i.services), key=lambda i: (i.date, i.id))
    pairs = [
        (earlier, later)
        for earlier, later in itertools.combinations(members, 2)
        if (later.date - earlier.date).days <= 90
    ]
    pairs.sort(key=lambda p: ((p[1].date, p[1].id), (p[0].date, p[0].id)), reverse=True)
    return [(earlier.id, later.id) for earlier, later in pairs]


def test_counted_pairs_and_incidents_match_listing_every_pair() -> None:
    rng = random.Random(5)
    incidents = [
        incident(f"i{n}", dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(730)),
                 services=tuple(rng.sample(["api", "db", "web", "dns", "queue"], 2)))
        for n in range(300)
    ]  # fmt: skip
    groups = recurrence(incidents, pairs_shown=7).by_service
    assert {g.value for g in groups} == {"api", "db", "web", "dns", "queue"}
    for group in groups:
        expected = brute_force_pairs(incidents, group.value)
        assert group.pair_count == len(expected)
        assert group.incident_count == len({i for pair in expected for i in pair})
        assert [(p.earlier.id, p.later.id) for p in group.newest_pairs] == expected[:7]
        assert group.pairs_not_shown == len(expected) - 7
    assert [g.pair_count for g in groups] == sorted((g.pair_count for g in groups), reverse=True)


def test_page_lists_only_the_newest_pairs_of_a_service_and_counts_the_rest() -> None:
    start = dt.date(2025, 1, 1)
    # Eight incidents ten days apart: every two of them are within 90 days, 28 pairs.
    incidents = [
        incident(f"api-{n}", start + dt.timedelta(days=10 * n), services=("api",)) for n in range(8)
    ]
    group = recurrence(incidents).by_service[0]
    assert (group.pair_count, group.incident_count) == (28, 8)
    assert len(group.newest_pairs) == RECURRENCE_PAIRS_SHOWN == 5
    assert [(p.earlier.id, p.later.id) for p in group.newest_pairs] == [
        ("api-6", "api-7"), ("api-5", "api-7"), ("api-4", "api-7"), ("api-3", "api-7"),
        ("api-2", "api-7"),
    ]  # fmt: skip
    page = insights_markdown(incidents)
    row = next(line for line in page.splitlines() if line.startswith("| [api]"))
    assert row.startswith("| [api](../services/api/index.md) | 28 | 8 | [Api-6]")
    assert row.count(" → ") == 5
    assert row.endswith("(2025-03-12, 50 days later)<br>and 23 more |")
    assert "[Api-1]" not in row


def test_page_lists_the_services_with_the_most_pairs_and_counts_the_others() -> None:
    extra = 3
    start = dt.date(2025, 1, 1)
    # Service number n has n + 2 incidents a day apart: (n + 2)(n + 1)/2 pairs, more each n.
    incidents = [
        incident(f"s{n:02d}-{k}", start + dt.timedelta(days=k), services=(f"s{n:02d}",))
        for n in range(RECURRENCE_GROUPS_SHOWN + extra)
        for k in range(n + 2)
    ]
    found = recurrence(incidents)
    assert [g.value for g in found.by_service] == [
        f"s{n:02d}" for n in reversed(range(extra, RECURRENCE_GROUPS_SHOWN + extra))
    ]  # most pairs first; s00, s01 and s02, with the fewest, are left out
    assert found.by_service[0].pair_count == 24 * 23 // 2
    assert found.services_not_shown == extra
    page = insights_markdown(incidents)
    assert "And 3 more services with recurring pairs, not listed." in page
    assert "[s00]" not in page and "[s03]" in page
    assert recurrence(incidents, groups_shown=22).services_not_shown == 1


def test_page_lists_only_the_newest_marked_recurrences_and_counts_the_rest() -> None:
    extra = 4
    original = incident("original", dt.date(2020, 1, 1))
    repeats = [
        incident(f"repeat-{n:02d}", dt.date(2024, 1, 1) + dt.timedelta(days=n),
                 recurrence_of="original")
        for n in range(MARKED_RECURRENCES_SHOWN + extra)
    ]  # fmt: skip
    found = recurrence([original, *repeats])
    assert found.marked_count == MARKED_RECURRENCES_SHOWN + extra
    assert [m.incident.id for m in found.marked] == [
        i.id for i in reversed(repeats[extra:])
    ]  # newest first; the oldest `extra` are only counted
    page = insights_markdown([original, *repeats])
    assert f"{MARKED_RECURRENCES_SHOWN + extra} in all, newest first." in page
    assert "And 4 older marked recurrences, not listed." in page
    assert "[Repeat-00]" not in page and "[Repeat-23]" in page


def test_marked_recurrences_come_from_recurrence_of_at_any_distance() -> None:
    original = incident("original", dt.date(2018, 5, 16))
    again = incident("again", dt.date(2025, 3, 11), recurrence_of="original")
    orphan = incident("orphan", dt.date(2025, 4, 1), recurrence_of="not-measured")
    found = recurrence([original, again, orphan])
    assert (found.marked_count, found.marked_not_shown) == (2, 0)
    marked = found.marked
    assert [(m.incident.id, m.original_id, m.original, m.days) for m in marked] == [
        ("orphan", "not-measured", None, None),
        ("again", "original", original, (dt.date(2025, 3, 11) - dt.date(2018, 5, 16)).days),
    ]


# --- Trends ------------------------------------------------------------------------------


def test_monthly_trend_covers_24_months_ending_at_the_latest_incident_across_years() -> None:
    incidents = [
        incident("new", dt.date(2025, 2, 10), severity="SEV-1"),
        incident("same-month", dt.date(2025, 2, 1), severity="SEV-3"),
        incident("first-month", dt.date(2023, 3, 31), severity="SEV-3"),
        incident("too-old", dt.date(2023, 2, 28), severity="SEV-1"),
    ]
    trend = monthly_trend(incidents, SEVERITIES)
    labels = [period.label for period in trend.periods]
    assert len(labels) == 24
    assert labels[0] == "2023-03" and labels[-1] == "2025-02"
    assert labels[9:12] == ["2023-12", "2024-01", "2024-02"]
    counts = {period.label: period.counts for period in trend.periods}
    assert counts["2025-02"] == {"SEV-1": 1, "SEV-2": 0, "SEV-3": 1, "SEV-4": 0}
    assert counts["2023-03"] == {"SEV-1": 0, "SEV-2": 0, "SEV-3": 1, "SEV-4": 0}
    assert sum(period.total for period in trend.periods) == 3  # "too-old" is outside


def test_yearly_trend_keeps_empty_years_and_severities_outside_the_scale() -> None:
    incidents = [
        incident("a", dt.date(2021, 5, 1), severity="SEV-2"),
        incident("b", dt.date(2023, 5, 1), severity="SEV-0"),
    ]
    insights = compute_insights(incidents, TODAY, SEVERITIES)
    assert insights.yearly.severities == (*SEVERITIES, "SEV-0")
    assert [(p.label, p.total) for p in insights.yearly.periods] == [
        ("2021", 1), ("2022", 0), ("2023", 1),
    ]  # fmt: skip
    assert insights.yearly.periods[2].counts["SEV-0"] == 1
    assert yearly_trend([], SEVERITIES).periods == ()
    assert monthly_trend([], SEVERITIES).periods == ()


# --- Chart -------------------------------------------------------------------------------


def parse_chart(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def test_chart_bars_are_stacked_to_scale_with_a_tooltip_per_value() -> None:
    markup = stacked_bar_chart(
        chart_id="c",
        title="Incidents",
        description="Per month.",
        categories=["2025-01", "2025-02", "2025-03"],
        series=[Series("SEV-1", (1, 0, 2)), Series("SEV-2", (3, 0, 1))],
    )
    figure = parse_chart(markup)
    svg = figure.find("svg")
    assert svg is not None
    bars = [r for r in svg.iter("rect") if r.find("title") is not None]
    tips = [r.findtext("title") for r in bars]
    assert tips == ["2025-01, SEV-1: 1", "2025-01, SEV-2: 3", "2025-03, SEV-1: 2",
                    "2025-03, SEV-2: 1"]  # fmt: skip
    heights = [float(r.attrib["height"]) for r in bars]
    # Equal totals (4 and 3) scale alike: one unit is the same height in every bar.
    unit = heights[0]
    assert heights == pytest.approx([unit, 3 * unit, 2 * unit, unit])
    # Stacked: the second layer sits right on top of the first.
    first, second = bars[0], bars[1]
    assert float(second.attrib["y"]) + float(second.attrib["height"]) == pytest.approx(
        float(first.attrib["y"])
    )
    assert "\n\n" not in markup  # one raw HTML block for Markdown


def test_chart_is_accessible_and_escapes_every_label() -> None:
    markup = stacked_bar_chart(
        chart_id="c",
        title='Tom & "Jerry" <b>',
        description="<script>alert(1)</script>",
        categories=["<img src=x>"],
        series=[Series('a"b<i>', (2,))],
    )
    assert "<script" not in markup and "<img" not in markup and "<b>" not in markup
    assert "<i>" not in markup
    figure = parse_chart(markup)  # well-formed: nothing broke out of an attribute
    svg = figure.find("svg")
    assert svg is not None
    assert svg.attrib["role"] == "img"
    assert svg.attrib["aria-label"] == 'Tom & "Jerry" <b>'
    assert svg.findtext("title") == 'Tom & "Jerry" <b>'
    desc = svg.find("desc")
    assert desc is not None and desc.text == "<script>alert(1)</script>"
    assert svg.attrib["aria-describedby"] == desc.attrib["id"]
    texts = [t.text for t in svg.iter("text")]
    assert "<img src=x>" in texts and 'a"b<i>' in texts


def test_an_empty_chart_still_has_an_axis() -> None:
    figure = parse_chart(stacked_bar_chart(
        chart_id="c", title="t", description="d", categories=["2025"],
        series=[Series("SEV-1", (0,))],
    ))  # fmt: skip
    assert [t.text for t in figure.iter("text")] == ["SEV-1", "0", "1", "2025"]


# --- Page --------------------------------------------------------------------------------


def test_page_escapes_yaml_values_and_embeds_the_charts() -> None:
    incidents = [
        incident("a", dt.date(2025, 1, 1), title="<img src=x onerror=alert(1)>",
                 services=("<svc>",), tags=("dns",), impact=impact(started=0, mitigated=9)),
        incident("b", dt.date(2025, 2, 1), services=("<svc>",), tags=("dns",)),
    ]  # fmt: skip
    page = insights_markdown(incidents)
    assert "<img" not in page and "<svc>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count('<figure class="pmkb-chart"') == 2
    assert "1 incident is not resolved yet and\nis measured to mitigation instead." in page
    assert "[Actions](../actions/index.md)" in page


def test_page_without_incidents_says_so_and_has_no_chart() -> None:
    page = insights_markdown([])
    assert "<figure" not in page
    assert "No incidents yet." in page


# --- Size as the library grows ----------------------------------------------------------


def synthetic_incidents(count: int) -> list[Incident]:
    """`count` incidents over five years: 40 services, 60 tags, a recurrence_of in ten."""
    rng = random.Random(11)
    services = [f"service-{n}" for n in range(40)]
    tags = [f"tag-{n}" for n in range(60)]
    return [
        incident(
            f"incident-{n:05d}",
            dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(5 * 365)),
            title=f"Connection pool of service {n} ran out of connections under load",
            severity=rng.choice(SEVERITIES),
            services=tuple(rng.sample(services, rng.randint(1, 3))),
            tags=tuple(rng.sample(tags, 2)),
            impact=impact(started=0, detected=rng.randint(1, 30), resolved=rng.randint(31, 300)),
            recurrence_of=f"incident-{n - 1:05d}" if n and n % 10 == 0 else None,
        )
        for n in range(count)
    ]


def test_page_size_stays_bounded_for_a_large_library() -> None:
    """Pairs grow with the square of the incidents; the page must not."""
    incidents = synthetic_incidents(4000)
    found = recurrence(incidents)
    # Some 200 bytes of Markdown a pair: listing them all would take megabytes.
    assert sum(g.pair_count for g in (*found.by_service, *found.by_tag)) > 50_000
    assert found.tags_not_shown > 0 and found.marked_not_shown > 0  # every cap applies
    page = insights_markdown(incidents)
    assert len(page.encode()) < 100_000
    assert "Measured over 4000 incidents" in page


# --- The example KB, built ---------------------------------------------------------------


@pytest.mark.slow
def test_internal_build_has_the_insights_page_with_charts_that_request_nothing(
    example_sites: dict[str, Path],
) -> None:
    html = (example_sites["internal"] / "insights" / "index.html").read_text(encoding="utf-8")
    charts = re.findall(r'<figure class="pmkb-chart".*?</figure>', html, re.DOTALL)
    assert len(charts) == 2
    for chart in charts:
        svg = parse_chart(chart).find("svg")  # Markdown left the markup intact
        assert svg is not None and svg.findtext("title") and svg.find("desc") is not None
        assert not re.search(r"(?:src|href)\s*=", chart)
        assert "http" not in chart
    # Nothing on the page loads from another host (links to other sites are not requests).
    assert not re.findall(r'\ssrc="(?:https?:)?//', html)
    assert not re.findall(r'<link[^>]*href="(?:https?:)?//', html)
    home = (example_sites["internal"] / "index.html").read_text(encoding="utf-8")
    assert 'href="insights/"' in home


@pytest.mark.slow
def test_public_build_has_no_insights_page_and_no_link_to_one(
    example_sites: dict[str, Path],
) -> None:
    public = example_sites["public"]
    assert not (public / "insights").exists()
    for page in public.rglob("*.html"):
        page_url = "http://site/" + page.relative_to(public).as_posix()
        for href in re.findall(r'href="([^"]*)"', page.read_text(encoding="utf-8")):
            assert not urlsplit(urljoin(page_url, href)).path.startswith("/insights"), page
    search = json.loads((public / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [doc for doc in search["docs"] if doc["location"].startswith("insights")]
