"""The public projection: built only from the allowlist, internal text dropped and handles
turned into roles before any Markdown exists; anything unsafe is an error naming the file."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from postmortem_kb.core.model import (
    Evidence,
    Factor,
    FollowUp,
    Impact,
    ImpactMeasure,
    ImpactPhase,
    ImportSource,
    Incident,
    PublicFollowUp,
    PublicIncident,
    PublicMeasure,
    PublicPhase,
    PublicView,
    Review,
    TimelineEntry,
    Waiver,
)
from postmortem_kb.core.settings import Settings
from postmortem_kb.public.projection import (
    NEUTRAL_TITLE,
    PublicProjection,
    preview_public,
    project_public,
)

UTC = dt.timezone.utc


def settings() -> Settings:
    return Settings(source_dir=Path("postmortems"), audience="public", public_tags=("pubtag_c4e",))


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, 3, 5, hour, minute, tzinfo=UTC)


def marked_incident_fields() -> dict[str, Any]:
    """Every field of `Incident`: private ones carry a PRIVATE marker, allowlisted ones a
    PUBLIC marker (or a value that is public by design: id, date, severity, duration)."""
    return {
        "id": "pub-id-91d",
        "source": "postmortems/private-file-0e2.md",
        "title": "PRIVATE_TITLE_7f3",
        "date": dt.date(2024, 3, 5),
        "severity": "SEV-2",
        "status": "published",
        "type": "incident",
        "source_url": "https://private-source-4d1.example/post",
        "company": "PRIVATE_COMPANY_6b2",
        "imported_from": ImportSource("private-import-8c3.docx", "PRIVATE_SHA_9f0"),
        "services": ("PRIVATE_SERVICE_a10",),
        "tags": ("pubtag_c4e", "PRIVATE_TAG_5c1"),
        "trigger": "PRIVATE_TRIGGER_e8e",
        "impact": Impact(
            started=at(10),
            detected=at(10, 5),
            mitigated=at(10, 40),
            resolved=at(11),
            customer="PRIVATE_CUSTOMER_3b0",
            data_loss=True,
            phases=(
                ImpactPhase("degraded", at(10), at(10, 20), public=True, line=20,
                            note="PUBLIC_PHASENOTE_1a4 [PRIVATE_PHASESPAN_2b5]{.internal}"),
                ImpactPhase("outage", at(10, 20), at(11), "PRIVATE_PHASENOTE_3c6"),
            ),
            measures=(
                ImpactMeasure("PUBLIC_MEASURE_4d7", 78, "%", public=True),
                ImpactMeasure("PRIVATE_MEASURE_5e8", 5000, "PRIVATE_UNIT_6f9"),
            ),
        ),
        "commander": "@private_commander_d41",
        "owner": "@private_owner_77a",
        "drafted": dt.date(1901, 2, 3),
        "published": dt.date(1902, 3, 4),
        "key_learning": "PRIVATE_KEYLEARNING_b52",
        "summary": "PRIVATE_SUMMARY_19c",
        "timeline": (
            TimelineEntry(
                at(10),
                "PUBLIC_TIMELINE_2b1 [PRIVATE_TLSPAN_0aa]{.internal}",
                kind="alert",
                public=True,
                line=31,
            ),
            TimelineEntry(at(10, 5), "PRIVATE_TIMELINE_6d2", kind="decision"),
            TimelineEntry(at(10, 6), "::: internal\nPRIVATE_TLBLOCK_60e\n:::", public=True),
        ),
        "contributors": (
            Factor("PRIVATE_CONTRIBUTOR_8e1", kind="technical", factor="private-factor-9c2"),
        ),
        "mitigators": (Factor("PRIVATE_MITIGATOR_f05"),),
        "risks": (Factor("PRIVATE_RISK_c3a", likelihood="high", severity="low"),),
        "learnings": {"technical": ("PRIVATE_LEARNING_4a9",), "general": ("PRIVATE_LEARNING_5b0",)},
        "surprises": ("PRIVATE_SURPRISE_1d7",),
        "went_well": ("PRIVATE_WENTWELL_e2f",),
        "went_wrong": ("PRIVATE_WENTWRONG_09b",),
        "got_lucky": ("PRIVATE_GOTLUCKY_a6c",),
        "five_whys": ("PRIVATE_WHY_b7d",),
        "evidence": (
            Evidence("PRIVATE_CAPTION_2e8", link="https://private-evidence-0f1.example/g"),
            Evidence("PRIVATE_CAPTION_9a4", file="private-figure-3c2.png"),
        ),
        "unknowns": ("PRIVATE_UNKNOWN_71e",),
        "follow_ups": (
            FollowUp(
                "PUBLIC_FUACTION_5e3 [PRIVATE_FUSPAN_d2a]{.internal}",
                owner="@private_fuowner_c90",
                due=dt.date(2024, 4, 1),
                status="open",
                ticket="PRIVATE_TICKET_0b6",
                priority="PRIVATE_PRIORITY_e47",
                public=True,
                type="detect",
                check="PRIVATE_CHECK_8b1",
            ),
            FollowUp("PRIVATE_FUACTION_8f8", owner="team:private-team-0d3", status="done",
                     closed=dt.date(1904, 5, 6), type="prevent", check="PRIVATE_CHECK_7a0"),
        ),
        "related": ("private-related-6a0",),
        "recurrence_of": "private-recurrence-b13",
        "links": {"PRIVATE_LINKNAME_a2d": "https://private-link-55c.example/"},
        "roles": {
            "@private_handle_9e9": "PUBLIC_ROLE_f3b",
            "@private_other_2c2": "role names are public",
        },
        "public": public_view(),
        "waivers": (Waiver("complete/analysis", "PRIVATE_WAIVER_5d1", "mitigators"),),
        "review": Review(
            meeting=dt.date(1903, 4, 5),
            facilitator="@private_facilitator_4b8",
            note_taker="@private_notetaker_e19",
            attendees=("@private_attendee_7d3",),
            notes="https://private-notes-c2a.example/",
            approved_by="@private_approver_a64",
            approved_on=dt.date(1903, 4, 6),
            public_approved_by="@private_pubapprover_0c9",
            public_approved_on=dt.date(1903, 4, 7),
            public_fingerprint="v1:private0fingerprint5e2",
        ),
        "body": "PRIVATE_BODY_2f0",
        "lines": {"public.summary": 40, "public.remediation": 44},
    }


PUBLIC_MARKERS = [
    "pub-id-91d",
    "PUBLIC_TITLE_a81",
    "PUBLIC_SUMMARY_c77",
    "PUBLIC_IMPACT_4f4",
    "PUBLIC_REMEDIATION_e90",
    "PUBLIC_KEYLEARNING_60b",
    "PUBLIC_SERVICE_b3e",
    "PUBLIC_TIMELINE_2b1",
    "PUBLIC_FUACTION_5e3",
    "PUBLIC_ROLE_f3b",
    "pubtag_c4e",
    "PUBLIC_PHASENOTE_1a4",
    "PUBLIC_MEASURE_4d7",
]


def public_view(**changes: Any) -> PublicView:
    view = PublicView(
        summary="PUBLIC_SUMMARY_c77, led by @private_handle_9e9.\n\n"
        "::: internal\nPRIVATE_INBLOCK_d0d\n:::\n",
        title="PUBLIC_TITLE_a81",
        impact="PUBLIC_IMPACT_4f4",
        remediation="PUBLIC_REMEDIATION_e90 [PRIVATE_INSPAN_3a3]{.internal}",
        services=("PUBLIC_SERVICE_b3e", "[PRIVATE_SVCSPAN_7c1]{.internal}", "PUBLIC_SERVICE_b3e"),
        key_learning="PUBLIC_KEYLEARNING_60b",
    )
    return dataclasses.replace(view, **changes)


def incident(**changes: Any) -> Incident:
    return dataclasses.replace(Incident(**marked_incident_fields()), **changes)


def project(value: Incident) -> PublicProjection:
    return project_public(value, settings())


class TestAllowlist:
    def test_every_incident_field_is_classified_by_this_test(self) -> None:
        # A field added to `Incident` must get a marker here before the test passes again.
        assert set(marked_incident_fields()) == {f.name for f in dataclasses.fields(Incident)}

    def test_public_incident_holds_every_public_marker_and_nothing_private(self) -> None:
        projection = project(incident())
        assert projection.problems == ()
        assert projection.incident is not None
        shown = repr(projection.incident) + str(projection.incident)
        missing = [marker for marker in PUBLIC_MARKERS if marker not in shown]
        assert missing == []
        assert "private" not in shown.lower()
        assert "1901" not in shown and "1902" not in shown  # drafted, published
        assert "1903" not in shown  # the review's dates
        assert "1904" not in shown  # a follow-up's closed date

    def test_values_are_projected_as_written(self) -> None:
        public = project(incident()).incident
        assert public is not None
        assert dataclasses.replace(public, timeline=()) == PublicIncident(
            id="pub-id-91d",
            title="PUBLIC_TITLE_a81",
            date=dt.date(2024, 3, 5),
            severity="SEV-2",
            summary="PUBLIC_SUMMARY_c77, led by PUBLIC_ROLE_f3b.",
            duration=dt.timedelta(hours=1),
            impact="PUBLIC_IMPACT_4f4",
            remediation="PUBLIC_REMEDIATION_e90",
            services=("PUBLIC_SERVICE_b3e",),
            key_learning="PUBLIC_KEYLEARNING_60b",
            tags=("pubtag_c4e",),
            follow_ups=(PublicFollowUp("PUBLIC_FUACTION_5e3", "open", dt.date(2024, 4, 1)),),
            phases=(PublicPhase("degraded", at(10), at(10, 20), "PUBLIC_PHASENOTE_1a4"),),
            measures=(PublicMeasure("PUBLIC_MEASURE_4d7", 78, "%"),),
            type="incident",
        )
        [entry] = public.timeline  # the all-internal public entry is dropped
        assert (entry.at, entry.event.strip()) == (at(10), "PUBLIC_TIMELINE_2b1")

    def test_follow_ups_never_carry_owner_ticket_or_priority(self) -> None:
        assert {f.name for f in dataclasses.fields(PublicFollowUp)} == {"action", "status", "due"}

    def test_only_public_tags_are_kept(self) -> None:
        public = project(incident(tags=("zeta", "pubtag_c4e", "alpha"))).incident
        assert public is not None and public.tags == ("pubtag_c4e",)

    def test_missing_public_title_gives_a_neutral_title_not_the_internal_one(self) -> None:
        public = project(incident(public=public_view(title=None))).incident
        assert public is not None
        assert public.title == NEUTRAL_TITLE.format(date="2024-03-05")
        assert "PRIVATE" not in public.title

    def test_a_title_that_is_all_internal_falls_back_too(self) -> None:
        public = project(incident(public=public_view(title="[x]{.internal}"))).incident
        assert public is not None and public.title == "Service disruption on 2024-03-05"


class TestNotPublic:
    @pytest.mark.parametrize("status", ["draft", "review"])
    def test_unpublished_status_is_never_projected(self, status: str) -> None:
        projection = project(incident(status=status))
        assert projection.incident is None
        assert projection.reason == f"its status is `{status}`, not `published`"

    @pytest.mark.parametrize("summary", ["", "  \n"])
    def test_no_public_summary_is_never_projected(self, summary: str) -> None:
        view = PublicView(summary=summary, title="PUBLIC_TITLE_a81")
        assert project(incident(public=view)).reason == "it has no `public.summary`"
        assert project(incident(public=None)).reason == "it has no `public.summary`"

    def test_summary_that_is_all_internal_is_never_projected(self) -> None:
        view = PublicView(summary="::: internal\nPRIVATE\n:::")
        projection = project(incident(public=view))
        assert projection.incident is None
        assert (
            projection.reason == "its `public.summary` is empty once internal-only text is removed"
        )

    def test_preview_reason_is_none_only_for_public_incidents(self) -> None:
        assert project_public(incident(), settings()).reason is None
        assert project_public(incident(status="draft"), settings()).reason is not None

    def test_preview_shows_what_a_draft_would_publish(self) -> None:
        preview = preview_public(incident(status="draft"), settings())
        assert preview.incident is not None and preview.incident.title == "PUBLIC_TITLE_a81"
        assert preview.reason == "its status is `draft`, not `published`"


class TestUnsafePublicText:
    def test_raw_html_is_an_error_naming_file_line_and_field(self) -> None:
        projection = project(incident(public=public_view(summary="Fine <b>bold</b>")))
        assert projection.incident is None
        assert projection.reason == "its public text has errors"
        [problem] = projection.problems
        assert (problem.file, problem.line, problem.field) == (
            "postmortems/private-file-0e2.md",
            40,
            "public.summary",
        )
        assert problem.is_error and "raw HTML" in problem.message and "<b>" in problem.message
        assert str(problem).startswith("postmortems/private-file-0e2.md:40: public.summary: ")

    def test_raw_html_in_a_public_timeline_entry_names_its_line(self) -> None:
        entry = TimelineEntry(at(9), "<script>x</script>", public=True, line=77)
        [problem] = project(incident(timeline=(entry,))).problems
        assert (problem.line, problem.field) == (77, "timeline[0].event")

    def test_raw_html_inside_internal_text_is_not_an_error(self) -> None:
        view = PublicView(summary="Fine. [<b>x</b>]{.internal}\n::: internal\n<div>\n:::")
        assert project(incident(public=view)).problems == ()

    def test_raw_html_from_a_role_is_caught(self) -> None:
        roles = {"@private_handle_9e9": "<i>lead</i>"}
        [problem] = project(incident(roles=roles)).problems
        assert "raw HTML" in problem.message

    def test_unresolved_handle_is_an_error(self) -> None:
        projection = project(incident(public=public_view(remediation="Ask @nobody_x.")))
        assert projection.incident is None
        [problem] = projection.problems
        assert (problem.field, problem.line) == ("public.remediation", 44)
        assert "@nobody_x has no role" in problem.message

    def test_handles_in_email_and_code_are_left_alone(self) -> None:
        view = PublicView(summary="Write to ops@example.com; we use `@retry`.")
        public = project(incident(public=view)).incident
        assert public is not None
        assert public.summary == "Write to ops@example.com; we use `@retry`."

    def test_unclosed_internal_block_is_an_error_and_drops_the_rest(self) -> None:
        view = PublicView(summary="Shown.\n::: internal\nPRIVATE_REST")
        preview = preview_public(incident(public=view), settings())
        assert preview.incident is not None and preview.incident.summary == "Shown."
        [problem] = preview.problems
        assert problem.field == "public.summary" and "never closed" in problem.message
        assert project(incident(public=view)).incident is None
