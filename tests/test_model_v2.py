"""The incident model v2: what real postmortems needed bent now fits, v1 files read as before,
and every new field's bad input is an error naming the file, the line and the field.

`fixtures/bends/` holds the six bends of issue 15 written as they now fit: phases with a
second outage the next day, numeric measures, approximate and ranged times, detection derived
from the first alert, follow-ups in progress with team and vendor owners, factor objects and
an external incident.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from postmortem_kb.core.knowledge_base import KnowledgeBase, load_knowledge_base
from postmortem_kb.core.model import Factor, ImpactMeasure, ImpactPhase, ImportSource, Incident
from postmortem_kb.core.settings import Settings, TypeRule
from postmortem_kb.core.validate import normalise_severity
from test_loading import front, load, only_problem, write

BENDS = Path(__file__).parent / "fixtures" / "bends"
UTC = dt.timezone.utc
FACTORS = {"config-push-without-canary": "A configuration change went everywhere at once"}


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture(scope="module")
def bends() -> KnowledgeBase:
    return load_knowledge_base(Settings(source_dir=BENDS, factors=FACTORS))


def bend(kb: KnowledgeBase, name: str) -> Incident:
    return kb.by_id()[name]


class TestTheSixBendsFit:
    def test_every_bend_loads_without_a_problem(self, bends: KnowledgeBase) -> None:
        assert [str(problem) for problem in bends.problems.items] == []
        assert len(bends.incidents) == 6

    def test_phases_with_a_second_outage_the_next_day(self, bends: KnowledgeBase) -> None:
        impact = bend(bends, "phases-second-outage").impact
        assert [(p.state, p.start, p.end) for p in impact.phases] == [
            # A phase without `to` ends where the next one begins.
            ("degraded", utc(2021, 1, 4, 15), utc(2021, 1, 4, 15, 47)),
            ("outage", utc(2021, 1, 4, 15, 47), utc(2021, 1, 4, 16, 50)),
            ("recovering", utc(2021, 1, 4, 16, 50), utc(2021, 1, 4, 18, 30)),
            ("outage", utc(2021, 1, 5, 9, 2), utc(2021, 1, 5, 9, 20)),
        ]
        assert [p.public for p in impact.phases] == [True, True, False, True]
        assert impact.phases[1].duration == dt.timedelta(minutes=63)
        # Started and resolved come from the phases, and say so; mitigated stays as written.
        assert (impact.started, impact.resolved) == (utc(2021, 1, 4, 15), utc(2021, 1, 5, 9, 20))
        assert impact.mitigated == utc(2021, 1, 4, 17, 10)
        assert impact.derived == ("started", "detected", "resolved")

    def test_numeric_measures(self, bends: KnowledgeBase) -> None:
        measures = bend(bends, "numeric-measures").impact.measures
        assert measures == (
            ImpactMeasure("merchant projects affected", 5000, None, public=True),
            ImpactMeasure("requests failed at the peak", 78, "%", public=True),
            ImpactMeasure("webhooks dropped", 200000),
            ImpactMeasure("service credit", 0.33, "of the monthly fee"),
        )
        assert sum(m.value for m in measures if m.unit is None) == 205000

    def test_approximate_and_ranged_times(self, bends: KnowledgeBase) -> None:
        timeline = bend(bends, "approximate-times").timeline
        assert [(e.at, e.approximate, e.until) for e in timeline] == [
            (utc(2012, 2, 29, 0, 0), False, None),
            (utc(2012, 2, 29, 1, 15), True, None),
            (utc(2012, 2, 29, 23, 0), False, utc(2012, 2, 29, 23, 30)),
            (utc(2012, 3, 1, 1, 0), True, utc(2012, 3, 1, 2, 0)),
        ]
        # Measured by the earliest point: the approximate alert gives the detection time.
        impact = bend(bends, "approximate-times").impact
        assert impact.detected == utc(2012, 2, 29, 1, 15) and impact.derived == ("detected",)

    def test_detection_derived_from_the_first_alert(self, bends: KnowledgeBase) -> None:
        impact = bend(bends, "detection-from-alert").impact
        assert impact.detected == utc(2019, 7, 2, 13, 45)
        assert impact.time_to_detect == dt.timedelta(minutes=3)
        assert impact.derived == ("detected",)

    def test_follow_ups_in_progress_with_teams_vendors_dates_types_checks(
        self, bends: KnowledgeBase
    ) -> None:
        follow_ups = bend(bends, "follow-ups-teams-vendors").follow_ups
        assert [(f.status, f.closed, f.type, f.owner_group) for f in follow_ups] == [
            ("done", dt.date(2018, 11, 20), "prevent", ("team", "database")),
            ("in-progress", None, "detect", None),
            ("open", None, "mitigate", ("vendor", "Acme Networks")),
            ("done", None, "process", None),
        ]
        assert follow_ups[0].check == "A game day partition no longer promotes a remote primary."
        # Overdue covers open and in progress; done is never overdue.
        later = dt.date(2019, 6, 1)
        assert [f.is_overdue(later) for f in follow_ups] == [False, True, True, False]

    def test_factor_objects_and_an_external_incident(self, bends: KnowledgeBase) -> None:
        incident = bend(bends, "factors-and-types")
        assert (incident.type, incident.company) == ("external", "Example Edge Inc.")
        assert incident.source_url == "https://blog.example.com/2025-11-18-outage/"
        first, plain = incident.contributors
        assert (first.kind, first.factor) == ("technical", "config-push-without-canary")
        assert plain == Factor(plain.text, line=plain.line) and str(plain) == plain.text
        assert incident.mitigators[0].kind == "process"
        [risk] = incident.risks
        assert (risk.factor, risk.likelihood, risk.severity) == (
            "config-push-without-canary",
            "medium",
            "high",
        )


class TestV1FilesReadAsBefore:
    def test_a_v1_file_gets_the_defaults(self, tmp_path: Path) -> None:
        write(
            tmp_path,
            "a.md",
            front(
                "contributors: [A plain contributor]\nrisks: one risk\n"
                "follow_ups:\n  - {action: Add an alert, owner: '@ann', status: done}\n"
                "impact:\n  started: 2024-01-01T10:00:00Z\n  resolved: 2024-01-01T11:00:00Z\n"
            ),
        )
        kb = load(tmp_path)
        assert kb.problems.items == []
        [incident] = kb.incidents
        assert incident.type == "incident"
        assert incident.contributors == (Factor("A plain contributor", line=5),)
        assert [str(risk) for risk in incident.risks] == ["one risk"]
        assert incident.impact.phases == () and incident.impact.measures == ()
        assert incident.impact.derived == () and incident.impact.detected is None
        [follow_up] = incident.follow_ups
        assert (follow_up.closed, follow_up.type, follow_up.check) == (None, None, None)
        assert not follow_up.is_open and not follow_up.is_overdue(dt.date(2030, 1, 1))

    def test_written_times_are_never_replaced_by_derived_ones(self, tmp_path: Path) -> None:
        write(
            tmp_path,
            "a.md",
            front(
                "impact:\n  started: 2024-01-01T09:00:00Z\n  detected: 2024-01-01T09:30:00Z\n"
                "  resolved: 2024-01-01T12:00:00Z\n  phases:\n"
                "    - {state: outage, from: 2024-01-01T10:00:00Z, to: 2024-01-01T11:00:00Z}\n"
                "timeline:\n  - {at: '09:10', event: Alert, kind: alert}\n"
            ),
        )
        impact = load(tmp_path).incidents[0].impact
        assert (impact.started, impact.detected, impact.resolved) == (
            utc(2024, 1, 1, 9),
            utc(2024, 1, 1, 9, 30),
            utc(2024, 1, 1, 12),
        )
        assert impact.derived == ()

    def test_a_date_only_alert_says_nothing_about_the_time_of_detection(
        self, tmp_path: Path
    ) -> None:
        write(tmp_path, "a.md", front("timeline:\n  - {at: 2024-01-01, event: x, kind: alert}\n"))
        assert load(tmp_path).incidents[0].impact.detected is None


def test_a_derived_time_that_contradicts_the_written_ones_is_not_made(tmp_path: Path) -> None:
    """An alert before the impact it detects would give a negative time to detect: the time is
    left out and a warning names the entry, so the author writes `impact.detected`."""
    write(
        tmp_path,
        "a.md",
        front(
            "impact:\n  started: 2024-01-01T10:00:00Z\n"
            "timeline:\n  - {at: '09:50', event: Disk warning, kind: alert}\n"
        ),
    )
    kb = load(tmp_path)
    [incident] = kb.incidents
    assert incident.impact.detected is None and incident.impact.derived == ()
    [warning] = kb.problems.warnings
    assert str(warning) == (
        "postmortems/a.md:8: timeline[0].at: impact.detected is not derived from the first"
        " `alert` entry of the timeline (2024-01-01 09:50+00:00): it is before"
        " impact.started; write impact.detected if it is known"
    )


def test_severity_aliases_are_accepted_like_the_shorthand(tmp_path: Path) -> None:
    write(tmp_path, "a.md", front("").replace("SEV-3", "P1"))
    kb = load(tmp_path, severity_aliases={"p1": "SEV-1"})
    assert kb.incidents[0].severity == "SEV-1"
    assert normalise_severity("sev2", ("SEV-1", "SEV-2"), {"p1": "SEV-1"}) == "SEV-2"
    assert normalise_severity("p9", ("SEV-1", "SEV-2"), {"p1": "SEV-1"}) is None


def test_imported_from_is_read(tmp_path: Path) -> None:
    digest = "ab" * 32
    write(tmp_path, "a.md", front(f"imported_from: {{path: docs/old.docx, sha256: {digest}}}\n"))
    assert load(tmp_path).incidents[0].imported_from == ImportSource("docs/old.docx", digest)


def test_a_type_rule_can_require_more_fields(tmp_path: Path) -> None:
    types = {"incident": TypeRule(requires=("impact.detected", "summary"))}
    write(tmp_path, "a.md", front("timeline:\n  - {at: '10:00', event: Page, kind: alert}\n"))
    kb = load(tmp_path, types=types)
    # A derived time counts; an empty field does not.
    assert [str(p) for p in kb.problems.errors] == [
        "postmortems/a.md:2: summary: is required for an incident of type `incident`;"
        " expected a value"
    ]


def test_unknown_factor_ids_warn_like_unknown_tags(tmp_path: Path) -> None:
    write(tmp_path, "a.md", front("contributors:\n  - {text: x, factor: config-push-no-canary}\n"))
    kb = load(tmp_path, factors=FACTORS)
    assert kb.incidents[0].contributors[0].factor == "config-push-no-canary"
    assert [str(p) for p in kb.problems.warnings] == [
        "postmortems/a.md:6: contributors[0].factor: unknown factor 'config-push-no-canary'"
        " (did you mean `config-push-without-canary`?); add it to the `factors` vocabulary or"
        " use a known one"
    ]
    assert load(tmp_path).problems.items == []  # no vocabulary: any id


def test_phase_states_come_from_the_settings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.md",
        front("impact:\n  phases:\n    - {state: brownout, from: 2024-01-01T10:00:00Z}\n"),
    )
    phases = load(tmp_path, phase_states=("brownout", "down")).incidents[0].impact.phases
    assert phases == (ImpactPhase("brownout", utc(2024, 1, 1, 10), line=7),)


def phases(*lines: str) -> str:
    return front("impact:\n  phases:\n" + "".join(f"    - {line}\n" for line in lines))


#: Bad input of each new field: the file's text, and what its one error must say.
BAD_V2 = {
    "unknown type": (
        front("type: incdent\n"),
        "a.md:5: type: 'incdent' is not allowed (did you mean `incident`?); expected one of"
        " incident, near-miss, false-alarm, game-day, maintenance, external",
    ),
    "external without a source": (
        front("type: external\ncompany: Example Inc.\n"),
        "a.md:5: source_url: is required for an incident of type `external`; expected the"
        " http(s) URL of the public postmortem",
    ),
    "source not a web address": (
        front("type: external\ncompany: Example Inc.\nsource_url: blog/outage\n"),
        "a.md:7: source_url: 'blog/outage' is not a web address; expected an http(s) URL",
    ),
    "imported_from digest": (
        front("imported_from: {path: a.docx, sha256: xyz}\n"),
        "a.md:5: imported_from.sha256: 'xyz' is not a SHA-256 digest",
    ),
    "phase state": (
        phases("{state: down, from: 2024-01-01T10:00:00Z}"),
        "a.md:7: impact.phases[0].state: 'down' is not allowed; expected one of degraded,"
        " outage, recovering, monitoring",
    ),
    "phase without from": (
        phases("{state: outage}"),
        "a.md:7: impact.phases[0].from: is required; expected the timestamp the phase began",
    ),
    "phase ends before it starts": (
        phases("{state: outage, from: 2024-01-01T10:00:00Z, to: 2024-01-01T09:00:00Z}"),
        "a.md:7: impact.phases[0].to: is before `from` (2024-01-01 10:00+00:00); expected the"
        " end of the phase after its start",
    ),
    "phases out of order": (
        phases(
            "{state: outage, from: 2024-01-01T10:00:00Z}",
            "{state: degraded, from: 2024-01-01T09:00:00Z}",
        ),
        "a.md:8: impact.phases[1].from: 2024-01-01 09:00+00:00 is before the phase above it"
        " starts (2024-01-01 10:00+00:00); expected phases in time order, not overlapping",
    ),
    "phases overlap": (
        phases(
            "{state: outage, from: 2024-01-01T10:00:00Z, to: 2024-01-01T11:00:00Z}",
            "{state: recovering, from: 2024-01-01T10:30:00Z}",
        ),
        "a.md:8: impact.phases[1].from: 2024-01-01 10:30+00:00 is before the phase above it"
        " ends (2024-01-01 11:00+00:00)",
    ),
    "phase timestamp": (
        phases("{state: outage, from: '10:00'}"),
        "a.md:7: impact.phases[0].from: '10:00' is not a timestamp",
    ),
    "measure value with its unit": (
        front("impact:\n  measures:\n    - {what: failed requests, value: 78%}\n"),
        "a.md:7: impact.measures[0].value: '78%' is not a number; write the number and its unit"
        " apart: `value: 78`, `unit: '%'`",
    ),
    "measure value with a separator": (
        front("impact:\n  measures:\n    - {what: projects, value: '5,000'}\n"),
        "a.md:7: impact.measures[0].value: '5,000' is not a number; write it without thousands"
        " separators: 5000",
    ),
    "measure without value": (
        front("impact:\n  measures:\n    - {what: projects}\n"),
        "a.md:7: impact.measures[0].value: is required; expected a number",
    ),
    "measure unknown field": (
        front("impact:\n  measures:\n    - {what: projects, value: 3, units: x}\n"),
        "a.md:7: impact.measures[0].units: unknown field (did you mean `unit`?)",
    ),
    "approximate without a time": (
        front("timeline:\n  - {at: '~', event: x}\n"),
        "a.md:6: timeline[0].at: '~' has no time; expected HH:MM, a date, a full timestamp, ~"
        " before any of them, or a range A..B",
    ),
    "range without an end": (
        front("timeline:\n  - {at: '23:00..', event: x}\n"),
        "a.md:6: timeline[0].at: '23:00..' is a range without an end",
    ),
    "range ending before it starts": (
        front("timeline:\n  - {at: '23:30..23:00', event: x}\n"),
        "a.md:6: timeline[0].at: '23:30..23:00' ends before it starts; expected the end after"
        " the start (write a full timestamp for an end on a later day)",
    ),
    "range over midnight in HH:MM": (
        front("timeline:\n  - {at: '23:30..00:15', event: x}\n"),
        "a.md:6: timeline[0].at: '23:30..00:15' ends before it starts",
    ),
    "range of a date and a time": (
        front("timeline:\n  - {at: '2024-01-01..10:00', event: x}\n"),
        "a.md:6: timeline[0].at: '2024-01-01..10:00' joins a date and a time",
    ),
    "range side not a time": (
        front("timeline:\n  - {at: '10:00..soon', event: x}\n"),
        "a.md:6: timeline[0].at: 'soon' is not a timestamp",
    ),
    "approximate entry out of order": (
        front("timeline:\n  - {at: '10:00', event: a}\n  - {at: '~09:00', event: b}\n"),
        "a.md:7: timeline[1].at: 2024-01-01 09:00+00:00 is before the entry above it",
    ),
    "timeline kind": (
        front("timeline:\n  - {at: '10:00', event: a, kind: detecton}\n"),
        "a.md:6: timeline[0].kind: 'detecton' is not allowed (did you mean `detection`?)",
    ),
    "follow-up status": (
        front("follow_ups:\n  - {action: Add x, status: in progress}\n"),
        "a.md:6: follow_ups[0].status: 'in progress' is not allowed (did you mean `in-progress`?)",
    ),
    "follow-up closed while open": (
        front("follow_ups:\n  - {action: Add x, status: in-progress, closed: 2024-02-01}\n"),
        "a.md:6: follow_ups[0].closed: is set while the status is `in-progress`; expected"
        " status done or wont-do with a closed date, or no closed date",
    ),
    "follow-up closed before the incident": (
        front("follow_ups:\n  - {action: Add x, status: done, closed: 2023-12-01}\n"),
        "a.md:6: follow_ups[0].closed: 2023-12-01 is before the incident (2024-01-01)",
    ),
    "follow-up closed not a date": (
        front("follow_ups:\n  - {action: Add x, status: done, closed: last week}\n"),
        "a.md:6: follow_ups[0].closed: 'last week' is not a date; expected YYYY-MM-DD",
    ),
    "follow-up type": (
        front("follow_ups:\n  - {action: Add x, type: prevention}\n"),
        "a.md:6: follow_ups[0].type: 'prevention' is not allowed (did you mean `prevent`?);"
        " expected one of mitigate, prevent, detect, process",
    ),
    "team without a name": (
        front("follow_ups:\n  - {action: Add x, owner: 'team:'}\n"),
        "a.md:6: follow_ups[0].owner: 'team:' names no team; expected team:<name>, e.g."
        " team:payments",
    ),
    "vendor without a name": (
        front("follow_ups:\n  - {action: Add x, owner: 'vendor: '}\n"),
        "a.md:6: follow_ups[0].owner: 'vendor:' names no vendor",
    ),
    "owner kind misspelt": (
        front("follow_ups:\n  - {action: Add x, owner: 'teams:edge'}\n"),
        "a.md:6: follow_ups[0].owner: 'teams:edge' is not a kind of owner (did you mean"
        " `team`?); expected a @handle, a role, team:<name> or vendor:<name>",
    ),
    "factor without text": (
        front("contributors:\n  - {kind: technical}\n"),
        "a.md:6: contributors[0].text: is required; expected text",
    ),
    "factor kind": (
        front("contributors:\n  - {text: x, kind: humans}\n"),
        "a.md:6: contributors[0].kind: 'humans' is not allowed (did you mean `human`?);"
        " expected one of technical, human, process, organisational, external",
    ),
    "factor id": (
        front("mitigators:\n  - {text: x, factor: No Canary}\n"),
        "a.md:6: mitigators[0].factor: 'No Canary' is not a factor id; expected lowercase"
        " letters, digits and hyphens",
    ),
    "likelihood on a contributor": (
        front("contributors:\n  - {text: x, likelihood: high}\n"),
        "a.md:6: contributors[0].likelihood: is for risks only; expected one of text, kind, factor",
    ),
    "risk severity": (
        front("risks:\n  - {text: x, severity: critical}\n"),
        "a.md:6: risks[0].severity: 'critical' is not allowed; expected one of low, medium, high",
    ),
    "factor unknown field": (
        front("risks:\n  - {txt: x}\n"),
        "a.md:6: risks[0].txt: unknown field (did you mean `text`?)",
    ),
    "factors as a mapping": (
        front("contributors: {text: x}\n"),
        "a.md:5: contributors: is a mapping; expected a list of text or of {text, kind, factor}",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_V2))
def test_bad_v2_input_names_file_line_field_and_expectation(tmp_path: Path, case: str) -> None:
    content, expected = BAD_V2[case]
    write(tmp_path, "a.md", content)
    write(tmp_path, "good.md", front(""))  # a bad file never takes a valid one down
    message = only_problem(tmp_path, "a.md")
    assert f"postmortems/{expected}" in message, f"{case}: {message!r}"
    assert [incident.id for incident in load(tmp_path).incidents] == ["good"]
