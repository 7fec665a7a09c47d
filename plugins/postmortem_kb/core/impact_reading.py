"""Reading when an incident happened: the timeline, the impact, and what one says of the other.

The timeline's `at` comes in several forms an author reaches for when the record is patchy:
a full timestamp, a day alone, `HH:MM` (the day of the entry before, or the incident's date),
any of these approximate (`~23:00`) and a range of two of them (`23:00..23:30`, the end's
`HH:MM` on the start's day). An entry is ordered and measured by its earliest point and keeps
what was written (`approximate`, `until`), so pages show it as such and never as exact.

The impact has its four timestamps, its phases (what customers saw, stretch by stretch) and
its measures (numbers to sum and compare). A timestamp the file leaves out is derived where
the rest of the file says it: `started` from the first phase, `resolved` from the end of the
last one, `detected` from the earliest `alert` or `detection` entry of the timeline, each
named in `Impact.derived` so pages can say so. A derivation that would contradict the
written times (an alert before the impact it detects) is not made: a warning names the entry
and asks for the time, rather than a negative time to detect reaching the metrics.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from dataclasses import dataclass
from typing import Any

from .fields import DATE_PATTERN, FieldReader, kind_of, shown
from .model import (
    DETECTION_KINDS,
    TIMELINE_KINDS,
    Impact,
    ImpactMeasure,
    ImpactPhase,
    TimelineEntry,
)
from .settings import DEFAULT_PHASE_STATES

_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
#: The impact's timestamps, in the order they must come.
IMPACT_TIMES = ("started", "detected", "mitigated", "resolved")
IMPACT_FIELDS = (*IMPACT_TIMES, "customer", "data_loss", "phases", "measures")
PHASE_FIELDS = ("state", "from", "to", "note", "public")
MEASURE_FIELDS = ("what", "value", "unit", "public")
TIMELINE_FIELDS = ("at", "event", "kind", "public")
#: How a timeline `at` may be written, for messages.
AT_FORMS = "HH:MM, a date, a full timestamp, ~ before any of them, or a range A..B"


@dataclass(frozen=True)
class _Moment:
    """One side of a timeline `at`, resolved."""

    at: dt.datetime
    date_only: bool
    approximate: bool


class ImpactReader(FieldReader):
    """The timeline and the impact of one postmortem (see the module docstring)."""

    def __init__(
        self,
        display: str,
        data: dict[str, Any],
        lines: dict[str, int],
        zone: dt.tzinfo,
        phase_states: tuple[str, ...] = DEFAULT_PHASE_STATES,
    ) -> None:
        super().__init__(display, data, lines, zone)
        #: The states an impact phase may have (the `phase_states` option).
        self.phase_states = phase_states

    # -- the timeline ------------------------------------------------------------------
    def timeline(self, value: Any, date: dt.date | None) -> tuple[TimelineEntry, ...]:
        entries: list[TimelineEntry] = []
        previous: TimelineEntry | None = None
        for path, item in self.items(value, "timeline"):
            if not isinstance(item, dict):
                self.error(path, f"is {kind_of(item)}; expected a mapping with at, event")
                continue
            self.mapping(item, path, TIMELINE_FIELDS)
            event = self.text(item.get("event"), f"{path}.event", required=True)
            base = previous.at if previous is not None else None
            when = self.timeline_at(item.get("at"), f"{path}.at", base, date)
            if when is None or event is None:
                continue
            first, until = when
            entry = TimelineEntry(
                at=first.at,
                event=event,
                kind=self.choice(item.get("kind"), f"{path}.kind", TIMELINE_KINDS, "") or None,
                public=bool(self.boolean(item.get("public"), f"{path}.public")),
                date_only=first.date_only,
                line=self.line_of(path),
                approximate=first.approximate,
                until=until,
            )
            if previous is not None and _is_before(entry, previous):
                self.error(
                    f"{path}.at",
                    f"{_when(entry)} is before the entry above it "
                    f"({_when(previous)}); expected entries in time order (write a "
                    "full timestamp for an entry on a later day)",
                )
            entries.append(entry)
            previous = entry
        return tuple(entries)

    def timeline_at(
        self, value: Any, path: str, base: dt.datetime | None, date: dt.date | None
    ) -> tuple[_Moment, dt.datetime | None] | None:
        """The entry's earliest point (approximate when either side is) and a range's end."""
        text = self.text(value, path, required=True)
        if text is None:
            return None
        start_text, is_range, end_text = text.partition("..")
        if is_range and not (start_text.strip() and end_text.strip()):
            missing = "an end" if start_text.strip() else "a start"
            self.error(
                path,
                f"{shown(text)} is a range without {missing}; expected A..B, e.g. 23:00..23:30",
            )
            return None
        start = self.moment(start_text, path, base, date)
        if not is_range:
            return (start, None) if start else None
        end = self.moment(end_text, path, start.at if start else base, date)
        if start is None or end is None:
            return None
        if start.date_only != end.date_only:
            self.error(
                path,
                f"{shown(text)} joins a date and a time; expected two dates"
                " (2024-03-01..2024-03-03) or two times (23:00..23:30)",
            )
            return None
        if end.at < start.at:
            self.error(
                path,
                f"{shown(text)} ends before it starts; expected the end after the"
                " start (write a full timestamp for an end on a later day)",
            )
            return None
        approximate = start.approximate or end.approximate
        return dataclasses.replace(start, approximate=approximate), end.at

    def moment(
        self, written: str, path: str, base: dt.datetime | None, date: dt.date | None
    ) -> _Moment | None:
        """One point of a timeline `at`: `HH:MM` takes the day (and zone) of `base`, else the
        incident's date; None, reported, when it is not a point in time."""
        text = written.strip()
        approximate = text.startswith("~")
        text = text.removeprefix("~").strip()
        if not text:
            self.error(path, f"{shown(written.strip())} has no time; expected {AT_FORMS}")
            return None
        if DATE_PATTERN.match(text):
            day = self.date(text, path)
            if day is None:
                return None
            return _Moment(dt.datetime.combine(day, dt.time(), self.zone), True, approximate)
        clock = _TIME.match(text)
        if clock:
            hour, minute, second = (int(part or 0) for part in clock.groups())
            if hour > 23 or minute > 59 or second > 59:
                self.error(path, f"{shown(text)} is not a real time; expected HH:MM")
                return None
            if base is not None:
                day, zone = base.date(), base.tzinfo
            elif date is not None:
                day, zone = date, self.zone
            else:
                return None  # no incident date: that is reported as the missing `date`
            clock_time = dt.datetime.combine(day, dt.time(hour, minute, second), zone)
            return _Moment(clock_time, False, approximate)
        stamp = self.timestamp(text, path)
        return _Moment(stamp, False, approximate) if stamp else None

    # -- the impact --------------------------------------------------------------------
    def impact(self, value: Any) -> Impact:
        data = self.mapping(value, "impact", IMPACT_FIELDS)
        stamps = {name: self.timestamp(data.get(name), f"impact.{name}") for name in IMPACT_TIMES}
        present = [(name, stamp) for name, stamp in stamps.items() if stamp is not None]
        for (earlier, first), (later, second) in itertools.pairwise(present):
            if second < first:
                self.error(
                    f"impact.{later}",
                    f"is before impact.{earlier}; expected "
                    "started ≤ detected ≤ mitigated ≤ resolved",
                )
        return Impact(
            started=stamps["started"],
            detected=stamps["detected"],
            mitigated=stamps["mitigated"],
            resolved=stamps["resolved"],
            customer=self.text(data.get("customer"), "impact.customer"),
            data_loss=self.boolean(data.get("data_loss"), "impact.data_loss"),
            phases=self.phases(data.get("phases")),
            measures=self.each(
                data.get("measures"), "impact.measures", self.one_measure, MEASURE_FIELDS
            ),
        )

    def phases(self, value: Any) -> tuple[ImpactPhase, ...]:
        """The phases in time order, not overlapping; one without `to` ends where the next
        begins (the last one without `to` is still going on)."""
        read = self.each(value, "impact.phases", self.one_phase, PHASE_FIELDS)
        phases = [phase for _, phase in read]
        for index, ((_, before), (path, phase)) in enumerate(itertools.pairwise(read)):
            if phase.start < before.start or (before.end and phase.start < before.end):
                edge, stamp = ("ends", before.end) if before.end else ("starts", before.start)
                self.error(
                    f"{path}.from",
                    f"{_stamp(phase.start)} is before the phase above it"
                    f" {edge} ({_stamp(stamp)}); expected phases in time order, not"
                    " overlapping",
                )
            elif before.end is None:
                phases[index] = dataclasses.replace(before, end=phase.start)
        return tuple(phases)

    def one_phase(self, item: dict[str, Any], path: str) -> tuple[str, ImpactPhase] | None:
        states = self.phase_states
        state = None
        if item.get("state") is None:
            self.error(f"{path}.state", f"is required; expected one of {', '.join(states)}")
        else:
            state = self.choice(item.get("state"), f"{path}.state", states, "") or None
        if item.get("from") is None:
            self.error(
                f"{path}.from",
                "is required; expected the timestamp the phase began,"
                " e.g. 2024-03-01T14:25:00+00:00",
            )
        start = self.timestamp(item.get("from"), f"{path}.from")
        end = self.timestamp(item.get("to"), f"{path}.to")
        if start and end and end < start:
            self.error(
                f"{path}.to",
                f"is before `from` ({_stamp(start)}); expected the end of"
                " the phase after its start",
            )
            return None
        note = self.text(item.get("note"), f"{path}.note")
        public = bool(self.boolean(item.get("public"), f"{path}.public"))
        if state is None or start is None:
            return None
        return path, ImpactPhase(state, start, end, note, public, self.line_of(path))

    def one_measure(self, item: dict[str, Any], path: str) -> ImpactMeasure | None:
        what = self.text(item.get("what"), f"{path}.what", required=True)
        value = self.number(item.get("value"), f"{path}.value", required=True)
        unit = self.text(item.get("unit"), f"{path}.unit")
        public = bool(self.boolean(item.get("public"), f"{path}.public"))
        if what is None or value is None:
            return None
        return ImpactMeasure(what, value, unit, public)

    # -- derived times -----------------------------------------------------------------
    def derived_impact(self, impact: Impact, timeline: tuple[TimelineEntry, ...]) -> Impact:
        """`impact` with the timestamps it lacks derived from its phases and the timeline."""
        stamps: dict[str, dt.datetime | None] = {
            name: getattr(impact, name) for name in IMPACT_TIMES
        }
        derived: list[str] = []
        for name, (path, source, stamp) in _derivable(impact, timeline).items():
            if stamps[name] is not None:
                continue
            conflict = _out_of_order({**stamps, name: stamp}, name)
            if conflict is None:
                stamps[name] = stamp
                derived.append(name)
                continue
            later = IMPACT_TIMES.index(conflict) > IMPACT_TIMES.index(name)
            relation = "after" if later else "before"
            self.warning(
                path,
                f"impact.{name} is not derived from {source} ({_stamp(stamp)}):"
                f" it is {relation} impact.{conflict}; write impact.{name} if it is"
                " known",
            )
        return dataclasses.replace(
            impact,
            started=stamps["started"],
            detected=stamps["detected"],
            resolved=stamps["resolved"],
            derived=tuple(name for name in IMPACT_TIMES if name in derived),
        )


