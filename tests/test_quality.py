"""The quality gate's rules, one by one: what must be flagged, and look-alikes that must not."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path

import pytest

from postmortem_kb.core.model import Factor, FollowUp, Impact, Incident, TimelineEntry, Waiver
from postmortem_kb.core.problems import Problem
from postmortem_kb.core.settings import QualityOptions
from postmortem_kb.quality.blameless import BlamelessWording, find_blame, person_as_subject
from postmortem_kb.quality.follow_ups import starts_with_a_verb, vague_phrase
from postmortem_kb.quality.gate import check_quality
from postmortem_kb.quality.rules import RULES, RULES_BY_ID

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from blameless_corpus import LOOK_ALIKES, MORE_BLAME, PAIRS

SEVERITIES = ("SEV-1", "SEV-2", "SEV-3", "SEV-4")
TODAY = dt.date(2024, 6, 1)
CONFIGURED = QualityOptions(configured=True)
UTC = dt.timezone.utc


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, 5, 30, hour, minute, tzinfo=UTC)


def complete_incident(**changes: object) -> Incident:
    """A SEV-1 in review that passes every rule."""
    incident = Incident(
        id="db",
        source="postmortems/db.md",
        title="Database failover",
        date=dt.date(2024, 5, 30),
        severity="SEV-1",
        status="review",
        impact=Impact(started=at(10), detected=at(10, 5), resolved=at(11)),
        summary="The primary failed over; writes failed for an hour.",
        timeline=(TimelineEntry(at(10, 5), "Replication lag alert fires.", kind="alert"),),
        contributors=(Factor("The failover runbook described the old topology."),),
        mitigators=(Factor("Reads kept working from the replica."),),
        learnings={"technical": ("Failover must be rehearsed.",)},
        key_learning="A failover that is never rehearsed does not work when needed.",
        follow_ups=(
            FollowUp("Rehearse the failover monthly in staging", "@dana", dt.date(2024, 7, 1)),
        ),
        lines={"contributors": 20, "follow_ups": 30},
    )
    return dataclasses.replace(incident, **changes)  # type: ignore[arg-type]


def findings(
    incident: Incident, options: QualityOptions = CONFIGURED, people: dict | None = None
) -> list[Problem]:
    return check_quality([incident], options, SEVERITIES, TODAY, people or {})


def rules_of(incident: Incident, **kwargs: object) -> list[str]:
    return [problem.rule for problem in findings(incident, **kwargs)]  # type: ignore[arg-type]


def test_a_complete_blameless_postmortem_raises_nothing() -> None:
    assert findings(complete_incident()) == []


# complete/


@pytest.mark.parametrize(
    ("change", "rule", "field"),
    [
        ({"impact": Impact()}, "complete/impact-times", "impact"),
        ({"summary": None}, "complete/summary", "summary"),
        ({"timeline": ()}, "complete/timeline", "timeline"),
        (
            {"timeline": (TimelineEntry(at(10), "Deploy starts.", kind="action"),)},
            "complete/timeline",
            "timeline",
        ),
        ({"contributors": ()}, "complete/analysis", "contributors"),
        ({"mitigators": ()}, "complete/analysis", "mitigators"),
        ({"learnings": {}}, "complete/learnings", "learnings"),
        ({"key_learning": None}, "complete/learnings", "key_learning"),
        ({"follow_ups": ()}, "complete/follow-ups", "follow_ups"),
    ],
)
def test_a_sev1_in_review_lacking_an_item_is_an_error(
    change: dict, rule: str, field: str
) -> None:
    [problem, *_] = findings(complete_incident(**change))
    assert (problem.rule, problem.field, problem.severity) == (rule, field, "error")
    assert problem.file == "postmortems/db.md"
    assert "SEV-1" in problem.message


def test_a_sev4_needs_only_a_summary_and_a_key_learning() -> None:
    light = complete_incident(
        severity="SEV-4", impact=Impact(), timeline=(), contributors=(), mitigators=(),
        learnings={}, follow_ups=(),
    )  # fmt: skip
    assert findings(light) == []
    assert rules_of(dataclasses.replace(light, key_learning=None)) == ["complete/learnings"]


def test_in_draft_findings_are_warnings() -> None:
    draft = complete_incident(status="draft", date=TODAY, summary=None)
    [problem] = findings(draft)
    assert (problem.rule, problem.severity) == ("complete/summary", "warning")


def test_without_a_quality_section_every_finding_is_a_warning() -> None:
    [problem] = findings(complete_incident(summary=None), QualityOptions())
    assert (problem.rule, problem.severity) == ("complete/summary", "warning")


def test_completeness_is_configurable_per_severity() -> None:
    options = QualityOptions(configured=True, completeness={"SEV-1": ("summary", "owner")})
    assert rules_of(complete_incident(contributors=()), options=options) == ["complete/analysis"]


# blameless/


WORDING = BlamelessWording(people=["@sam.o", "Dana", "Priya Nair"])


def test_at_least_nine_in_ten_blaming_sentences_are_caught() -> None:
    blaming = [blame for blame, _ in PAIRS] + MORE_BLAME
    caught = [sentence for sentence in blaming if find_blame(sentence)]
    assert len(caught) / len(blaming) >= 0.9, set(blaming) - set(caught)


@pytest.mark.parametrize("sentence", [rewrite for _, rewrite in PAIRS] + LOOK_ALIKES)
def test_blameless_rewrites_and_look_alikes_raise_nothing(sentence: str) -> None:
    assert find_blame(sentence, WORDING) == []


def test_blame_is_found_in_any_narrative_text_with_a_reframing() -> None:
    incident = complete_incident(
        summary="It was a long night. The engineer was careless with the replica.",
    )
    [problem] = findings(incident)
    assert problem.rule == "blameless/blame-word"
    assert problem.field == "summary"
    assert "careless" in problem.message
    assert problem.suggestion


@pytest.mark.parametrize("before", ["", "İstanbul region: "])  # lower-casing "İ" adds a mark
def test_what_matched_is_quoted_as_written(before: str) -> None:
    """The checks read the sentence in lower case (`_Lowered`), or case-blind when lower
    case would change its length; the finding quotes the author's words either way."""
    found = [(finding.rule, finding.matched) for text in [
        f"{before}The outage was caused by Operator Error.",
        f"{before}The On-Call Engineer Should Have Checked the dashboard.",
        f"{before}Our Intern Broke production.",
        f"{before}A Hardware Fault took the node down; it was Careless work.",
        f"{before}A Page Fault Of the kernel module crashed it.",  # technical: not blame
    ] for finding in find_blame(text, WORDING)]
    assert found == [
        ("blameless/human-error", "Operator Error"),
        ("blameless/counterfactual", "Should Have Checked"),
        ("blameless/counterfactual", "Broke"),
        ("blameless/blame-word", "Careless"),
    ]


