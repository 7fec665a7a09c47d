"""What an incident page shows at a glance, worked out for the templates.

The templates lay out; this module decides what the words and numbers are, so each is
computed once, can be tested without rendering, and means the same on both audiences' pages:

- the severity's place on the configured scale (badge colour, sort order);
- the impact window ("21:05 31 Jan to 16:00 3 Feb UTC", with a dash) and the durations, each saying
  what it measures ("2 d 18 h from start to resolved"), with the times that were derived
  (`Impact.derived`) named as such;
- the impact phases as a band: each phase's share of the whole stretch, for an SVG drawn with
  percentages (the sanitizer allows no `style`, and a band must stretch to any width);
- impact measures as figures ("30%", "1,900 changes");
- the timeline by day: clock time only, approximate times and ranges as written, an offset
  from the start of impact ("T+17 min");
- follow-up tickets as links, through the `ticket_url` pattern.

Everything takes the audience's own objects (`Incident` parts or their public projections),
so a public page never reaches past the projection through a helper.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from ..core.formatting import format_duration
from ..core.model import Impact
from ..core.settings import DEFAULT_PHASE_STATES

#: Badge tones by place on the scale: the worst level, the next, the next; then the rest.
SEVERITY_TONES = 4
#: What the derived impact times were derived from (see `core/impact_reading.py`).
DERIVED_FROM = {
    "started": "the start of the first impact phase",
    "detected": "the first alert or detection in the timeline",
    "resolved": "the end of the last impact phase",
}
#: Narrowest share of the band a phase gets, so a short phase still shows.
_MIN_PHASE_PERCENT = 1.0
#: Colours for phase states beyond the default ones, in order of appearance.
_EXTRA_TONES = 3


def severity_rank(severity: str, severities: Sequence[str]) -> int:
    """1 for the worst level of the scale, 2 for the next …; past the end for an unknown one."""
    try:
        return severities.index(severity) + 1
    except ValueError:
        return len(severities) + 1


def severity_tone(severity: str, severities: Sequence[str]) -> int:
    """The badge colour (1 worst … `SEVERITY_TONES`): the scale's lowest levels share one."""
    return min(severity_rank(severity, severities), SEVERITY_TONES)


# -- time --------------------------------------------------------------------------------


def zone_name(moment: dt.datetime) -> str:
    """`UTC`, or `UTC+02:00`: the offset a time was written with."""
    offset = moment.strftime("%z")
    return "UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}"


def day_label(day: dt.date) -> str:
    """`Tue 31 Jan 2017`: the day a group of timeline entries falls on."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def short_date(day: dt.date) -> str:
    """`31 Jan 2017`."""
    return f"{day.day} {day:%b %Y}"


def clock(moment: dt.datetime) -> str:
    return f"{moment:%H:%M}"


def offset_label(start: dt.datetime | None, moment: dt.datetime) -> str:
    """`T+0:17` (h:mm) from the start of impact, `T-1:05` (a minus sign) before it, `T+2d 4:10`;
    empty without a start. Short, so it fits beside a time on a phone."""
    if start is None:
        return ""
    span = moment - start
    sign = "\u2212" if span < dt.timedelta(0) else "+"
    minutes = int(abs(span).total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"T{sign}{f'{days}d ' if days else ''}{hours}:{minutes:02d}"


@dataclass(frozen=True)
class Measured:
    """One duration on the page, with what it runs between."""

    #: "detected", "mitigated" or "resolved": what the span ends with.
    end: str
    span: dt.timedelta
    #: Why a time in it is derived (empty when both ends were written).
    derived: str = ""

    @property
    def length(self) -> str:
        """ "2 h 05 min"."""
        return format_duration(self.span)

    @property
    def what(self) -> str:
        """ "from start to mitigated": what the length measures."""
        return f"from start to {self.end}"

    @property
    def label(self) -> str:
        return f"{self.length} {self.what}"


@dataclass(frozen=True)
class ImpactWindow:
    """When customers were affected, and how long each stage took from the start."""

    start: dt.datetime | None
    #: The end of impact: resolved, else mitigated; None while unknown.
    end: dt.datetime | None
    #: "21:05-23:40 UTC" (one day) or "21:05 31 Jan - 16:00 3 Feb UTC" (en dashes); "" unknown.
    text: str
    #: From start to detected, to mitigated and to resolved, those that are known.
    spans: tuple[Measured, ...]
    #: The span the page calls the incident's duration: to resolved, else to mitigated.
    duration: Measured | None
    #: Why the window's own ends are derived ("start: derived from …"), for a tooltip.
    derived: str


def impact_window(impact: Impact, date: dt.date) -> ImpactWindow:
    """The impact window of an incident that happened on `date` (its start day, when the
    window crosses midnight, is written out only then)."""
    start = impact.started
    end = impact.resolved or impact.mitigated
    spans = []
    for name, stamp in (
        ("detected", impact.detected),
        ("mitigated", impact.mitigated),
        ("resolved", impact.resolved),
    ):
        if start is None or stamp is None:
            continue
        names = [n for n in ("started", name) if n in impact.derived]
        spans.append(Measured(end=name, span=stamp - start, derived=_derived_note(names)))
    duration = next((span for span in reversed(spans) if span.end != "detected"), None)
    window_ends = [
        n
        for n, stamp in (("started", start), ("resolved", end))
        if stamp is not None and n in impact.derived
    ]
    return ImpactWindow(
        start=start,
        end=end,
        text=window_text(start, end, date),
        spans=tuple(spans),
        duration=duration,
        derived=_derived_note(window_ends),
    )


def window_text(start: dt.datetime | None, end: dt.datetime | None, date: dt.date) -> str:
    """`21:05-23:40 UTC` (an en dash) on the incident's own date, else with the days written."""
    if start is None:
        return ""
    if end is None:
        return f"from {_stamp(start, date)} {zone_name(start)}"
    end = end.astimezone(start.tzinfo) if start.tzinfo else end
    if start.date() == end.date() == date:
        return f"{clock(start)}\u2013{clock(end)} {zone_name(start)}"
    if start.date() == end.date():
        return f"{clock(start)}\u2013{clock(end)} {short_date(start.date())} {zone_name(start)}"
    return f"{_stamp(start, date)} \u2013 {_stamp(end, date)} {zone_name(start)}"


