"""The quality gate over the v2 model: factor objects are read for blame like plain strings,
overdue covers `in-progress`, a derived detection time counts, and each incident type needs
only what `rules.TYPE_EXEMPTIONS` says it does."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from postmortem_kb.core.model import Factor, FollowUp, Impact, TimelineEntry
from postmortem_kb.core.settings import QualityOptions
from postmortem_kb.quality.complete import COMPLETENESS_ITEMS
from postmortem_kb.quality.rules import RULES_BY_ID, TYPE_EXEMPTIONS
from test_quality import TODAY, at, complete_incident, findings, rules_of


def test_a_factor_object_is_read_for_blame_by_its_text() -> None:
    blaming = Factor(
        "The on-call engineer was careless with the replica.", kind="human", factor="manual-step"
    )
    problem = next(
        p
        for p in findings(complete_incident(contributors=(blaming,)))
        if p.rule == "blameless/blame-word"
    )
    assert problem.field == "contributors[0]" and "careless" in problem.message
    person = Factor("@sam.o ran the cleanup against the primary.", kind="human")
    assert "blameless/person-contributor" in rules_of(
        complete_incident(contributors=(person,)), people={"@sam.o": []}
    )
    risky = Factor("Someone was negligent about backups.", likelihood="high", severity="high")
    assert "blameless/blame-word" in rules_of(complete_incident(risks=(risky,)))


@pytest.mark.parametrize(("status", "overdue"), [
    ("open", True), ("in-progress", True), ("done", False), ("wont-do", False),
])  # fmt: skip
def test_overdue_covers_open_and_in_progress(status: str, overdue: bool) -> None:
    late = FollowUp(
        "Rehearse the failover", "team:database", TODAY - dt.timedelta(days=1), status=status
    )
    assert ("process/overdue" in rules_of(complete_incident(follow_ups=(late,)))) is overdue


def test_a_team_or_vendor_is_an_owner() -> None:
    for owner in ("team:database", "vendor:Acme Networks"):
        owned = FollowUp("Rehearse the failover monthly", owner, TODAY, status="in-progress")
        assert rules_of(complete_incident(follow_ups=(owned,))) == []


def test_a_derived_detection_time_satisfies_completeness() -> None:
    derived = Impact(started=at(10), detected=at(10, 5), resolved=at(11), derived=("detected",))
    assert findings(complete_incident(impact=derived)) == []
    detection = (TimelineEntry(at(10, 5), "A customer reports errors.", kind="detection"),)
    assert findings(complete_incident(timeline=detection)) == []


class TestTypes:
    def test_a_game_day_needs_no_customer_impact(self) -> None:
        customer = QualityOptions(configured=True, completeness={"SEV-1": ("impact.customer",)})
        game_day = complete_incident(type="game-day")
        assert findings(game_day, customer) == []
        incident = dataclasses.replace(game_day, type="incident")
        assert rules_of(incident, options=customer) == ["complete/impact-times"]

    def test_a_near_miss_needs_no_impact_times_but_its_detection(self) -> None:
        near_miss = complete_incident(type="near-miss", impact=Impact(detected=at(10, 5)))
        assert findings(near_miss) == []
        assert "complete/impact-times" in rules_of(dataclasses.replace(near_miss, impact=Impact()))
        assert "complete/impact-times" in rules_of(dataclasses.replace(near_miss, type="incident"))

    def test_a_false_alarm_needs_no_impact_and_no_contributors(self) -> None:
        false_alarm = complete_incident(
            type="false-alarm", impact=Impact(), contributors=(), mitigators=()
        )
        assert findings(false_alarm) == []

    def test_maintenance_needs_nothing_detected(self) -> None:
        maintenance = complete_incident(
            type="maintenance",
            impact=Impact(started=at(10), resolved=at(11)),
            timeline=(TimelineEntry(at(10), "Failover starts as planned.", kind="action"),),
        )
        assert findings(maintenance) == []

    def test_an_external_incident_has_no_follow_ups_owner_or_deadlines_of_ours(self) -> None:
        old = TODAY - dt.timedelta(days=400)
        external = complete_incident(type="external", follow_ups=(), date=old, status="draft")
        assert findings(external) == []
        assert {"complete/follow-ups", "process/draft-age", "process/publish-age"} <= set(
            rules_of(dataclasses.replace(external, type="incident"))
        )

    def test_a_type_a_knowledge_base_adds_needs_everything(self) -> None:
        assert "security-review" not in TYPE_EXEMPTIONS
        custom = complete_incident(type="security-review", follow_ups=())
        assert rules_of(custom) == ["complete/follow-ups"]

    def test_every_exemption_says_why_and_names_known_items_and_rules(self) -> None:
        for exemption in TYPE_EXEMPTIONS.values():
            assert exemption.why and set(exemption.items) <= set(COMPLETENESS_ITEMS)
            assert set(exemption.rules) <= set(RULES_BY_ID)