def test_code_is_not_read_for_blame() -> None:
    assert find_blame("Run `blame_careless_user()` first.\n\n```\nhuman error\n```") == []


@pytest.mark.parametrize(
    ("contributor", "person"),
    [
        ("@sam.o ran the cleanup against the primary.", "@sam.o"),
        ("Dana approved the change without a second review.", "Dana"),
        ("Priya Nair merged the config on Friday.", "priya nair"),
    ],
)
def test_a_person_as_the_subject_of_a_contributor_is_flagged(
    contributor: str, person: str
) -> None:
    assert (person_as_subject(contributor, WORDING) or "").casefold() == person.casefold()
    incident = complete_incident(contributors=(Factor(contributor),))
    problems = findings(incident, people={"@sam.o": [], "@dana": ["Dana"], "@p": ["Priya Nair"]})
    assert "blameless/person-contributor" in [problem.rule for problem in problems]


def test_a_condition_as_contributor_is_fine_even_naming_a_role() -> None:
    for text in ("The replica and primary shells had identical prompts.",
                 "The on-call engineer had no runbook for the new topology."):  # fmt: skip
        assert person_as_subject(text, WORDING) is None


def test_the_team_s_wording_lists_add_and_allow() -> None:
    custom = BlamelessWording(phrases=[r"\bdropped the ball\b"], allow=[r"\bcareless\b"])
    assert find_blame("Ops dropped the ball on the renewal.", custom)
    assert find_blame("The careless-mode flag was on.", custom) == []


# follow-up/


@pytest.mark.parametrize(
    "action",
    ["Investigate the replica lag", "Be more careful with deploys", "Improve monitoring",
     "Add more tests", "Look into the alert", "Fix the bug"],
)  # fmt: skip
def test_vague_actions_are_flagged(action: str) -> None:
    assert vague_phrase(action) is not None
    rules = rules_of(complete_incident(follow_ups=(FollowUp(action, "@dana", TODAY),)))
    assert "follow-up/vague" in rules
    assert "follow-up/verb" not in rules  # one finding per action: the vague one


@pytest.mark.parametrize(
    "action",
    ["Alert when replica lag exceeds 5 minutes for 10 minutes",
     "Improve monitoring of backup freshness with a 24 h alert",
     "Add tests for an empty upstream response",
     "Backfill the missing webhook deliveries", "Rotate the leaked key and revoke the old one"],
)  # fmt: skip
def test_specific_actions_pass(action: str) -> None:
    assert vague_phrase(action) is None and starts_with_a_verb(action)


@pytest.mark.parametrize(
    "action", ["Monitoring improvements", "The runbook needs an update", "Better alerting on lag"]
)
def test_actions_that_do_not_start_with_a_verb_are_flagged(action: str) -> None:
    assert not starts_with_a_verb(action)


def test_owner_and_due_are_needed_from_review_on() -> None:
    loose = FollowUp("Rehearse the failover monthly in staging")
    assert sorted(rules_of(complete_incident(follow_ups=(loose,)))) == [
        "follow-up/due", "follow-up/owner",
    ]  # fmt: skip
    assert rules_of(complete_incident(status="draft", date=TODAY, follow_ups=(loose,))) == []


# process/


def test_process_findings_are_always_warnings() -> None:
    old_draft = complete_incident(status="draft", date=TODAY - dt.timedelta(days=20))
    overdue = FollowUp("Rehearse the failover", "@dana", TODAY - dt.timedelta(days=1))
    problems = findings(dataclasses.replace(old_draft, follow_ups=(overdue,)))
    by_rule = {problem.rule: problem.severity for problem in problems}
    assert by_rule == {
        "process/draft-age": "warning", "process/publish-age": "warning",
        "process/overdue": "warning",
    }  # fmt: skip


def test_a_waived_finding_is_not_reported() -> None:
    incident = complete_incident(
        mitigators=(), waivers=(Waiver("complete/analysis", "Nothing limited it.", "mitigators"),)
    )
    assert findings(incident) == []
    other_field = dataclasses.replace(incident, contributors=())
    assert rules_of(other_field) == ["complete/analysis"]


def test_every_rule_is_documented_with_a_rewrite() -> None:
    for rule in RULES:
        assert rule.family in {"schema", "complete", "blameless", "follow-up", "process"}
        assert all([rule.what, rule.why, rule.fix, rule.before, rule.after])
    assert {problem.rule for problem in findings(complete_incident(summary=None))} <= set(
        RULES_BY_ID
    )
