"""The generic field reader: each getter converts a value as written or reports a problem
naming the file, the line and the field, with the nearest known name for a typo."""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

from postmortem_kb.core.fields import FieldReader
from postmortem_kb.core.loader import parse_document

DISPLAY = "postmortems/_side.yml"
BERLIN = dt.timezone(dt.timedelta(hours=1))


def reader(yaml_text: str) -> FieldReader:
    """A reader over YAML as the strict reader parses it, so lines are real."""
    data, lines = parse_document(textwrap.dedent(yaml_text), DISPLAY)
    return FieldReader(DISPLAY, data, lines, BERLIN)


def messages(fields: FieldReader) -> list[str]:
    return [str(problem) for problem in fields.problems.items]


def test_a_value_of_the_wrong_type_names_file_line_and_field() -> None:
    fields = reader("""\
        title: Outage
        owner: [ann, bob]
        services: {auth: yes}
    """)
    assert fields.text(fields.data["owner"], "owner") is None
    assert fields.text_list(fields.data["services"], "services") == ()
    assert messages(fields) == [
        f"{DISPLAY}:2: owner: is a list; expected text",
        f"{DISPLAY}:3: services: is a mapping; expected a list of text",
    ]


def test_an_unknown_key_in_a_mapping_suggests_the_nearest_field() -> None:
    fields = reader("""\
        impact:
          started: 2024-03-01T10:00
          custmer: Logins failed
    """)
    known = ("started", "customer")
    impact = fields.mapping(fields.data["impact"], "impact", known)
    assert impact["custmer"] == "Logins failed"
    assert messages(fields) == [
        f"{DISPLAY}:3: impact.custmer: unknown field (did you mean `customer`?); "
        "expected one of started, customer"
    ]


def test_a_missing_value_is_reported_at_the_line_of_its_parent() -> None:
    fields = reader("""\
        entries:
          - name: first
          - note: no name here
    """)

    def name(item: dict[str, Any], path: str) -> str | None:
        return fields.text(item.get("name"), f"{path}.name", required=True)

    assert fields.each(fields.data["entries"], "entries", name, ("name", "note")) == ("first",)
    assert messages(fields) == [f"{DISPLAY}:3: entries[1].name: is required; expected text"]


def test_values_are_converted_as_written() -> None:
    fields = reader("""\
        day: 2024-03-01
        at: 2024-03-01T14:25
        utc: 2024-03-01T14:25:00Z
        public: "yes"
        status: Done
        tags: [DNS, dns, Capacity]
    """)
    data = fields.data
    assert fields.date(data["day"], "day") == dt.date(2024, 3, 1)
    assert fields.timestamp(data["at"], "at") == dt.datetime(2024, 3, 1, 14, 25, tzinfo=BERLIN)
    assert fields.timestamp(data["utc"], "utc") == dt.datetime(
        2024, 3, 1, 14, 25, tzinfo=dt.timezone.utc
    )
    assert fields.boolean(data["public"], "public") is True
    assert fields.choice(data["status"], "status", ("open", "done"), "open") == "done"
    assert fields.tag_list(data["tags"], "tags", ("dns", "capacity")) == ("dns", "capacity")
    assert messages(fields) == []


def test_bad_values_say_what_is_expected() -> None:
    fields = reader("""\
        day: 2024-02-30
        at: tomorrow
        public: perhaps
        status: donne
        tags: [monitorin]
    """)
    data = fields.data
    assert fields.date(data["day"], "day") is None
    assert fields.timestamp(data["at"], "at") is None
    assert fields.boolean(data["public"], "public") is None
    assert fields.choice(data["status"], "status", ("open", "done"), "open") == "open"
    assert fields.tag_list(data["tags"], "tags", ("monitoring",)) == ("monitorin",)
    assert messages(fields) == [
        f"{DISPLAY}:1: day: '2024-02-30' is not a real date; expected YYYY-MM-DD",
        f"{DISPLAY}:2: at: 'tomorrow' is not a timestamp; expected e.g. 2024-03-01T14:25:00+00:00",
        f"{DISPLAY}:3: public: 'perhaps' is not true or false; expected true or false",
        f"{DISPLAY}:4: status: 'donne' is not allowed (did you mean `done`?); "
        "expected one of open, done",
        f"{DISPLAY}:5: tags[0]: unknown tag 'monitorin' (did you mean `monitoring`?); "
        "add it to the `tags` vocabulary or use a known one",
    ]
    assert [problem.severity for problem in fields.problems.items][-1] == "warning"


def test_unknown_top_level_keys_are_named_by_themselves() -> None:
    fields = reader("""\
        entrys: []
    """)
    fields.unknown_fields(fields.data, "", ("entries",), "`entries:`")
    assert messages(fields) == [
        f"{DISPLAY}:1: entrys: unknown field (did you mean `entries`?); expected `entries:`"
    ]