def _derivable(
    impact: Impact, timeline: tuple[TimelineEntry, ...]
) -> dict[str, tuple[str, str, dt.datetime]]:
    """name → (where it comes from, that place in words, the time) of each derivable time."""
    found: dict[str, tuple[str, str, dt.datetime]] = {}
    phases = impact.phases
    if phases:
        found["started"] = (
            "impact.phases[0].from",
            "the start of the first phase",
            phases[0].start,
        )
        last = phases[-1].end
        if last is not None:
            found["resolved"] = (
                f"impact.phases[{len(phases) - 1}].to",
                "the end of the last phase",
                last,
            )
    signals = [
        (index, entry)
        for index, entry in enumerate(timeline)
        if entry.kind in DETECTION_KINDS and not entry.date_only
    ]
    if signals:
        index, entry = min(signals, key=lambda signal: signal[1].at)
        found["detected"] = (
            f"timeline[{index}].at",
            f"the first `{entry.kind}` entry of the timeline",
            entry.at,
        )
    return found


def _out_of_order(stamps: dict[str, dt.datetime | None], name: str) -> str | None:
    """The first other time that `stamps[name]` is out of order with, or None."""
    position, stamp = IMPACT_TIMES.index(name), stamps[name]
    assert stamp is not None
    for other_position, other in enumerate(IMPACT_TIMES):
        value = stamps[other]
        if value is None or other == name:
            continue
        if (other_position < position and value > stamp) or (
            other_position > position and value < stamp
        ):
            return other
    return None


def _is_before(entry: TimelineEntry, previous: TimelineEntry) -> bool:
    """Out of order? A date-only entry stands for its whole day, so it compares by day."""
    if entry.date_only or previous.date_only:
        return entry.at.date() < previous.at.date()
    return entry.at < previous.at


def _when(entry: TimelineEntry) -> str:
    return entry.at.date().isoformat() if entry.date_only else _stamp(entry.at)


def _stamp(stamp: dt.datetime) -> str:
    return stamp.isoformat(" ", "minutes")
