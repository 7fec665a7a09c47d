"""The KPI page's numbers on hand-made incidents with hand-computed answers: nearest-rank
percentiles, "too few", time to publish from the end of impact, the types rule, closure on
schedule, the age of open follow-ups, the Current and Trend windows, the severity shares;
and the page showing them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from postmortem_kb.core.model import Factor, FollowUp, Impact, Incident
from postmortem_kb.core.settings import Settings, type_rules
from postmortem_kb.core.urls import KPI_URI
from postmortem_kb.site.kpi import (
    CLOSED_LATE,
    LACKING,
    NOT_DUE,
    ON_TIME,
    OPEN_LATE,
    Closure,
    Distribution,
    KpiRow,
    Measurement,
    closure,
    compute_kpis,
    distribution,
    end_of_impact,
    follow_up_outcome,
    kpi_pages,
    nearest_rank,
    open_by_age,
    time_to_publish,
    windows,
)
from postmortem_kb.site.render import PageRenderer

TODAY = dt.date(2026, 11, 23)
DAY = dt.timedelta(days=1)
T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.timezone.utc)


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def incident(incident_id: str, date: dt.date = dt.date(2026, 11, 1), **fields: Any) -> Incident:
    fields.setdefault("severity", "SEV-2")
    fields.setdefault("title", incident_id.title())
    return Incident(id=incident_id, source=f"postmortems/{incident_id}.md", date=date, **fields)


def resolved_after(n: float, day: dt.date = dt.date(2026, 11, 1), **fields: Any) -> Impact:
    """Impact starting at noon on `day`, resolved `n` minutes later."""
    start = dt.datetime.combine(day, dt.time(12), dt.timezone.utc)
    return Impact(started=start, resolved=start + minutes(n), **fields)


def settings(**options: Any) -> Settings:
    return Settings(source_dir=Path("postmortems"), build_date=TODAY, **options)


# --- Nearest-rank percentiles -----------------------------------------------------------


def test_nearest_rank_takes_the_value_at_the_rounded_up_rank() -> None:
    ten = list(range(1, 11))
    assert (nearest_rank(ten, 50), nearest_rank(ten, 90)) == (5, 9)  # ranks 5 and 9
    seven = sorted([3, 1, 4, 1, 5, 9, 2])  # 1 1 2 3 4 5 9
    assert (nearest_rank(seven, 50), nearest_rank(seven, 90)) == (3, 9)  # ranks 4 and 7
    assert nearest_rank([7], 50) == nearest_rank([7], 90) == 7
    assert nearest_rank([1, 2], 0) == 1  # rank 0 is the first value


def test_five_measured_give_p50_and_p90_and_missing_spans_lack_data() -> None:
    spans = [minutes(50), None, minutes(10), minutes(40), minutes(20), None, minutes(30)]
    # Sorted 10 20 30 40 50: p50 is rank ⌈2.5⌉ = 3 (30), p90 rank ⌈4.5⌉ = 5 (50).
    assert distribution(spans) == Distribution(5, 2, minutes(30), minutes(50))
    six = [minutes(n) for n in (6, 1, 5, 2, 4, 3)]
    # p50 rank ⌈3⌉ = 3 (3, not the mean of 3 and 4), p90 rank ⌈5.4⌉ = 6 (6).
    assert distribution(six) == Distribution(6, 0, minutes(3), minutes(6))


def test_four_measured_are_too_few_for_any_percentile() -> None:
    found = distribution([minutes(1), minutes(2), minutes(3), minutes(4), None])
    assert found == Distribution(measured=4, lacking=1)
    assert found.too_few and found.p50 is None and found.p90 is None


# --- Time to publish ---------------------------------------------------------------------


def test_time_to_publish_runs_from_the_end_of_impact() -> None:
    day = dt.date(2026, 3, 1)
    noon = dt.datetime(2026, 3, 3, 12, tzinfo=dt.timezone.utc)
    resolved = incident("r", day, published=dt.date(2026, 3, 13),
                        impact=Impact(mitigated=noon - DAY, resolved=noon))  # fmt: skip
    mitigated = incident("m", day, published=dt.date(2026, 3, 13), impact=Impact(mitigated=noon))
    dated = incident("d", day, published=dt.date(2026, 3, 13))
    assert [end_of_impact(i) for i in (resolved, mitigated, dated)] == [
        dt.date(2026, 3, 3), dt.date(2026, 3, 3), day,
    ]  # fmt: skip
    assert time_to_publish(resolved) == 10 * DAY  # not 12 days from the incident's date
    assert time_to_publish(mitigated) == 10 * DAY
    assert time_to_publish(dated) == 12 * DAY
    assert time_to_publish(incident("unpublished", day, impact=Impact(resolved=noon))) is None
    # Published before impact ended: contradictory dates lack data rather than count as 0.
    early = incident("early", day, published=dt.date(2026, 3, 2), impact=Impact(resolved=noon))
    assert time_to_publish(early) is None


# --- The types rule ---------------------------------------------------------------------


def test_types_out_of_metrics_are_out_of_durations_closure_and_counts() -> None:
    late = FollowUp("late", due=TODAY - 10 * DAY)
    on_time = FollowUp("x", due=TODAY - 10 * DAY, status="done", closed=TODAY - 20 * DAY)
    incidents = [
        *(incident(f"i{n}", impact=resolved_after(10 * (n + 1)), follow_ups=(on_time,))
          for n in range(5)),
        # Counted and with follow-ups, never timed.
        incident("near", type="near-miss", impact=resolved_after(1000), follow_ups=(late,)),
        # Own list only: neither timed nor counted, follow-ups not in closure.
        incident("drill", type="game-day", impact=resolved_after(2000), follow_ups=(late,)),
        incident("theirs", type="external", severity="SEV-1", impact=resolved_after(3000),
                 follow_ups=(late,), company="Example", source_url="https://example.com/pm"),
    ]  # fmt: skip
    report = compute_kpis(incidents, settings())
    mttr = next(d for d in report.durations if d.kpi.key == "mttr")
    # 10 20 30 40 50 minutes: the near miss's 1000 would be p90, the others more.
    assert mttr.overall == Distribution(5, 0, minutes(30), minutes(50))
    assert (report.counted, report.timed, report.closure_incidents) == (6, 5, 6)
    assert report.closure == Closure(on_time=5, open_late=1)  # the near miss's late one only
    assert report.counted_types == ("incident", "near-miss")
    assert report.timed_types == ("incident",)
    assert report.severe_by_trigger[0].incidents == 6  # no game day, no external
    assert sum(bucket.total for bucket in report.age) == 1
    # Configured in: near misses now count in the durations too.
    timed_near_misses = settings(types=type_rules({"near-miss": {"metrics": True}}))
    mttr = next(d for d in compute_kpis(incidents, timed_near_misses).durations
                if d.kpi.key == "mttr")  # fmt: skip
    assert (mttr.overall.measured, mttr.overall.p90) == (6, minutes(1000))


def test_durations_are_split_by_severity_trigger_and_service_with_lacking_data() -> None:
    incidents = [
        *(incident(f"a{n}", severity="SEV-1", trigger="deployment", services=("api", "db"),
                   impact=resolved_after(n + 1)) for n in range(5)),
        incident("b", severity="SEV-3", services=("db",), impact=Impact(started=T0)),
    ]  # fmt: skip
    mttr = next(d for d in compute_kpis(incidents, settings()).durations if d.kpi.key == "mttr")
    rows = {(row.dimension, row.value): row.distribution for row in mttr.splits}
    assert list(rows) == [
        ("Severity", "SEV-1"), ("Severity", "SEV-3"), ("Trigger", "deployment"),
        ("Trigger", "(no trigger)"), ("Service", "api"), ("Service", "db"),
    ]  # fmt: skip
    assert rows["Severity", "SEV-1"] == Distribution(5, 0, minutes(3), minutes(5))
    assert rows["Severity", "SEV-3"] == Distribution(0, 1)  # never resolved: lacks data
    assert rows["Service", "db"] == Distribution(5, 1, minutes(3), minutes(5))
    assert mttr.overall == Distribution(5, 1, minutes(3), minutes(5))


def test_severe_shares_by_trigger_and_by_contributing_factor() -> None:
    canary = Factor("pushed everywhere at once", kind="process", factor="no-canary")
    incidents = [
        incident("a", severity="SEV-1", trigger="configuration", contributors=(canary,)),
        incident("b", severity="SEV-2", trigger="configuration", contributors=(canary,)),
        incident("c", severity="SEV-3", trigger="configuration",
                 contributors=(canary, Factor("no factor id"))),
        incident("d", severity="SEV-4", trigger="capacity",
                 mitigators=(Factor("a mitigator", factor="no-canary"),)),
    ]  # fmt: skip
    report = compute_kpis(incidents, settings())
    assert report.severe_levels == ("SEV-1", "SEV-2")
    assert [(s.value, s.incidents, s.severe) for s in report.severe_by_trigger] == [
        ("configuration", 3, 2), ("capacity", 1, 0),
    ]  # fmt: skip
    # Contributors only: a mitigator naming the factor did not make anything worse.
    [factor] = report.severe_by_factor
    assert (factor.value, factor.incidents, factor.severe) == ("no-canary", 3, 2)
    assert factor.share == pytest.approx(2 / 3)


# --- Follow-ups --------------------------------------------------------------------------


def test_closure_on_schedule_compares_closed_with_due_and_never_guesses() -> None:
    due = TODAY - 5 * DAY
    cases = {
        "closed before due": (FollowUp("a", due=due, status="done", closed=due - DAY), ON_TIME),
        "closed on the day": (FollowUp("b", due=due, status="done", closed=due), ON_TIME),
        "closed late": (FollowUp("c", due=due, status="done", closed=due + DAY), CLOSED_LATE),
        "open past due": (FollowUp("d", due=due), OPEN_LATE),
        "in progress past due": (FollowUp("e", due=due, status="in-progress"), OPEN_LATE),
        "due today": (FollowUp("f", due=TODAY, status="in-progress"), NOT_DUE),
        # A v1 `done` has no `closed`: lacking data, never late, even long past due.
        "v1 done": (FollowUp("g", due=dt.date(2019, 1, 1), status="done"), LACKING),
        "open without due": (FollowUp("h"), LACKING),
        "done without due": (FollowUp("i", status="done", closed=due), LACKING),
        "dropped": (FollowUp("j", due=due, status="wont-do"), None),
    }
    assert {name: follow_up_outcome(f, TODAY) for name, (f, _) in cases.items()} == {
        name: outcome for name, (_, outcome) in cases.items()
    }
    found = closure((f for f, _ in cases.values()), TODAY)
    assert found == Closure(on_time=2, closed_late=1, open_late=2, not_due=1, lacking=3)
    assert found.rate == pytest.approx(2 / 5)
    assert Closure(lacking=3).rate is None


def test_open_follow_ups_are_bucketed_by_the_age_of_their_incident() -> None:
    def aged(days: int, *follow_ups: FollowUp) -> Incident:
        return incident(f"age-{days}", TODAY - days * DAY, follow_ups=follow_ups)

    overdue = FollowUp("late", due=TODAY - DAY)
    incidents = [
        aged(0, FollowUp("new"), FollowUp("busy", status="in-progress")),
        aged(30, overdue),
        aged(31, FollowUp("x", due=TODAY + DAY)),
        aged(90, FollowUp("done", status="done"), FollowUp("dropped", status="wont-do")),
        aged(91, FollowUp("y", status="in-progress", due=TODAY - DAY)),
        aged(365, FollowUp("z")),
        aged(366, overdue, overdue),
    ]
    assert [(b.label, b.open, b.in_progress, b.overdue) for b in open_by_age(incidents, TODAY)] == [
        ("0\u201330", 2, 1, 1), ("31\u201390", 1, 0, 0), ("91\u2013180", 0, 1, 1),
        ("181\u2013365", 1, 0, 0), ("366+", 2, 0, 2),
    ]  # fmt: skip


# --- Current and trend --------------------------------------------------------------------


def test_windows_are_90_days_each_the_newest_ending_on_the_build_date() -> None:
    current, previous, older = windows(TODAY, 3)
    assert (current.first, current.last) == (TODAY - 89 * DAY, TODAY)
    assert (previous.first, previous.last) == (TODAY - 179 * DAY, TODAY - 90 * DAY)
    assert older.last == TODAY - 180 * DAY
    assert TODAY - 89 * DAY in current and TODAY - 90 * DAY not in current
    assert TODAY - 90 * DAY in previous


def test_current_and_previous_windows_split_incidents_by_date_at_the_build_date() -> None:
    current_first, previous_last = TODAY - 89 * DAY, TODAY - 90 * DAY
    incidents = [
        # Current: 5 incidents resolved after 10, 20, 30, 40, 50 minutes; median 30.
        *(incident(f"now{n}", current_first + n * DAY, impact=resolved_after(10 * (n + 1)))
          for n in range(5)),
        # Previous: 5 incidents resolved after 100 … 500 minutes; median 300.
        *(incident(f"then{n}", previous_last - n * DAY, impact=resolved_after(100 * (n + 1)))
          for n in range(5)),
        # Before both windows: only in All time.
        incident("old", TODAY - 400 * DAY, impact=resolved_after(9000)),
    ]  # fmt: skip
    report = compute_kpis(incidents, settings(kpi_targets={"mttr": 1.0, "mttd": 0.1}))
    mttr = next(row for row in report.rows if row.key == "mttr")
    assert mttr.current == Measurement(0.5, "30 min")
    assert mttr.previous == Measurement(5.0, "5 h 00 min")
    # All 11: 10 … 50, 100 … 500, 9000 minutes; p50 is rank ⌈5.5⌉ = 6: 100 minutes.
    assert mttr.all_time == Measurement(100 / 60, "1 h 40 min")
    assert (mttr.target, mttr.target_text, mttr.met, mttr.trend) == (1.0, "1 h 00 min", True,
                                                                     "better")  # fmt: skip
    mttd = next(row for row in report.rows if row.key == "mttd")
    assert mttd.current.value is None and mttd.current.text == "no incident measured"
    assert (mttd.met, mttd.trend) == (None, None)


def test_too_few_incidents_in_a_window_have_no_current_value() -> None:
    incidents = [incident(f"i{n}", TODAY - n * DAY, impact=resolved_after(n + 1)) for n in range(4)]
    mttr = next(row for row in compute_kpis(incidents, settings()).rows if row.key == "mttr")
    assert mttr.current == Measurement(None, "too few (4 measured)")


def test_target_met_and_trend_follow_the_direction_of_each_kpi() -> None:
    def row(lower_is_better: bool, now: float | None, before: float | None) -> KpiRow:
        return KpiRow("k", "K", "", lower_is_better, 0.5, "", Measurement(now, ""),
                      Measurement(before, ""), Measurement(None, ""))  # fmt: skip

    assert (row(True, 0.4, 0.6).met, row(True, 0.4, 0.6).trend) == (True, "better")
    assert (row(True, 0.6, 0.4).met, row(True, 0.6, 0.4).trend) == (False, "worse")
    assert (row(False, 0.6, 0.4).met, row(False, 0.6, 0.4).trend) == (True, "better")
    assert (row(False, 0.4, 0.6).met, row(False, 0.4, 0.6).trend) == (False, "worse")
    assert row(True, 0.5, 0.5).trend == "same" and row(True, 0.5, 0.5).met
    assert row(True, None, 0.5).trend is None and row(True, None, 0.5).met is None


def test_closure_and_recurrence_rates_per_window() -> None:
    canary = (Factor("no canary", factor="no-canary"),)
    incidents = [
        incident("a", TODAY - 10 * DAY, contributors=canary, follow_ups=(
            FollowUp("on time", due=TODAY - 5 * DAY, status="done", closed=TODAY - 6 * DAY),
            FollowUp("late", due=TODAY - 5 * DAY),
            FollowUp("v1 done", due=TODAY - 5 * DAY, status="done"),
        )),
        # 95 days before "a": the previous window; repeats nothing within 90 days.
        incident("b", TODAY - 105 * DAY, contributors=canary, follow_ups=(
            FollowUp("on time", due=TODAY - 100 * DAY, status="done", closed=TODAY - 100 * DAY),
        )),
        # Repeats "a" by factor, 5 days later.
        incident("c", TODAY - 5 * DAY, contributors=canary),
        # Marked as a recurrence of "b", 20 days later: in the previous window.
        incident("d", TODAY - 85 * DAY, recurrence_of="b"),
    ]  # fmt: skip
    rows = {row.key: row for row in compute_kpis(incidents, settings()).rows}
    on_time = rows["follow_up_on_time"]
    assert (on_time.current.value, on_time.current.text) == (0.5, "50 % (1 of 2)")
    assert on_time.previous.text == "100 % (1 of 1)"
    assert (on_time.trend, on_time.lower_is_better) == ("worse", False)
    recurring = rows["recurrence_rate"]
    # Current: a, c, d (d is 85 days ago); c and d recur.
    assert recurring.current.text == "67 % (2 of 3)"
    assert recurring.previous.text == "0 % (0 of 1)"
    assert recurring.all_time.text == "50 % (2 of 4)"


# --- The page ----------------------------------------------------------------------------


def kpi_markdown(incidents: list[Incident], **options: Any) -> str:
    return kpi_pages(incidents, PageRenderer(), settings(**options))[KPI_URI].resolved()


def test_page_shows_targets_percentiles_and_too_few() -> None:
    incidents = [
        *(incident(f"i{n}", TODAY - n * DAY, severity="SEV-1", impact=resolved_after(10 * (n + 1)),
                   services=("<api>",)) for n in range(5)),
        incident("lone", TODAY - DAY, severity="SEV-3", impact=resolved_after(7)),
    ]  # fmt: skip
    page = kpi_markdown(incidents, kpi_targets={"mttr": 0.5, "follow_up_on_time": 0.8})
    # 7, 10, 20, 30, 40, 50 minutes: p50 is rank 3 (20), p90 rank ⌈5.4⌉ = 6 (50).
    assert "| **MTTR** | 30 min | 20 min | met |" in page
    assert "| **Follow-ups closed on schedule** | 80 % | no data | \u2013 |" in page
    assert "| **Overall** | 20 min | 50 min | 6 | 0 |" in page
    assert "| Severity: SEV-1 | 30 min | 50 min | 5 | 0 |" in page
    assert "| Severity: SEV-3 | too few | too few | 1 | 0 |" in page
    assert "| Service: &lt;api&gt; | 30 min | 50 min | 5 | 0 |" in page
    assert "<api>" not in page
    assert "2026-08-26 to 2026-11-23" in page and "2026-05-28 to 2026-08-25" in page
    assert page.count('<figure class="pmkb-chart"') == 3
    assert page.count('<details class="pmkb-chart-data">') == 3
