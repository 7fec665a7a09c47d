"""Insights: the metrics on hand-made incidents with known answers, recurrence by
`recurrence_of` and shared factors, the SVG chart, the page, and that the example KB's
internal build has it while the public build has no trace of it."""

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

from postmortem_kb.core.model import Factor, FollowUp, Impact, Incident
from postmortem_kb.core.settings import Settings
from postmortem_kb.core.urls import INSIGHTS_URI
from postmortem_kb.site.charts import CHART_WIDTH, Series, stacked_bar_chart
from postmortem_kb.site.insights import (
    MONTH_LABEL_STRIDES,
    FollowUpStats,
    SpanStats,
    compute_insights,
    insights_pages,
    monthly_trend,
    span_stats,
    yearly_trend,
)
from postmortem_kb.site.kpi import format_days
from postmortem_kb.site.recurrence import (
    MARKED_RECURRENCES_SHOWN,
    RECURRENCE_GROUPS_SHOWN,
    RECURRENCE_PAIRS_SHOWN,
    recurrence,
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


SETTINGS = Settings(source_dir=Path("postmortems"), build_date=TODAY)


def insights_of(incidents: list[Incident], today: dt.date = TODAY) -> Any:
    return compute_insights(incidents, Settings(source_dir=Path("postmortems"), build_date=today))


def insights_markdown(incidents: list[Incident]) -> str:
    """The insights page as Markdown, with any HTML blocks in place."""
    return insights_pages(incidents, PageRenderer(), SETTINGS)[INSIGHTS_URI].resolved()


def factors(*ids: str) -> tuple[Factor, ...]:
    """Contributors naming each factor id."""
    return tuple(Factor(f"because of {factor_id}", factor=factor_id) for factor_id in ids)


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
    insights = insights_of(
        [
            incident("a", impact=impact(started=0, detected=4)),
            incident("b", impact=impact(started=0, detected=10)),
            incident("c", impact=impact(started=0)),  # never detected: left out
            incident("d", impact=impact(detected=3)),  # no start: left out
            incident("e"),
        ],
    )
    assert insights.incidents == 5
    assert insights.time_to_detect == SpanStats(minutes(7), minutes(7), measured=2, missing=3)


def test_mttr_runs_to_resolution_and_to_mitigation_only_while_unresolved() -> None:
    insights = insights_of(
        [
            # Resolved: mitigation is not the end of recovery.
            incident("a", impact=impact(started=0, mitigated=30, resolved=100)),
            # Not resolved yet: measured to mitigation, and counted as such.
            incident("b", impact=impact(started=0, mitigated=50)),
            incident("c", impact=impact(started=0, resolved=60)),
            incident("d", impact=impact(started=0, detected=5)),  # neither: missing
        ],
    )
    assert insights.time_to_recover == SpanStats(minutes(60), minutes(70), measured=3, missing=1)
    assert insights.recovered_at_mitigation == 1


def test_time_to_draft_counts_from_the_date_and_time_to_publish_from_the_end_of_impact() -> None:
    day = dt.date(2025, 3, 1)
    two_days_later = dt.datetime(2025, 3, 3, 9, tzinfo=dt.timezone.utc)
    insights = insights_of(
        [
            # Resolved two days after it started: published 10 days after that, not 12.
            incident("a", day, drafted=day + dt.timedelta(days=2), published=day.replace(day=13),
                     impact=Impact(started=T0, resolved=two_days_later)),
            incident("b", day, drafted=day + dt.timedelta(days=5)),  # not published yet
            # Never resolved nor mitigated: from the incident's date.
            incident("c", day, drafted=day + dt.timedelta(days=1), published=day.replace(day=21)),
            incident("d", day, drafted=day + dt.timedelta(days=2)),
            incident("e", day),
        ],
    )  # fmt: skip
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
    insights = insights_of(
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
                FollowUp("busy and late", due=TODAY - day, status="in-progress"),
            )),
        ],
    )  # fmt: skip
    assert insights.follow_ups == FollowUpStats(done=3, open=4, in_progress=1, wont_do=1, overdue=3)
    assert insights.follow_ups.closure_rate == pytest.approx(3 / 8)