def _stamp(moment: dt.datetime, date: dt.date) -> str:
    """`21:05 31 Jan`, with the year only when it is not the incident's."""
    year = "" if moment.year == date.year else f" {moment.year}"
    return f"{clock(moment)} {moment.day} {moment:%b}{year}"


def _derived_note(names: Iterable[str]) -> str:
    return "; ".join(
        f"{name} derived from {DERIVED_FROM[name]}" for name in names if name in DERIVED_FROM
    )


# -- phases --------------------------------------------------------------------------------


class PhaseLike(Protocol):
    """An `ImpactPhase` or a `PublicPhase`."""

    @property
    def state(self) -> str: ...
    @property
    def start(self) -> dt.datetime: ...
    @property
    def end(self) -> dt.datetime | None: ...
    @property
    def note(self) -> str | None: ...


@dataclass(frozen=True)
class BandSegment:
    """One phase on the band: where it starts and how wide it is, in percent of the band."""

    state: str
    start: dt.datetime
    end: dt.datetime | None
    note: str | None
    x: float
    width: float
    #: "21:05-23:40" (an en dash), "from 21:05" for one still going on.
    when: str
    #: "2 h 35 min", or "" for one still going on.
    duration: str
    #: Its colour: the state itself for the default states, else `extra-1` … `extra-3`.
    tone: str


def phase_band(phases: Sequence[PhaseLike]) -> list[BandSegment]:
    """The phases laid out on one band from the first start to the last known time.

    A phase still going on (no end) reaches the end of the band. Gaps between phases stay
    empty. Widths are shares of the whole stretch, with a small minimum so a ten-minute phase
    of a three-day incident is still a visible mark.
    """
    if not phases:
        return []
    first = phases[0].start
    last = max(max(phase.end or phase.start for phase in phases), phases[-1].start)
    total = (last - first).total_seconds()
    day = first.date()
    others = list(dict.fromkeys(p.state for p in phases if p.state not in DEFAULT_PHASE_STATES))
    segments = []
    for phase in phases:
        end = phase.end or last
        if total > 0:
            x = (phase.start - first).total_seconds() / total * 100
            width = (end - phase.start).total_seconds() / total * 100
        else:
            x, width = 0.0, 100.0 / len(phases)
        width = max(width, _MIN_PHASE_PERCENT)
        x = min(x, 100 - width)
        if phase.end is None:
            when = f"from {_phase_time(phase.start, day)}"
        else:
            when = f"{_phase_time(phase.start, day)}\u2013{_phase_time(phase.end, day)}"
        segments.append(BandSegment(
            state=phase.state, start=phase.start, end=phase.end, note=phase.note,
            x=round(x, 2), width=round(width, 2), when=when,
            duration=format_duration(phase.end - phase.start) if phase.end else "",
            tone=phase.state if phase.state in DEFAULT_PHASE_STATES
            else f"extra-{others.index(phase.state) % _EXTRA_TONES + 1}",
        ))  # fmt: skip
    return segments


