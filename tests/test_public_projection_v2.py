"""The public projection of the v2 fields: impact phases and measures reach the public only
when marked `public`, their text passes the same checks as every public text, approximate and
ranged times keep their shape, an `external` incident never has a public version, and the
public approval covers the new public text without invalidating approvals made before it.

The incident is `test_public_projection`'s: a private marker in every private field, a
public marker in every public one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from postmortem_kb.core.model import (
    ImpactMeasure,
    ImpactPhase,
    Incident,
    PublicMeasure,
    PublicPhase,
    PublicTimelineEntry,
    TimelineEntry,
)
from postmortem_kb.core.settings import DEFAULT_TYPES, Settings, TypeRule
from postmortem_kb.public.approval import public_fingerprint
from postmortem_kb.public.private_strings import collect_private_strings
from postmortem_kb.public.projection import preview_public, project_public
from test_public_projection import at, incident, project, settings


def with_impact(base: Incident, **changes: object) -> Incident:
    return dataclasses.replace(base, impact=dataclasses.replace(base.impact, **changes))


class TestPhasesAndMeasures:
    def test_only_the_phases_and_measures_marked_public_are_projected(self) -> None:
        public = project(incident()).incident
        assert public is not None
        # The internal span of the public note is cut; the private phase is not there at all.
        assert public.phases == (
            PublicPhase("degraded", at(10), at(10, 20), "PUBLIC_PHASENOTE_1a4"),
        )
        assert public.measures == (PublicMeasure("PUBLIC_MEASURE_4d7", 78, "%"),)
        assert "PRIVATE" not in repr(public)

    def test_nothing_marked_public_projects_nothing(self) -> None:
        base = incident()
        hidden = with_impact(
            base,
            phases=tuple(dataclasses.replace(p, public=False) for p in base.impact.phases),
            measures=tuple(dataclasses.replace(m, public=False) for m in base.impact.measures),
        )
        public = project(hidden).incident
        assert public is not None and public.phases == () and public.measures == ()

    def test_a_public_phase_keeps_its_times_without_a_note(self) -> None:
        phase = ImpactPhase("outage", at(10), None, None, public=True)
        public = project(with_impact(incident(), phases=(phase,))).incident
        assert public is not None and public.phases == (PublicPhase("outage", at(10)),)

    def test_a_phase_note_shows_roles_not_handles(self) -> None:
        phase = ImpactPhase("outage", at(10), note="Paged @private_handle_9e9.", public=True)
        public = project(with_impact(incident(), phases=(phase,))).incident
        assert public is not None and public.phases[0].note == "Paged PUBLIC_ROLE_f3b."

    @pytest.mark.parametrize(
        ("field", "changes", "message"),
        [
            (
                "impact.phases[0].note",
                {"phases": (ImpactPhase("outage", at(10), note="<b>down</b>", public=True),)},
                "raw HTML is not allowed in public text",
            ),
            (
                "impact.phases[0].note",
                {"phases": (ImpactPhase("outage", at(10), note="Ask @nobody_z.", public=True),)},
                "@nobody_z has no role",
            ),
            (
                "impact.measures[0].what",
                {"measures": (ImpactMeasure("<i>failed</i> requests", 3, public=True),)},
                "raw HTML is not allowed in public text",
            ),
            (
                "impact.measures[0].unit",
                {"measures": (ImpactMeasure("requests", 3, "<i>%</i>", public=True),)},
                "raw HTML is not allowed in public text",
            ),
        ],
    )
    def test_unsafe_public_text_in_a_phase_or_measure_names_file_line_and_field(
        self, field: str, changes: dict[str, object], message: str
    ) -> None:
        lines = {**incident().lines, field: 23}
        projection = project(dataclasses.replace(with_impact(incident(), **changes), lines=lines))
        assert projection.incident is None
        [problem] = projection.problems
        assert (problem.file, problem.line, problem.field) == (
            "postmortems/private-file-0e2.md",
            23,
            field,
        )
        assert message in problem.message

    def test_unsafe_text_of_a_phase_not_marked_public_is_no_concern(self) -> None:
        phase = ImpactPhase("outage", at(10), note="<b>internal only</b> @nobody_z")
        assert project(with_impact(incident(), phases=(phase,))).problems == ()


def test_public_timeline_entries_keep_approximate_and_ranged_times() -> None:
    entries = (
        TimelineEntry(at(10), "PUBLIC_A", public=True, approximate=True),
        TimelineEntry(at(11), "PUBLIC_B", public=True, until=at(11, 30)),
        TimelineEntry(at(12), "PRIVATE_C", approximate=True, until=at(13)),
    )
    public = project(dataclasses.replace(incident(), timeline=entries)).incident
    assert public is not None
    assert public.timeline == (
        PublicTimelineEntry(at(10), "PUBLIC_A", approximate=True),
        PublicTimelineEntry(at(11), "PUBLIC_B", until=at(11, 30)),
    )


class TestTypes:
    def test_the_type_is_projected(self) -> None:
        public = project(dataclasses.replace(incident(), type="near-miss")).incident
        assert public is not None and public.type == "near-miss"

    def test_an_external_incident_never_has_a_public_version(self) -> None:
        external = dataclasses.replace(incident(), type="external")
        reason = "its type `external` never reaches the public site"
        assert project(external) == project_public(external, settings())
        assert (project(external).incident, project(external).reason) == (None, reason)
        # Not even as the internal page's preview: it will never be published.
        assert preview_public(external, settings()).incident is None

    def test_any_type_can_be_kept_off_the_public_site(self) -> None:
        types = {**DEFAULT_TYPES, "game-day": TypeRule(listed="own", public=False)}
        custom = Settings(source_dir=Path("postmortems"), audience="public", types=types)
        game_day = dataclasses.replace(incident(), type="game-day")
        assert project_public(game_day, custom).incident is None
        assert project_public(game_day, settings()).incident is not None


class TestPrivateStrings:
    def collected(self, value: Incident) -> set[str]:
        public = project(value).incident
        return set(collect_private_strings([value], [public] if public else []))

    def test_the_new_private_fields_are_scanned_for(self) -> None:
        found = " ".join(self.collected(incident()))
        for marker in (
            "PRIVATE_PHASENOTE_3c6",
            "PRIVATE_PHASESPAN_2b5",
            "PRIVATE_MEASURE_5e8",
            "PRIVATE_UNIT_6f9",
            "PRIVATE_COMPANY_6b2",
            "https://private-source-4d1.example/post",
            "private-import-8c3.docx",
            "PRIVATE_SHA_9f0",
            "PRIVATE_CHECK_7a0",
            "PRIVATE_CHECK_8b1",
            "private-factor-9c2",
            "team:private-team-0d3",
        ):
            assert marker in found, marker
        assert "PUBLIC_PHASENOTE_1a4" not in found and "PUBLIC_MEASURE_4d7" not in found

    def test_every_text_of_an_incident_that_is_not_public_is_private(self) -> None:
        found = " ".join(self.collected(dataclasses.replace(incident(), type="external")))
        assert "PUBLIC_PHASENOTE_1a4" in found and "PUBLIC_MEASURE_4d7" in found


class TestApproval:
    #: The fingerprint `test_public_projection`'s incident had before phases and measures
    #: existed (computed by the approval code of that time): an approval of it stays valid.
    BEFORE_V2 = "v1:d182c1a12c7983199e0643e31fda13fbd6e91b514c3686392c4406edf91f06ec"

    def test_an_incident_without_public_phases_or_measures_keeps_its_fingerprint(self) -> None:
        plain = with_impact(incident(), phases=(), measures=())
        assert public_fingerprint(plain) == self.BEFORE_V2
        # Phases and measures that are not public are not public text either.
        base = incident()
        private_only = with_impact(
            base,
            phases=tuple(dataclasses.replace(p, public=False) for p in base.impact.phases),
            measures=tuple(dataclasses.replace(m, public=False) for m in base.impact.measures),
        )
        assert public_fingerprint(private_only) == self.BEFORE_V2

    @pytest.mark.parametrize(
        "change",
        [
            lambda phase, measure: (dataclasses.replace(phase, note="Other words."), measure),
            lambda phase, measure: (phase, dataclasses.replace(measure, what="Other words")),
            lambda phase, measure: (phase, dataclasses.replace(measure, value=79)),
            lambda phase, measure: (phase, dataclasses.replace(measure, unit="‰")),
        ],
        ids=["phase note", "measure what", "measure value", "measure unit"],
    )
    def test_a_changed_public_phase_note_or_measure_needs_a_new_approval(
        self, change: object
    ) -> None:
        base = incident()
        phase, measure = base.impact.phases[0], base.impact.measures[0]
        new_phase, new_measure = change(phase, measure)  # type: ignore[operator]
        changed = with_impact(
            base,
            phases=(new_phase, *base.impact.phases[1:]),
            measures=(new_measure, *base.impact.measures[1:]),
        )
        assert public_fingerprint(base) not in (self.BEFORE_V2, public_fingerprint(changed))

    def test_times_and_private_parts_do_not_change_the_fingerprint(self) -> None:
        base = incident()
        moved = with_impact(
            base,
            phases=tuple(
                dataclasses.replace(p, start=p.start + dt.timedelta(minutes=5))
                for p in base.impact.phases
            ),
            measures=(
                base.impact.measures[0],
                dataclasses.replace(base.impact.measures[1], value=1),
            ),
        )
        assert public_fingerprint(moved) == public_fingerprint(base)
