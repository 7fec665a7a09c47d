"""What an incident page shows at a glance (`site/incident_view.py`): plain data in, the words
and numbers the header band, the phase band and the timeline print out."""

from __future__ import annotations

import datetime as dt

import pytest

from postmortem_kb.core.model import Impact, ImpactPhase, PublicTimelineEntry, TimelineEntry
from postmortem_kb.site import incident_view as view

UTC = dt.timezone.utc
DAY = dt.date(2024, 5, 2)
SCALE = ("SEV-1", "SEV-2", "SEV-3", "SEV-4", "SEV-5")


def at(hour: int, minute: int = 0, day: int = 2, tz: dt.tzinfo = UTC) -> dt.datetime:
    return dt.datetime(2024, 5, day, hour, minute, tzinfo=tz)


def test_the_scale_gives_the_rank_and_the_lowest_levels_share_a_colour() -> None:
    assert [view.severity_rank(level, SCALE) for level in SCALE] == [1, 2, 3, 4, 5]
    assert view.severity_rank("P0", SCALE) == 6  # unknown: after the scale
    assert [view.severity_tone(level, SCALE) for level in SCALE] == [1, 2, 3, 4, 4]


def test_a_window_within_the_day_shows_times_and_each_span_says_what_it_measures() -> None:
    window = view.impact_window(
        Impact(started=at(14, 2), detected=at(14, 6), mitigated=at(16), resolved=at(18, 15)), DAY
    )
    assert window.text == "14:02\u201318:15 UTC"
    assert window.duration is not None and window.duration.label == (
        "4 h 13 min from start to resolved"
    )
    assert [span.label for span in window.spans] == [
        "4 min from start to detected",
        "1 h 58 min from start to mitigated",
        "4 h 13 min from start to resolved",
    ]
    assert window.derived == ""


def test_without_resolution_the_duration_runs_to_mitigation() -> None:
    window = view.impact_window(Impact(started=at(10), mitigated=at(11, 30)), DAY)
    assert window.text == "10:00\u201311:30 UTC"
    assert window.duration is not None and window.duration.what == "from start to mitigated"


def test_a_window_across_days_names_them_and_derived_ends_say_where_from() -> None:
    impact = Impact(started=at(21, 5), resolved=at(16, day=4), derived=("started", "resolved"))
    window = view.impact_window(impact, DAY)
    assert window.text == "21:05 2 May \u2013 16:00 4 May UTC"
    assert window.derived == (
        "started derived from the start of the first impact phase; "
        "resolved derived from the end of the last impact phase"
    )
    assert window.duration is not None and window.duration.length == "1 d 18 h"
    assert "started derived" in window.duration.derived


def test_a_window_keeps_the_zone_it_was_written_in() -> None:
    zone = dt.timezone(dt.timedelta(hours=2))
    window = view.impact_window(Impact(started=at(9, tz=zone), resolved=at(10, tz=zone)), DAY)
    assert window.text == "09:00\u201310:00 UTC+02:00"


def test_no_start_no_window() -> None:
    window = view.impact_window(Impact(resolved=at(10)), DAY)
    assert (window.text, window.spans, window.duration) == ("", (), None)


def test_phases_are_laid_out_to_scale_with_gaps_and_a_phase_still_going_on() -> None:
    phases = [
        ImpactPhase("degraded", at(10), at(11)),
        ImpactPhase("outage", at(12), at(13, 30)),  # an hour's gap before it
        ImpactPhase("read-only", at(14)),  # a custom state, still going on
    ]
    band = view.phase_band(phases)
    assert [(s.x, s.width) for s in band] == [(0.0, 25.0), (50.0, 37.5), (100 - 1.0, 1.0)]
    assert [s.tone for s in band] == ["degraded", "outage", "extra-1"]
    assert [s.when for s in band] == ["10:00\u201311:00", "12:00\u201313:30", "from 14:00"]
    assert [s.duration for s in band] == ["1 h 00 min", "1 h 30 min", ""]


def test_a_short_phase_is_still_a_visible_mark_and_a_later_day_is_named() -> None:
    band = view.phase_band(
        [
            ImpactPhase("outage", at(0), at(0, 5)),
            ImpactPhase("recovering", at(0, 5), at(12, day=4)),
        ]
    )
    assert band[0].width == 1.0
    assert band[1].when == "00:05\u201312:00 4 May"


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (30, "%", "30%"),
        (1900, "changes", "1,900 changes"),
        (18.5, "hours", "18.5 hours"),
        (0.25, None, "0.25"),
        (3.0, None, "3"),
    ],
)
def test_measures_read_as_people_write_figures(value: float, unit: str | None, shown: str) -> None:
    assert view.measure_value(value, unit) == shown


def test_offsets_count_from_the_start_of_impact() -> None:
    assert view.offset_label(at(10), at(10, 17)) == "T+0:17"
    assert view.offset_label(at(10), at(8, 55)) == "T\u22121:05"
    assert view.offset_label(at(10), at(14, 10, day=4)) == "T+2d 4:10"
    assert view.offset_label(None, at(10)) == ""


def test_timeline_entries_show_their_time_as_written() -> None:
    assert view.entry_time(TimelineEntry(at(23), "e", approximate=True)) == "~23:00"
    assert view.entry_time(TimelineEntry(at(23), "e", until=at(23, 30))) == "23:00\u201323:30"
    assert view.entry_time(TimelineEntry(at(23), "e", until=at(1, day=3))) == (
        "23:00 \u2013 01:00 3 May"
    )
    assert view.entry_time(TimelineEntry(at(0), "e", date_only=True)) == ""


def test_the_timeline_is_grouped_by_day_in_its_own_order() -> None:
    entries = [
        TimelineEntry(at(9, 50), "deploy", kind="action"),
        TimelineEntry(at(10, 4), "alert", kind="alert"),
        TimelineEntry(at(0, day=3), "review", date_only=True),
        PublicTimelineEntry(at(8, day=3), "status page update"),
    ]
    days = view.timeline_days(entries, impact_start=at(10))
    assert [(day.label, day.zone, len(day.moments)) for day in days] == [
        ("Thu 2 May 2024", "UTC", 2),
        ("Fri 3 May 2024", "UTC", 2),
    ]
    assert [moment.offset for moment in days[0].moments] == ["T\u22120:10", "T+0:04"]
    assert days[1].moments[0].offset == "" and days[1].moments[0].iso == "2024-05-03"


def test_tickets_link_through_the_pattern_or_stay_text() -> None:
    pattern = "https://tracker.example/browse/{ticket}"
    assert view.ticket_href("OPS-1", pattern) == "https://tracker.example/browse/OPS-1"
    assert view.ticket_href("a b/c?", pattern) == "https://tracker.example/browse/a%20b%2Fc%3F"
    assert view.ticket_href("OPS-1", None) is None


def test_ages_read_in_days_months_then_years() -> None:
    assert [view.age_text(days) for days in (1, 12, 59, 60, 400, 730, 2063)] == [
        "1 day",
        "12 days",
        "59 days",
        "2 months",
        "13 months",
        "2 years",
        "5 years",
    ]