def _phase_time(moment: dt.datetime, day: dt.date) -> str:
    return clock(moment) if moment.date() == day else f"{clock(moment)} {moment.day} {moment:%b}"


# -- measures ------------------------------------------------------------------------------


def measure_value(value: float, unit: str | None) -> str:
    """`30%`, `1,900 changes`, `18.5 hours`: a figure as people write it."""
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")
    if not unit:
        return number
    return f"{number}{unit}" if unit in ("%", "\u2030") else f"{number} {unit}"


# -- timeline ------------------------------------------------------------------------------


class EntryLike(Protocol):
    """A `TimelineEntry` or a `PublicTimelineEntry`."""

    @property
    def at(self) -> dt.datetime: ...
    @property
    def date_only(self) -> bool: ...
    @property
    def approximate(self) -> bool: ...
    @property
    def until(self) -> dt.datetime | None: ...


@dataclass(frozen=True)
class Moment:
    """A timeline entry as the page shows it."""

    entry: EntryLike
    #: "21:22", "~21:22", "21:22-21:40", "21:22 - 09:00 1 Feb" (en dashes); "" for a whole day.
    time: str
    #: "T+17 min" from the start of impact; "" without a start or for a whole-day entry.
    offset: str
    #: The ISO time, for a tooltip.
    iso: str


@dataclass(frozen=True)
class TimelineDay:
    date: dt.date
    #: "Tue 31 Jan 2017"
    label: str
    #: The zone of the day's times ("UTC"); empty when it has only whole-day entries.
    zone: str
    moments: tuple[Moment, ...]


def timeline_days(
    entries: Sequence[EntryLike], impact_start: dt.datetime | None
) -> list[TimelineDay]:
    """The entries grouped by day, in their order, each with its clock time and offset."""
    days: dict[dt.date, list[Moment]] = {}
    zones: dict[dt.date, str] = {}
    for entry in entries:
        day = entry.at.date()
        if not entry.date_only:
            zones.setdefault(day, zone_name(entry.at))
        days.setdefault(day, []).append(
            Moment(
                entry=entry,
                time=entry_time(entry),
                offset="" if entry.date_only else offset_label(impact_start, entry.at),
                iso=entry.at.date().isoformat() if entry.date_only else entry.at.isoformat(),
            )
        )
    return [
        TimelineDay(day, day_label(day), zones.get(day, ""), tuple(moments))
        for day, moments in days.items()
    ]


def entry_time(entry: EntryLike) -> str:
    """The entry's time as written: `~` for an approximate one, `A-B` for a range."""
    if entry.date_only:
        return "~" if entry.approximate else ""
    text = ("~" if entry.approximate else "") + clock(entry.at)
    until = entry.until
    if until is None:
        return text
    if until.date() == entry.at.date():
        return f"{text}\u2013{clock(until)}"
    return f"{text} \u2013 {clock(until)} {until.day} {until:%b}"


def timestamp_text(moment: dt.datetime) -> str:
    """`2024-03-01 14:25 UTC`: a date and time with the zone it was written in."""
    return f"{moment:%Y-%m-%d %H:%M} {zone_name(moment)}"


def entry_stamp(entry: EntryLike) -> str:
    """The entry's date and time as written, with its zone, for a line of text (the export's
    timeline, the review agenda): `2024-03-01 ~14:25 UTC`, a range as `entry_time` writes
    it, `~2024-03-01` for an approximate whole day."""
    day = entry.at.date().isoformat()
    if entry.date_only:
        return f"{entry_time(entry)}{day}"
    return f"{day} {entry_time(entry)} {zone_name(entry.at)}"


# -- follow-ups ----------------------------------------------------------------------------


def ticket_href(ticket: str, pattern: str | None) -> str | None:
    """The ticket's address from the `ticket_url` pattern; None when there is no pattern."""
    if not pattern:
        return None
    return pattern.replace("{ticket}", quote(ticket.strip(), safe=""))


def days_overdue(due: dt.date | None, today: dt.date) -> int:
    return (today - due).days if due is not None else 0


def age_text(days: int) -> str:
    """`12 days`, `3 months`, `5 years`: how long something has waited, as people say it."""
    if days < 60:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 730:
        return f"{days // 30} months"
    return f"{days // 365} years"