def test_closure_rate_is_unknown_without_done_or_open_follow_ups() -> None:
    only_dropped = incident("a", follow_ups=(FollowUp("x", status="wont-do"),))
    assert insights_of([only_dropped]).follow_ups.closure_rate is None
    assert insights_of([]).follow_ups.closure_rate is None


# --- Recurrence --------------------------------------------------------------------------


def test_recurrence_window_includes_exactly_90_days_and_excludes_91() -> None:
    start = dt.date(2025, 1, 1)
    incidents = [
        incident("first", start, contributors=factors("no-canary", "stale-runbook")),
        incident("day-90", start + dt.timedelta(days=90), contributors=factors("no-canary")),
        incident("day-91", start + dt.timedelta(days=91), contributors=factors("stale-runbook")),
    ]
    found = recurrence(incidents)
    assert found.window_days == 90
    assert [(g.value, g.pair_count, [(p.earlier.id, p.later.id, p.days) for p in g.newest_pairs])
            for g in found.by_factor] == [("no-canary", 1, [("first", "day-90", 90)])]  # fmt: skip
    assert found.repeats == {"day-90"}
    assert found.rate == pytest.approx(1 / 3)


def test_shared_services_tags_and_mitigator_factors_are_no_recurrence() -> None:
    day = dt.date(2025, 1, 1)
    incidents = [
        incident("a", day, services=("api",), tags=("configuration",),
                 mitigators=factors("kill-switch"), contributors=(Factor("plain text"),)),
        incident("b", day + dt.timedelta(days=3), services=("api",), tags=("configuration",),
                 mitigators=factors("kill-switch"), contributors=(Factor("plain text"),)),
    ]  # fmt: skip
    found = recurrence(incidents)
    assert (found.by_factor, found.repeats, found.rate) == ((), frozenset(), 0.0)
    assert recurrence([]).rate is None


def test_recurring_groups_count_pairs_and_incidents_newest_first_most_pairs_first() -> None:
    incidents = [
        incident("c", dt.date(2025, 3, 1), contributors=factors("db-failover", "no-canary")),
        incident("a", dt.date(2025, 1, 1), contributors=factors("db-failover")),
        incident("b", dt.date(2025, 2, 1), contributors=factors("db-failover", "no-canary")),
        incident("old", dt.date(2024, 1, 1), contributors=factors("db-failover", "capacity")),
        incident("lone", dt.date(2025, 2, 1), contributors=factors("capacity")),
    ]
    found = recurrence(incidents)
    assert [
        (
            g.value,
            g.pair_count,
            g.incident_count,
            [(p.earlier.id, p.later.id) for p in g.newest_pairs],
        )
        for g in found.by_factor
    ] == [
        ("db-failover", 3, 3, [("b", "c"), ("a", "c"), ("a", "b")]),  # "old" is a year before
        ("no-canary", 1, 2, [("b", "c")]),
    ]
    assert found.factors_not_shown == 0
    assert found.repeats == {"b", "c"}  # "a" repeats nothing within 90 days; "old" neither


def test_recurrence_of_counts_as_a_repeat_only_within_the_window() -> None:
    original = incident("original", dt.date(2025, 1, 1))
    incidents = [
        original,
        incident("soon", dt.date(2025, 3, 1), recurrence_of="original"),  # 59 days
        incident("late", dt.date(2025, 6, 1), recurrence_of="original"),  # 151 days
        incident("orphan", dt.date(2025, 6, 2), recurrence_of="not-counted"),
    ]
    found = recurrence(incidents)
    assert found.repeats == {"soon"}
    assert found.marked_count == 3  # listed at any distance, counted in the rate within 90


