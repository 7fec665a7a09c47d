"""Loading and validating postmortem files: every bad-input class has its own message
naming the file, the line and the field; valid values are read as the author wrote them."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

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


@pytest.mark.parametrize("written", ["sev2", "Sev 2", "SEV_2", "sev-2", "SEV-2"])
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
