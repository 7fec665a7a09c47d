"""The pieces of `pmkb import` that read what people write: dates, times, zones, durations,
headings, and the blocks of Markdown and HTML."""

from __future__ import annotations

import datetime as dt

import pytest

from postmortem_kb.importers.headings import label_kind, section_kind
from postmortem_kb.importers.html_reader import read_html
from postmortem_kb.importers.markdown_reader import read_markdown
from postmortem_kb.importers.moments import (
    numeric_date_order,
    parse_duration,
    parse_moment,
    zone_note,
)
from postmortem_kb.importers.writer import postmortem_text

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("written", "day", "clock", "offset_hours"),
    [
        ("2021-03-31 12:11 | x", dt.date(2021, 3, 31), dt.time(12, 11), None),
        ("June 14th, 2022, 10:00 AM: x", dt.date(2022, 6, 14), dt.time(10), None),
        ("21.10.2015 14:51 CET x", dt.date(2015, 10, 21), dt.time(14, 51), 1),
        ("10/21/2015 2:51 PM PDT x", dt.date(2015, 10, 21), dt.time(14, 51), -7),
        ("2015-10-21T14:51:00+02:00 x", dt.date(2015, 10, 21), dt.time(14, 51), 2),
        ("08:09 AM UTC x", None, dt.time(8, 9), 0),
        ("14h30 x", None, dt.time(14, 30), None),
        ("August 1st 2022: x", dt.date(2022, 8, 1), None, None),
    ],
)
def test_moments_in_the_usual_spellings(
    written: str, day: dt.date | None, clock: dt.time | None, offset_hours: int | None
) -> None:
    moment = parse_moment(written)
    assert moment is not None
    assert (moment.day, moment.clock) == (day, clock)
    offset = moment.zone.tzinfo.utcoffset(None) if moment.zone and moment.zone.tzinfo else None
    assert offset == (None if offset_hours is None else dt.timedelta(hours=offset_hours))


def test_what_cannot_be_read_is_a_problem_not_a_value() -> None:
    unclear = parse_moment("03/04 14:51 x")
    assert unclear is not None and unclear.day is None and unclear.month_day is None
    assert unclear.day_problem == "'03/04': day and month order unclear (3 April or 4 March)"
    zone = parse_moment("14:51 CST x")
    assert zone is not None and zone.zone is not None and zone.zone.tzinfo is None
    assert "US Central" in (zone.zone.problem or "")
    # The document's other dates settle the order: 10/21/2015 is month first.
    assert numeric_date_order(["on 10/21/2015", "and 01-20-2024"]) is False
    settled = parse_moment("03/04 14:51", day_first=False)
    assert settled is not None and settled.month_day == (3, 4)
    assert parse_moment("5 engineers joined") is None


@pytest.mark.parametrize(
    ("note", "offset_hours"),
    [
        ("All times in UTC.", 0),
        ("Timeline (all times PST)", -8),
        ("Time (CET)", 1),
        ("times are +02:00", 2),
    ],
)
def test_zone_notes(note: str, offset_hours: int) -> None:
    zone = zone_note(note)
    assert zone is not None and zone.tzinfo is not None
    assert zone.tzinfo.utcoffset(None) == dt.timedelta(hours=offset_hours)


def test_zone_notes_in_words_and_numbers_that_are_not_zones() -> None:
    japan = zone_note("Timeline (Japan time)")
    assert japan is not None and japan.tzinfo is not None
    assert japan.tzinfo.utcoffset(dt.datetime(2021, 5, 9)) == dt.timedelta(hours=9)
    assert zone_note("build-1234 took a long time") is None


@pytest.mark.parametrize(
    ("written", "minutes"),
    [
        ("5 minutes", 5),
        ("1h 24m", 84),
        ("1 hour and 24 minutes", 84),
        ("84 min", 84),
        ("1.5 hours", 90),
        ("01:24", 84),
        ("PT1H24M", 84),
    ],
)
def test_durations(written: str, minutes: int) -> None:
    assert parse_duration(written) == dt.timedelta(minutes=minutes)


def test_what_is_not_a_duration() -> None:
    assert parse_duration("???") is None
    assert parse_duration("about an hour or so") is None


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Root Casue", "root_cause"),
        ("3. ROOT CAUSE(S):", "root_cause"),
        ("Timeline (all times UTC)", "timeline"),
        ("Atendees", "attendees"),
        ("Lesons lerned", "learnings"),
        ("Lessons Learned and Future Improvements", "learnings"),
        ("Corrective and Preventative Measures", "follow_ups"),
        ("Things that went poorly", "went_wrong"),
        ("Where we got lucky", "got_lucky"),
        ("Resolution and Recovery", "resolution"),
        ("Technical details", None),
        ("FAQ", None),
    ],
)
def test_headings_by_meaning(heading: str, kind: str | None) -> None:
    assert section_kind(heading) == kind


def test_labels_of_values_win_over_sections() -> None:
    assert label_kind("Time to recovery") == ("value", "time_to_resolve")
    assert label_kind("Severity") == ("value", "severity")
    assert label_kind("Root Causes") == ("section", "root_cause")
    assert label_kind("Start of the rollback") is None


def test_markdown_blocks_keep_lists_tables_and_code_apart() -> None:
    _, blocks, _ = read_markdown(
        "- **16:58 UTC** - first\n  continued\n\n<img src='x.png'>\n\n- [x] done\n    - nested\n"
        "\n| 12:11 | a |\n| 12:21 | b |\n\n```\n22:11: in code\n```\n"
    )
    assert [block.kind for block in blocks] == ["list", "other", "list", "table", "code"]
    assert blocks[0].items[0].text == "**16:58 UTC** - first\ncontinued"
    assert (blocks[2].items[0].checked, blocks[2].items[0].children[0].text) == (True, "nested")
    assert (blocks[3].header, blocks[3].rows) == (None, [["12:11", "a"], ["12:21", "b"]])


def test_html_as_document_editors_export_it() -> None:
    page = read_html(
        "<style>.c5{font-weight:700}</style><div id='breadcrumb-section'>Home</div>"
        "<p class='title'><span>The title</span></p><p><span class='c5'>Date:</span> 2021-03-31"
        "</p><table><tr><td><p>12:11</p></td><td>Alert <a href='https://x.example/d'>fires</a>"
        "</td></tr></table><p><img src='data:image/png;base64,AAA' alt='graph'></p>"
    )
    assert [block.kind for block in page.blocks] == ["heading", "paragraph", "table", "paragraph"]
    assert page.blocks[1].text == "**Date:** 2021-03-31"
    assert page.blocks[2].rows == [["12:11", "Alert [fires](https://x.example/d)"]]
    assert page.losses and "data: URLs" in page.losses[0]


def test_written_yaml_keeps_values_as_text_and_refused_characters_out() -> None:
    text = postmortem_text(
        {
            "title": "NO",
            "date": "2021-03-31",
            "services": ["yes", "@team"],
            "summary": "line\u2028two\x07",
            "timeline": [{"at": "14:51", "event": "*x"}],
        },
        "Body",
    )
    assert "title: 'NO'\n" in text and "date: 2021-03-31\n" in text
    assert "- at: 14:51\n" in text and "'@team'" in text
    assert "\u2028" not in text and "\x07" not in text