def brute_force_pairs(incidents: list[Incident], factor: str) -> list[tuple[str, str]]:
    """Every pair of `factor`, the obvious quadratic way, newest first (later, then earlier)."""
    members = sorted(
        (i for i in incidents if factor in {c.factor for c in i.contributors}),
        key=lambda i: (i.date, i.id),
    )
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
                 contributors=factors(*rng.sample(["a", "b", "c", "d", "e"], 2)))
        for n in range(300)
    ]  # fmt: skip
    found = recurrence(incidents, pairs_shown=7)
    groups = found.by_factor
    assert {g.value for g in groups} == {"a", "b", "c", "d", "e"}
    repeats = set()
    for group in groups:
        expected = brute_force_pairs(incidents, group.value)
        assert group.pair_count == len(expected)
        assert group.incident_count == len({i for pair in expected for i in pair})
        assert [(p.earlier.id, p.later.id) for p in group.newest_pairs] == expected[:7]
        assert group.pairs_not_shown == len(expected) - 7
        repeats |= {later for _, later in expected}
    assert [g.pair_count for g in groups] == sorted((g.pair_count for g in groups), reverse=True)
    assert found.repeats == repeats


def test_page_lists_only_the_newest_pairs_of_a_factor_and_counts_the_rest() -> None:
    start = dt.date(2025, 1, 1)
    # Eight incidents ten days apart: every two of them are within 90 days, 28 pairs.
    incidents = [
        incident(f"api-{n}", start + dt.timedelta(days=10 * n), contributors=factors("no-canary"))
        for n in range(8)
    ]
    group = recurrence(incidents).by_factor[0]
    assert (group.pair_count, group.incident_count) == (28, 8)
    assert len(group.newest_pairs) == RECURRENCE_PAIRS_SHOWN == 5
    assert [(p.earlier.id, p.later.id) for p in group.newest_pairs] == [
        ("api-6", "api-7"), ("api-5", "api-7"), ("api-4", "api-7"), ("api-3", "api-7"),
        ("api-2", "api-7"),
    ]  # fmt: skip
    page = insights_markdown(incidents)
    row = next(line for line in page.splitlines() if line.startswith("| [no-canary]"))
    assert row.startswith("| [no-canary](../factors/no-canary/index.md) | 28 | 8 | [Api-6]")
    assert row.count(" → ") == 5
    assert row.endswith("(2025-03-12, 50 days later)<br>and 23 more |")
    assert "[Api-1]" not in row
    assert "7 of 8 incidents (88 %) repeat an earlier one within 90 days." in page


def test_page_lists_the_factors_with_the_most_pairs_and_counts_the_others() -> None:
    extra = 3
    start = dt.date(2025, 1, 1)
    # Factor number n has n + 2 incidents a day apart: (n + 2)(n + 1)/2 pairs, more each n.
    incidents = [
        incident(f"f{n:02d}-{k}", start + dt.timedelta(days=k), contributors=factors(f"f{n:02d}"))
        for n in range(RECURRENCE_GROUPS_SHOWN + extra)
        for k in range(n + 2)
    ]
    found = recurrence(incidents)
    assert [g.value for g in found.by_factor] == [
        f"f{n:02d}" for n in reversed(range(extra, RECURRENCE_GROUPS_SHOWN + extra))
    ]  # most pairs first; f00, f01 and f02, with the fewest, are left out
    assert found.by_factor[0].pair_count == 24 * 23 // 2
    assert found.factors_not_shown == extra
    page = insights_markdown(incidents)
    assert "And 3 more factors with recurring pairs, not listed." in page
    assert "[f00]" not in page and "[f03]" in page
    assert recurrence(incidents, groups_shown=22).factors_not_shown == 1


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


# --- The types rule ----------------------------------------------------------------------


