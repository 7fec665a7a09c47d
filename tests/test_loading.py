"""Loading and validating postmortem files: every bad-input class has its own message
naming the file, the line and the field; valid values are read as the author wrote them."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from postmortem_kb.core.knowledge_base import load_knowledge_base
from postmortem_kb.core.settings import Settings

VALID = """---
title: Certificate expired on the login service
date: 2024-03-01
severity: SEV-2
services: [auth, NO]
timeline:
  - at: 2024-03-01T14:00:00+00:00
    event: Alerts fire
  - at: 14:25
    event: Rollback started
    kind: action
---
Narrative.
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / "postmortems" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def load(tmp_path: Path, **settings: object):  # type: ignore[no-untyped-def]
    return load_knowledge_base(Settings(source_dir=tmp_path / "postmortems", **settings))


def only_problem(tmp_path: Path, name: str) -> str:
    kb = load(tmp_path)
    assert kb.incidents == [] or all(i.source != f"postmortems/{name}" for i in kb.incidents)
    assert f"postmortems/{name}" in kb.skipped
    messages = [str(p) for p in kb.problems.errors]
    assert messages, "expected an error"
    return "\n".join(messages)


def front(fields: str, body: str = "Body.\n") -> str:
    base = "title: T\ndate: 2024-01-01\nseverity: SEV-3\n"
    return f"---\n{base}{fields}---\n{body}"


# -- values as written -----------------------------------------------------------------


def test_values_are_read_as_written(tmp_path: Path) -> None:
    write(tmp_path, "2024-03-01-cert.md", VALID)
    kb = load(tmp_path)
    assert kb.problems.items == []
    incident = kb.incidents[0]
    assert incident.id == "2024-03-01-cert"
    assert incident.services == ("auth", "NO")
    assert incident.date == dt.date(2024, 3, 1)
    second = incident.timeline[1]
    assert second.at == dt.datetime(2024, 3, 1, 14, 25, tzinfo=dt.timezone.utc)
    assert second.kind == "action"
    assert incident.body == "Narrative."


@pytest.mark.parametrize("written", ["sev2", "Sev 2", "SEV_2", "sev-2", "SEV-2", "sev02"])
def test_severity_is_normalised(tmp_path: Path, written: str) -> None:
    write(tmp_path, "a.md", front("").replace("SEV-3", written))
    assert load(tmp_path).incidents[0].severity == "SEV-2"


def test_naive_timestamps_take_the_kb_timezone(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.md",
        front("impact:\n  started: 2024-01-01T10:00:00\n  resolved: 2024-01-01T11:30:00+01:00\n"),
    )
    incident = load(tmp_path, timezone="Europe/Berlin").incidents[0]
    assert incident.impact.started is not None
    assert incident.impact.started.utcoffset() == dt.timedelta(hours=1)
    assert incident.impact.duration == dt.timedelta(minutes=90)


def test_hh_mm_entries_follow_the_entry_before_and_date_only_entries(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.md",
        front(
            "timeline:\n  - {at: '09:00', event: first}\n  - {at: 2024-01-02, event: next day}\n"
            "  - {at: '08:15', event: morning after}\n  - {at: '08:15', event: same time}\n"
        ),
    )
    timeline = load(tmp_path).incidents[0].timeline
    assert [e.at.isoformat() for e in timeline] == [
        "2024-01-01T09:00:00+00:00",
        "2024-01-02T00:00:00+00:00",
        "2024-01-02T08:15:00+00:00",
        "2024-01-02T08:15:00+00:00",
    ]
    assert [e.date_only for e in timeline] == [False, True, False, False]


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    write(tmp_path, "a.md", b"\xef\xbb\xbf" + front("").replace("\n", "\r\n").encode())
    kb = load(tmp_path)
    assert kb.problems.items == [] and kb.incidents[0].title == "T"


def test_yaml_files_carry_the_narrative_under_body(tmp_path: Path) -> None:
    write(
        tmp_path,
        "sub/b.yaml",
        "title: T\ndate: 2024-01-01\nseverity: SEV-1\nbody: |\n  ## Story\n  text\n",
    )
    incident = load(tmp_path).incidents[0]
    assert incident.body == "## Story\ntext" and incident.source == "postmortems/sub/b.yaml"


def test_templates_and_underscore_files_are_never_incidents(tmp_path: Path) -> None:
    write(tmp_path, "_template.md", front(""))
    write(tmp_path, "_drafts/x.md", front(""))
    assert load(tmp_path).incidents == []