def test_only_the_configured_types_count_in_each_figure() -> None:
    late = FollowUp("late", due=TODAY - dt.timedelta(days=1))
    incidents = [
        incident("ours", impact=impact(started=0, resolved=10), follow_ups=(late,),
                 contributors=factors("no-canary")),
        incident("near", type="near-miss", impact=impact(started=0, resolved=500),
                 follow_ups=(late,), contributors=factors("no-canary")),
        incident("drill", type="game-day", impact=impact(started=0, resolved=900),
                 follow_ups=(late,), contributors=factors("no-canary")),
        incident("theirs", type="external", impact=impact(started=0, resolved=700),
                 follow_ups=(late,), contributors=factors("no-canary")),
    ]  # fmt: skip
    insights = insights_of(incidents)
    assert insights.incidents == 2  # incident and near miss
    assert insights.time_to_recover == SpanStats(minutes(10), minutes(10), 1, 0)
    assert insights.follow_ups.open == 2
    assert insights.recurrence.incidents == 2 and insights.recurrence.repeats == {"ours"}
    assert sum(period.total for period in insights.monthly.periods) == 2
    assert (insights.counted_types, insights.timed_types) == (("incident", "near-miss"),
                                                              ("incident",))  # fmt: skip


# --- Trends ------------------------------------------------------------------------------


def test_monthly_trend_covers_24_months_ending_at_the_build_date_across_years() -> None:
    incidents = [
        incident("new", dt.date(2025, 2, 10), severity="SEV-1"),
        incident("same-month", dt.date(2025, 2, 1), severity="SEV-3"),
        incident("first-month", dt.date(2024, 2, 29), severity="SEV-3"),
        incident("too-old", dt.date(2024, 1, 31), severity="SEV-1"),
    ]
    # A year after the latest incident: the months since are shown, empty, up to today.
    trend = monthly_trend(incidents, SEVERITIES, dt.date(2026, 1, 15))
    labels = [period.label for period in trend.periods]
    assert len(labels) == 24
    assert labels[0] == "2024-02" and labels[-1] == "2026-01"
    assert labels[10:13] == ["2024-12", "2025-01", "2025-02"]
    counts = {period.label: period.counts for period in trend.periods}
    assert counts["2025-02"] == {"SEV-1": 1, "SEV-2": 0, "SEV-3": 1, "SEV-4": 0}
    assert counts["2024-02"] == {"SEV-1": 0, "SEV-2": 0, "SEV-3": 1, "SEV-4": 0}
    assert sum(period.total for period in trend.periods) == 3  # "too-old" is outside


def test_yearly_trend_keeps_empty_years_up_to_the_build_date_and_other_severities() -> None:
    incidents = [
        incident("a", dt.date(2021, 5, 1), severity="SEV-2"),
        incident("b", dt.date(2023, 5, 1), severity="SEV-0"),
    ]
    insights = insights_of(incidents)
    assert insights.yearly.severities == (*SEVERITIES, "SEV-0")
    assert [(p.label, p.total) for p in insights.yearly.periods] == [
        ("2021", 1), ("2022", 0), ("2023", 1), ("2024", 0), ("2025", 0), ("2026", 0),
    ]  # fmt: skip
    assert insights.yearly.periods[2].counts["SEV-0"] == 1
    assert yearly_trend([], SEVERITIES, TODAY).periods == ()
    assert monthly_trend([], SEVERITIES, TODAY).periods == ()


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


def category_labels(figure: ET.Element) -> list[tuple[float, str]]:
    """(x, text) of the labels under the bars: the texts on the lowest line."""
    texts = [
        (float(t.attrib["y"]), float(t.attrib["x"]), t.text or "") for t in figure.iter("text")
    ]
    bottom = max(y for y, _, _ in texts)
    return [(x, text) for y, x, text in texts if y == bottom]


def test_a_chart_keeps_its_width_and_thins_labels_to_fit_keeping_the_newest() -> None:
    months = [f"{2024 + n // 12}-{n % 12 + 1:02d}" for n in range(24)]
    figure = parse_chart(stacked_bar_chart(
        chart_id="c", title="t", description="d", categories=months,
        series=[Series("SEV-1", tuple(range(24)))], label_strides=MONTH_LABEL_STRIDES,
    ))  # fmt: skip
    svg = figure.find("svg")
    assert svg is not None and svg.attrib["width"] == str(CHART_WIDTH)
    labels = category_labels(figure)
    # Every sixth month, counted back from the last: half years, ending at the newest.
    assert [text for _, text in labels] == ["2024-06", "2024-12", "2025-06", "2025-12"]
    assert all(0 <= x <= CHART_WIDTH for x, _ in labels)
    # Ten years need no thinning rules from the caller: any spacing that leaves room.
    years = [str(year) for year in range(2000, 2030)]
    figure = parse_chart(stacked_bar_chart(
        chart_id="c", title="t", description="d", categories=years,
        series=[Series("SEV-1", (1,) * 30)],
    ))  # fmt: skip
    labels = category_labels(figure)
    assert labels[-1][1] == "2029"
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(labels)]
    assert min(gaps) >= 4 * 7  # four characters of the widest estimate apart, at least


def test_a_chart_legend_wraps_onto_more_rows_inside_the_drawing() -> None:
    names = [f"severity level {n}" for n in range(6)]
    figure = parse_chart(stacked_bar_chart(
        chart_id="c", title="t", description="d", categories=["a"],
        series=[Series(name, (1,)) for name in names],
    ))  # fmt: skip
    legend = [t for t in figure.iter("text") if (t.text or "").startswith("severity")]
    rows = sorted({float(t.attrib["y"]) for t in legend})
    assert len(rows) > 1
    for text in legend:
        assert float(text.attrib["x"]) + len(text.text or "") * 6 <= CHART_WIDTH


# --- Page --------------------------------------------------------------------------------


def test_page_escapes_yaml_values_and_embeds_the_charts_with_their_tables() -> None:
    incidents = [
        incident("a", dt.date(2025, 1, 1), title="<img src=x onerror=alert(1)>",
                 contributors=factors("<f>"), impact=impact(started=0, mitigated=9)),
        incident("b", dt.date(2025, 2, 1), contributors=factors("<f>"), severity="<b>SEV</b>"),
    ]  # fmt: skip
    page = insights_markdown(incidents)
    assert "<img" not in page and "<f>" not in page and "<b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "[&lt;f&gt;](../factors/f/index.md)" in page
    assert page.count('<figure class="pmkb-chart"') == 2
    # Each chart's numbers a click away, in a table under it.
    assert page.count('<details class="pmkb-chart-data">') == 2
    assert "<summary>Incidents per month, as a table</summary>" in page
    assert '<tr><td>2025-02</td><td align="right">0</td>' in page
    assert '<th align="right">&lt;b&gt;SEV&lt;/b&gt;</th>' in page
    assert "1 incident is not resolved yet and\nis measured to mitigation instead." in page
    assert "[Actions](../actions/index.md)" in page
    assert "Time to publish runs from the end of impact" in page


def test_page_without_incidents_says_so_and_has_no_chart() -> None:
    page = insights_markdown([])
    assert "<figure" not in page
    assert "No incidents yet." in page


# --- Size as the library grows ----------------------------------------------------------


def synthetic_incidents(count: int) -> list[Incident]:
    """`count` incidents over five years: 40 services, 60 tags, 60 factors, a recurrence_of
    in ten."""
    rng = random.Random(11)
    services = [f"service-{n}" for n in range(40)]
    tags = [f"tag-{n}" for n in range(60)]
    factor_ids = [f"factor-{n}" for n in range(60)]
    return [
        incident(
            f"incident-{n:05d}",
            dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(5 * 365)),
            title=f"Connection pool of service {n} ran out of connections under load",
            severity=rng.choice(SEVERITIES),
            services=tuple(rng.sample(services, rng.randint(1, 3))),
            tags=tuple(rng.sample(tags, 2)),
            contributors=factors(*rng.sample(factor_ids, 2)),
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
    assert sum(g.pair_count for g in found.by_factor) > 15_000  # of the 20 factors shown
    assert found.factors_not_shown > 0 and found.marked_not_shown > 0  # every cap applies
    page = insights_markdown(incidents)
    assert len(page.encode()) < 100_000
    assert "have: 4000 incidents (every status)" in page


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