# -- one message per bad-input class ---------------------------------------------------

BAD_FILES = {
    "unknown field": (front("summry: x\n"), ["a.md:5", "summry", "did you mean `summary`"]),
    "duplicate key": (front("title: again\n"), ["a.md:5", "title", "duplicate key"]),
    "anchor": (front("owner: &who '@ann'\n"), ["a.md:5", "owner", "anchor"]),
    "alias": (front("owner: x\ncommander: *who\n"), ["a.md", "alias"]),
    "merge key": (front("impact:\n  <<: {customer: x}\n"), ["a.md:6", "impact", "merge key"]),
    "explicit tag": (front("owner: !!str x\n"), ["a.md:5", "owner", "explicit YAML tag"]),
    "tab indent": (front("impact:\n\tcustomer: x\n"), ["a.md:6", "tab"]),
    "deep nesting": (front("risks: " + "[" * 60 + "]" * 60 + "\n"), ["a.md:5", "too deep"]),
    "unclosed front matter": ("---\ntitle: T\n", ["a.md:1", "not closed"]),
    "no front matter": ("# Just markdown\n", ["a.md:1", "no front matter"]),
    "top level a list": ("---\n- a\n- b\n---\n", ["a.md:2", "top level is a list"]),
    "empty file": ("", ["a.md", "empty"]),
    "impossible date": (
        front("").replace("2024-01-01", "2023-02-30"),
        ["a.md:3", "date", "not a real date"],
    ),
    "impossible time": (
        front("timeline:\n  - {at: '25:61', event: x}\n"),
        ["a.md:6", "timeline[0].at", "not a real time"],
    ),
    "impossible timestamp": (
        front("impact:\n  started: 2024-01-01T24:30:00Z\n"),
        ["a.md:6", "impact.started", "not a real date and time"],
    ),
    "missing required": ("---\ndate: 2024-01-01\n---\n", ["a.md", "title", "is required"]),
    "severity off the scale": (
        front("").replace("SEV-3", "SEV-9"),
        ["a.md:4", "severity", "SEV-1, SEV-2"],
    ),
    "timeline out of order": (
        front("timeline:\n  - {at: '10:00', event: a}\n  - {at: '09:00', event: b}\n"),
        ["a.md:7", "timeline[1].at", "time order"],
    ),
    "impact out of order": (
        front("impact:\n  started: 2024-01-01T10:00:00Z\n  detected: 2024-01-01T09:00:00Z\n"),
        ["a.md:7", "impact.detected", "started ≤ detected"],
    ),
    "bad bool": (
        front("impact:\n  data_loss: maybe\n"),
        ["a.md:6", "impact.data_loss", "true or false"],
    ),
    "unknown follow-up field": (
        front("follow_ups:\n  - {action: x, onwer: y}\n"),
        ["a.md:6", "follow_ups[0].onwer", "did you mean `owner`"],
    ),
    "bad id": (front("id: Not_A_Slug\n"), ["a.md:5", "id", "not a valid id"]),
    "missing evidence file": (
        front("evidence:\n  - {caption: c, file: nope.png}\n"),
        ["a.md:6", "evidence[0].file", "does not exist"],
    ),
    # Names the operating system refuses outright are problems with the field, not crashes.
    "evidence file name too long": (
        front("evidence:\n  - {caption: c, file: '" + "a" * 5000 + ".png'}\n"),
        ["a.md:6: evidence[0].file: 'aaaa", "(5,004 characters) cannot be a file name: file "
         "name too long; expected a path relative to this file"],
    ),
    "evidence file name with a NUL": (
        front('evidence:\n  - {caption: c, file: "a\\x00b.png"}\n'),
        ["a.md:6: evidence[0].file: 'a\\x00b.png' cannot be a file name: it contains a NUL "
         "character; expected a path relative to this file"],
    ),
    # int() refuses more than 4,300 digits; the message shows the value cut short.
    "severity of thousands of digits": (
        front("").replace("SEV-3", "sev" + "9" * 5000),
        ["a.md:4: severity: 'sev999", "(5,003 characters) is not on the severity scale; "
         "expected one of SEV-1, SEV-2, SEV-3, SEV-4"],
    ),
    # Dates near the ends of Python's calendar would overflow in later stages.
    "date in year 1": (
        front("").replace("2024-01-01", "0001-01-01"),
        ["a.md:3: date: '0001-01-01' is outside the dates a postmortem can have; expected a "
         "date from 1900-01-01 to 9998-12-31"],
    ),
    "date in year 9999": (
        front("").replace("2024-01-01", "9999-12-31"),
        ["a.md:3: date: '9999-12-31' is outside the dates"],
    ),
    "naive timestamp in year 1": (
        front("impact:\n  started: 0001-01-01T00:00:00\n"),
        ["a.md:6: impact.started: '0001-01-01T00:00:00' is outside the dates"],
    ),
    "timestamp with an offset in year 9999": (
        front("impact:\n  resolved: 9999-12-31T23:59:59-05:00\n"),
        ["a.md:6: impact.resolved: '9999-12-31T23:59:59-05:00' is outside the dates"],
    ),
    "timeline day in year 9999": (
        front("timeline:\n  - {at: 9999-12-31, event: x}\n"),
        ["a.md:6: timeline[0].at: '9999-12-31' is outside the dates"],
    ),
    "follow-up due in year 9999": (
        front("follow_ups:\n  - {action: x, due: 9999-12-31}\n"),
        ["a.md:6: follow_ups[0].due: '9999-12-31' is outside the dates"],
    ),
    # Pasted control characters and line separators: YAML named only an offset.
    "bell character": (
        front("summary: ring\x07ring\n"),
        ["a.md:5: summary: invisible control character U+0007 at column 14, probably pasted "
         "with the text; expected printable text: delete it"],
    ),
    "escape character in a block": (
        front("summary: |\n  fine\n  \x1b[31mred\n"),
        ["a.md:7: summary: invisible control character U+001B at column 3"],
    ),
    "next-line character": (
        front("timeline:\n  - {at: '10:00', event: one\x85two}\n"),
        ["a.md:6: timeline[0].event: invisible next-line character U+0085 at column 29"],
    ),
    "line separator": (
        front("summary: one\u2028two\nowner: x\n"),
        ["a.md:5: summary: invisible line separator U+2028 at column 13"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_gets_its_own_message(tmp_path: Path, case: str) -> None:
    content, expected = BAD_FILES[case]
    write(tmp_path, "a.md", content)
    write(tmp_path, "good.md", front(""))  # a bad file never takes a valid one down
    message = only_problem(tmp_path, "a.md")
    for part in expected:
        assert part in message, f"{case}: {part!r} not in {message!r}"
    assert [i.id for i in load(tmp_path).incidents] == ["good"]


def test_the_supported_dates_are_read_at_both_ends(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.md",
        front(
            "impact:\n  started: 1900-01-01T00:00:00+14:00\n  resolved: 9998-12-31T23:59:59\n"
            "follow_ups:\n  - {action: x, due: 9998-12-31}\n"
        ).replace("2024-01-01", "1900-01-01"),
    )
    kb = load(tmp_path, timezone="Pacific/Kiritimati")
    assert kb.problems.items == []
    (incident,) = kb.incidents
    assert incident.date == dt.date(1900, 1, 1)
    assert incident.impact.resolved == dt.datetime(
        9998, 12, 31, 23, 59, 59, tzinfo=ZoneInfo("Pacific/Kiritimati")
    )


def test_an_evidence_file_in_a_symlink_loop_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", front("evidence:\n  - {caption: c, file: loop/x.png}\n"))
    (tmp_path / "postmortems" / "loop").symlink_to("loop")
    assert ("a.md:6: evidence[0].file: 'loop/x.png' cannot be a file name"
            in only_problem(tmp_path, "a.md"))


def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    """Python keeps the odd byte as a lone surrogate, which no page or JSON file can encode."""
    write(tmp_path, "x.md", front("id: odd-name\n"))
    (tmp_path / "postmortems" / "x.md").rename(tmp_path / "postmortems" / os.fsdecode(b"x\xff.md"))
    (incident,) = load(tmp_path).incidents
    assert incident.source == "postmortems/x\\xff.md"


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    write(tmp_path, "a.md", front("").encode().replace(b"title: T", b"title: \xff"))
    assert "a.md:2: " in only_problem(tmp_path, "a.md")
    assert "not valid UTF-8" in only_problem(tmp_path, "a.md")


def test_a_nesting_bomb_is_refused_without_a_crash(tmp_path: Path) -> None:
    """libyaml's composer recurses and can crash on deep nesting; the event reader cannot.

    Which layer refuses the document first (libyaml's own depth limit or ours) depends on the
    installed PyYAML; either way it is one problem naming the file and the line.
    """
    write(tmp_path, "a.md", front("risks: " + "[" * 200_000 + "]" * 200_000 + "\n"))
    write(tmp_path, "good.md", front(""))
    assert re.fullmatch(r"postmortems/a\.md:5: \S.*", only_problem(tmp_path, "a.md"))
    assert [i.id for i in load(tmp_path).incidents] == ["good"]


def test_files_over_one_megabyte_are_refused_unread(tmp_path: Path) -> None:
    write(tmp_path, "a.md", front("", body="x" * 1_100_000))
    assert "at most 1,000,000 are allowed" in only_problem(tmp_path, "a.md")


def test_all_problems_of_a_file_are_reported_together(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.md",
        front("summry: x\nfollow_ups:\n  - {due: 2024-13-01}\n").replace("SEV-3", "SEV-0"),
    )
    message = only_problem(tmp_path, "a.md")
    for part in ("summry", "severity", "follow_ups[0].action", "follow_ups[0].due"):
        assert part in message


def test_duplicate_ids_name_both_files(tmp_path: Path) -> None:
    write(tmp_path, "a.md", front("id: same\n"))
    write(tmp_path, "b.md", front("id: same\n"))
    kb = load(tmp_path)
    assert [i.source for i in kb.incidents] == ["postmortems/a.md"]
    (problem,) = kb.problems.errors
    assert str(problem).startswith(
        "postmortems/b.md:5: id: 'same' is already the id of postmortems/a.md"
    )


def test_unknown_reference_is_reported_and_incident_kept(tmp_path: Path) -> None:
    write(tmp_path, "a.md", front("related: [b, nope]\n"))
    write(tmp_path, "b.md", front(""))
    kb = load(tmp_path)
    a = kb.by_id()["a"]
    assert a.related == ("b",)
    assert "postmortems/a.md:5: related[1]: no incident has id 'nope'" in str(kb.problems.errors[0])


def test_unknown_tags_warn_with_a_suggestion(tmp_path: Path) -> None:
    write(tmp_path, "a.md", front("tags: [capcity]\n"))
    kb = load(tmp_path, tags={"capacity": "Headroom"})
    assert kb.incidents and not kb.problems.errors
    assert "did you mean `capacity`" in str(kb.problems.warnings[0])


def test_no_input_crashes_the_loader(tmp_path: Path) -> None:
    """Random byte-level damage to a valid file yields problems, never an exception."""
    rng = random.Random(20261123)
    source = VALID.encode()
    for round_ in range(300):
        data = bytearray(source)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(data))
            data[position : position + rng.randint(0, 3)] = bytes(
                rng.choice(b"-:[]{}&*!|>'\"\t\n #@%`\xff0") for _ in range(rng.randint(0, 3))
            )
        write(tmp_path, "fuzz.md", bytes(data))
        kb = load(tmp_path)
        assert kb.incidents or kb.problems.errors, f"round {round_} lost the file silently"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("page.html", b"<p>hi</p>", "is a .html file, which a browser runs script in"),
        ("chart.svg", b'<svg onload="alert(1)"></svg>', "is an SVG with scripts"),
        ("chart.svg", b"<svg><script>alert(1)</script></svg>", "is an SVG with scripts"),
        ("chart.svg", b"<svg><foreignObject><p/></foreignObject></svg>", "is an SVG with"),
    ],
)
def test_evidence_that_would_run_script_on_the_site_is_refused(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    """Evidence files are copied as they are: opened from the site, script in them would run
    on the site's own address, outside the sanitizer and the Content-Security-Policy."""
    (tmp_path / "postmortems").mkdir(parents=True, exist_ok=True)
    (tmp_path / "postmortems" / name).write_bytes(content)
    write(tmp_path, "a.md", front(f"evidence: [{{caption: Figure, file: {name}}}]\n"))
    assert f"a.md:5: evidence[0].file: '{name}' {expected}" in only_problem(tmp_path, "a.md")


def test_a_plain_svg_is_accepted_as_evidence(tmp_path: Path) -> None:
    (tmp_path / "postmortems").mkdir(parents=True, exist_ok=True)
    (tmp_path / "postmortems" / "chart.svg").write_bytes(b'<svg><path d="M0 0L1 1"/></svg>')
    write(tmp_path, "a.md", front("evidence: [{caption: Figure, file: chart.svg}]\n"))
    assert [incident.id for incident in load(tmp_path).incidents] == ["a"]
