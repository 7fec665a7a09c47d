"""A timeline section's rows (table, list, lines, code block) into timeline entries.

A row starts with a moment (`moments.parse_moment`) or takes the time of the row before; a
time without a date takes the day of the row before, or a day heading above it ("### Oct
21"), or the document's date; a time well before the one above it (more than 12 hours) is
read as after midnight. The zone is the row's own, else a note ("All times in UTC", "Time
(CET)" as a table header, "Timeline (Japan time)"), else the knowledge base's.

What cannot be read is never guessed: a row whose date is ambiguous (`03/04`) stays in the
narrative, and a row in an ambiguous zone (`CST`) becomes an entry for its day with the time
written in its text. A row out of order is kept where it was written, as an entry for its
day with its time in the text, with a warning: the format wants entries in time order.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from .document import Block, ListItem, Section
from .headings import normalise
from .moments import Moment, Zone, is_placeholder, parse_moment, zone_note
from .report import DocumentReport

_LEADING_MARKUP = re.compile(r"^[\s*_`\[(]+")
_AFTER_MOMENT = re.compile(r"^[\s*_`\])]*(?:[:\-\u2013\u2014|,.>=]+[\s*_`]*)?")
_SEPARATOR = re.compile(r"^(?:[:\-\u2013\u2014|,.>=]+\s*)")
_TIME_COLUMNS = ("time", "date", "when", "timestamp", "date time", "datetime", "hour", "utc")
_EVENT_COLUMNS = (
    "event", "events", "description", "what happened", "action", "actions", "details",
    "activity", "update", "notes", "summary", "what", "happening", "message", "entry",
)  # fmt: skip
_ALERT_WORDS = re.compile(
    r"\b(alert(?:s|ed|ing)?|paged|pager|paging|pages (?:the )?on-?call|alarm(?:s|ed)?|pagerduty|"
    r"opsgenie|monitoring (?:fired|triggered|detected))\b",
    re.I,
)
#: Rows above this many are checked for order greedily (the exact check is quadratic).
_EXACT_ORDER_LIMIT = 400
_ROLLOVER = dt.timedelta(hours=12)


@dataclass
class _Row:
    """A row as written: its moment (None: no time written) and its event text."""

    written: str
    moment: Moment | None
    event: str
    zone: Zone | None
    #: The day a day heading or marker above set.
    marker_day: dt.date | None = None


@dataclass
class _Entry:
    row: _Row
    day: dt.date
    clock: dt.time | None
    tzinfo: dt.tzinfo | None
    event: str

    def key(self, fallback: dt.tzinfo) -> dt.datetime:
        zone = self.tzinfo or fallback
        return dt.datetime.combine(self.day, self.clock or dt.time(), zone)


@dataclass
class TimelineResult:
    entries: list[dict[str, Any]] = field(default_factory=list)
    found: int = 0
    #: Blocks of the section that are not rows (notes, images, commentary).
    leftovers: list[Block] = field(default_factory=list)
    #: Rows that could not be placed, as written (kept in the narrative).
    unplaced: list[str] = field(default_factory=list)
    #: Child sections that are not day headings.
    other_children: list[Section] = field(default_factory=list)
    #: The first entry with a time, for durations that need a start.
    first_moment: dt.datetime | None = None


class TimelineReader:
    """A timeline section into entries; what it assumed or could not read goes into the
    document's report."""

    def __init__(
        self,
        report: DocumentReport,
        *,
        document_date: dt.date | None,
        zone: Zone | None,
        day_first: bool | None,
        kb_zone: dt.tzinfo,
        kb_zone_name: str,
    ) -> None:
        self.report = report
        self.document_date = document_date
        self.zone = zone
        self.day_first = day_first
        self.kb_zone = kb_zone
        self.kb_zone_name = kb_zone_name
        self.result = TimelineResult()
        self.rows: list[_Row] = []
        self.marker_day: dt.date | None = None

    # -- reading rows ------------------------------------------------------------------
    def read(self, section: Section) -> TimelineResult:
        zone = zone_note(section.title) or self.zone
        self._read_section(section, zone, top=True)
        self._place()
        return self.result

    def _read_section(self, section: Section, zone: Zone | None, *, top: bool) -> None:
        for block in section.blocks:
            zone = self._read_block(block, zone)
        for child in section.children:
            marker = parse_moment(child.title, day_first=self.day_first)
            day = self._marker_day(marker, child.title)
            if day is None and marker is None:
                self.result.other_children.append(child)
                continue
            if day is not None:
                self.marker_day = day
            self._read_section(child, zone_note(child.title) or zone, top=False)

    def _marker_day(self, marker: Moment | None, text: str) -> dt.date | None:
        if marker is None or marker.clock is not None:
            return None
        rest = _AFTER_MOMENT.sub("", text[marker.end :]).strip()
        if rest and not zone_note(rest):
            return None
        if marker.day is not None:
            return marker.day
        if marker.month_day is not None and self.document_date is not None:
            return _with_year(marker.month_day, self.document_date)
        return None

    def _read_block(self, block: Block, zone: Zone | None) -> Zone | None:
        if block.kind == "table":
            if not self._read_table(block, zone):
                self.result.leftovers.append(block)
        elif block.kind == "list":
            for item in block.items:
                self._read_item(item, zone)
        elif block.kind in ("paragraph", "code"):
            return self._read_lines(block, zone)
        else:
            self.result.leftovers.append(block)
        return zone

    def _read_item(self, item: ListItem, zone: Zone | None) -> None:
        moment, event = self._split(item.text)
        details = []
        for child in item.children:
            child_moment, _ = self._split(child.text)
            if child_moment is not None and child_moment.clock is not None:
                self._read_item(child, zone)
            else:
                details.append(child.all_text().replace("\n", "; "))
        if moment is None and not event and not details:
            return
        if details:
            event = f"{event} ({'; '.join(details)})" if event else "; ".join(details)
        self._add(_Row(item.all_text(), moment, event, zone, self.marker_day))

    def _read_lines(self, block: Block, zone: Zone | None) -> Zone | None:
        kept: list[str] = []
        last: _Row | None = None
        for line in block.text.split("\n"):
            text = line.strip()
            if not text:
                continue
            moment, event = self._split(text)
            day = self._marker_day(moment, _LEADING_MARKUP.sub("", text)) if moment else None
            if day is not None:
                self.marker_day = day
                zone = zone_note(text) or zone
                continue
            if moment is not None:
                last = _Row(text, moment, event, zone, self.marker_day)
                self._add(last)
            elif last is not None:
                last.event = f"{last.event} {text}".strip()
                last.written += f"\n{text}"
            else:
                note = zone_note(text) if len(text) < 120 else None
                if note is not None and re.search(r"\btimes?\b|\bzone\b|\btz\b", text, re.I):
                    zone = note
                kept.append(line)
        if kept and len(kept) == len([line for line in block.text.split("\n") if line.strip()]):
            self.result.leftovers.append(block)
        elif kept:
            self.result.leftovers.append(Block("paragraph", "\n".join(kept), "\n".join(kept)))
        return zone

    def _read_table(self, block: Block, zone: Zone | None) -> bool:
        header, rows = block.header, list(block.rows)
        if header is None and rows and _looks_like_header(rows[0], self.day_first):
            header, rows = rows[0], rows[1:]
        columns = _columns(header, rows, self.day_first)
        if columns is None:
            return False
        time_columns, event_column = columns
        table_zone = zone
        for index in time_columns:
            if header and index < len(header):
                table_zone = zone_note(header[index]) or table_zone
        for cells in rows:
            if not any(cell.strip() for cell in cells):
                continue
            written_time = " ".join(cells[i] for i in time_columns if i < len(cells)).strip()
            moment, rest = self._split(written_time) if written_time else (None, "")
            event = cells[event_column].strip() if event_column < len(cells) else ""
            extras = [
                (f"{header[i]}: " if header and i < len(header) and header[i] else "") + cell
                for i, cell in enumerate(cells)
                if i not in time_columns and i != event_column and cell.strip()
            ]
            if rest and not is_placeholder(rest):
                extras.insert(0, rest)
            if moment is None and written_time and not is_placeholder(written_time):
                extras.insert(0, written_time)
            if extras:
                event = f"{event} ({'; '.join(extras)})" if event else "; ".join(extras)
            self._add(_Row(" | ".join(cells), moment, event, table_zone, self.marker_day))
        return True

    def _split(self, text: str) -> tuple[Moment | None, str]:
        """The moment a row starts with, and its text after it; markup opened before the
        moment (`**16:58 UTC**`, `[14:51]`) is closed after it, and only then dropped."""
        opened = _LEADING_MARKUP.match(text)
        cleaned = text[opened.end() :] if opened else text
        moment = parse_moment(cleaned, day_first=self.day_first)
        if moment is None:
            return None, text.strip()
        rest = cleaned[moment.end :].lstrip()
        for mark in re.findall(r"\*\*|__|[*_`\[(]", opened.group() if opened else ""):
            closing = re.escape({"[": "]", "(": ")"}.get(mark, mark))
            rest = re.sub(rf"^\s*(:?)\s*{closing}", r"\1", rest).lstrip()
        return moment, _SEPARATOR.sub("", rest, count=1).strip()

    def _add(self, row: _Row) -> None:
        if not row.event.strip() or is_placeholder(row.event):
            if row.moment is None:
                return
            row.event = row.event.strip() or "(no description written)"
        self.result.found += 1
        self.rows.append(row)

    # -- placing rows in time --------------------------------------------------------
    def _place(self) -> None:
        entries: list[_Entry] = []
        shared = 0
        for row in self.rows:
            previous = entries[-1] if entries else None
            entry = self._entry(row, previous)
            if entry is None:
                self.result.unplaced.append(row.written)
                continue
            shared += row.moment is None
            entries.append(entry)
        if shared:
            self.report.assume(
                f"timeline: {shared} row(s) without a time of their own kept under the time "
                "of the row before (or the incident's date)"
            )
        if any(entry.clock and not entry.tzinfo for entry in entries):
            self.report.assume(
                f"timeline: no time zone stated; times read in the knowledge base's zone "
                f"({self.kb_zone_name})"
            )
        ordered = self._in_order(entries)
        self._write(entries, ordered)

    def _entry(self, row: _Row, previous: _Entry | None) -> _Entry | None:
        moment = row.moment
        if moment is None:
            if previous is not None:
                return _Entry(row, previous.day, previous.clock, previous.tzinfo, row.event)
            day = row.marker_day or self.document_date
            if day is None:
                self.report.ask(f"timeline row '{_short(row.written)}': no date to place it on")
                return None
            return _Entry(row, day, None, None, row.event)
        if moment.day_problem:
            self.report.ask(f"timeline: {moment.day_problem}; the row stays in the narrative")
            return None
        base = previous.day if previous else (row.marker_day or self.document_date)
        if row.marker_day and (previous is None or row.marker_day > previous.day):
            base = row.marker_day
        if moment.day is not None:
            day = moment.day
        elif moment.month_day is not None:
            anchor = base or self.document_date
            if anchor is None:
                self.report.ask(f"timeline row '{_short(row.written)}': no year to place it in")
                return None
            day = _with_year(moment.month_day, anchor)
            self.report.assume(f"timeline: dates written without a year read in {day.year}")
        elif base is not None:
            day = base
            if (
                previous is not None and previous.clock and moment.clock
                and row.marker_day in (None, previous.day)
                and _gap(day, previous.clock, moment.clock) > _ROLLOVER
            ):  # fmt: skip
                day = day + dt.timedelta(days=1)
                self.report.assume(
                    f"timeline: '{moment.written}' after '{_clock(previous.clock)}' read as the "
                    "next day"
                )
        else:
            self.report.ask(f"timeline row '{_short(row.written)}': no date to place it on")
            return None
        zone = moment.zone or row.zone
        event = row.event + (f" (until {moment.until})" if moment.until else "")
        if zone is not None and zone.problem:
            self.report.ask(
                f"timeline: {zone.problem}; rows in it are entries for their day with the time "
                "as written"
            )
            return _Entry(row, day, None, None, f"{moment.written}: {event}")
        return _Entry(row, day, moment.clock, zone.tzinfo if zone else None, event)

    def _in_order(self, entries: list[_Entry]) -> set[int]:
        """The indexes of the longest run of entries in time order (the rest are not)."""
        keys = [entry.key(self.kb_zone) for entry in entries]

        def fits(earlier: int, later: int) -> bool:
            if entries[earlier].clock is None or entries[later].clock is None:
                return entries[earlier].day <= entries[later].day
            return keys[earlier] <= keys[later]

        if len(entries) > _EXACT_ORDER_LIMIT:
            kept: set[int] = set()
            last: int | None = None
            for position in range(len(entries)):
                if last is None or fits(last, position):
                    kept.add(position)
                    last = position
            return kept
        length = [1] * len(entries)
        before: list[int | None] = [None] * len(entries)
        for later in range(len(entries)):
            for earlier in range(later):
                if fits(earlier, later) and length[earlier] + 1 > length[later]:
                    length[later], before[later] = length[earlier] + 1, earlier
        chain: set[int] = set()
        index: int | None = max(range(len(entries)), key=lambda i: length[i], default=None)
        while index is not None:
            chain.add(index)
            index = before[index]
        return chain

    def _write(self, entries: list[_Entry], ordered: set[int]) -> None:
        written: list[tuple[_Entry, bool]] = []  # (entry, written as a day only)
        for index, entry in enumerate(entries):
            day_only = entry.clock is None
            if index not in ordered:
                previous = written[-1][0] if written else None
                when = entry.row.moment.written if entry.row.moment else _clock(entry.clock)
                self.report.warn(
                    f"timeline: '{when}' is before the row above it"
                    + (f" ('{_when(previous)}')" if previous else "")
                    + "; kept where it was written, as an entry for its day with the time in "
                    "its text"
                )
                entry = _Entry(entry.row, entry.day, None, None, f"{when}: {entry.event}")
                day_only = True
            if written and entry.day < written[-1][0].day:
                self.result.unplaced.append(entry.row.written)
                self.report.ask(
                    f"timeline row '{_short(entry.row.written)}' is on a day before the row "
                    "above it; it stays in the narrative"
                )
                continue
            written.append((entry, day_only))
        previous_entry: _Entry | None = None
        for entry, day_only in written:
            item: dict[str, Any] = {"at": self._at(entry, previous_entry, day_only)}
            item["event"] = entry.event
            if _ALERT_WORDS.search(entry.event):
                item["kind"] = "alert"
            self.result.entries.append(item)
            if not day_only and self.result.first_moment is None:
                self.result.first_moment = entry.key(self.kb_zone)
            previous_entry = None if day_only else entry
        alerts = sum(1 for item in self.result.entries if item.get("kind") == "alert")
        if alerts:
            self.report.assume(
                f"timeline: {alerts} row(s) marked `kind: alert` by their words (paged, alert…)"
            )

    def _at(self, entry: _Entry, previous: _Entry | None, day_only: bool) -> str:
        """`at` as the validator reads it: `HH:MM` takes the day and zone of the entry
        before, so it is written only when those are this entry's own."""
        if day_only or entry.clock is None:
            return entry.day.isoformat()
        clock = entry.clock.isoformat("seconds" if entry.clock.second else "minutes")
        if (
            previous is not None
            and previous.day == entry.day
            and _offset(previous) == _offset(entry)
        ):
            return clock
        if entry.tzinfo is None:
            return f"{entry.day.isoformat()}T{clock}"
        return dt.datetime.combine(entry.day, entry.clock, entry.tzinfo).isoformat("T", "seconds")


def _offset(entry: _Entry) -> dt.timedelta | None:
    if entry.tzinfo is None or entry.clock is None:
        return None
    return dt.datetime.combine(entry.day, entry.clock, entry.tzinfo).utcoffset()


def _looks_like_header(cells: list[str], day_first: bool | None) -> bool:
    if any(parse_moment(cell, day_first=day_first) for cell in cells):
        return False
    names = {normalise(cell) for cell in cells}
    return bool(names & set(_TIME_COLUMNS + _EVENT_COLUMNS))


def _columns(
    header: list[str] | None, rows: list[list[str]], day_first: bool | None
) -> tuple[list[int], int] | None:
    """(time columns, event column) of a timeline table; None when it has no time column."""
    width = max([len(header or [])] + [len(row) for row in rows] + [0])
    names = [normalise(cell) for cell in header or []]
    time_columns = [
        index for index, name in enumerate(names)
        if name and any(name == word or name.startswith(word + " ") for word in _TIME_COLUMNS)
    ]  # fmt: skip
    if not time_columns:
        for index in range(width):
            cells = [row[index] for row in rows if index < len(row) and row[index].strip()]
            readable = [cell for cell in cells if parse_moment(cell, day_first=day_first)]
            if cells and len(readable) * 2 >= len(cells):
                time_columns = [index]
                break
    if not time_columns:
        return None
    others = [index for index in range(width) if index not in time_columns]
    if not others:
        return None
    named = [index for index in others if index < len(names) and names[index] in _EVENT_COLUMNS]
    if named:
        return time_columns, named[0]
    longest = max(
        others,
        key=lambda i: sum(len(row[i]) for row in rows if i < len(row)),
    )
    return time_columns, longest


def _with_year(month_day: tuple[int, int], anchor: dt.date) -> dt.date:
    month, day = month_day
    year = anchor.year + (
        1 if (month, day) < (anchor.month, anchor.day) and month < anchor.month - 6 else 0
    )
    try:
        return dt.date(year, month, day)
    except ValueError:  # 29 February outside a leap year: the anchor's year was wrong
        return dt.date(year + 1, month, day)


def _gap(day: dt.date, earlier: dt.time, later: dt.time) -> dt.timedelta:
    """How far `later` is before `earlier` on the same day (negative: after it)."""
    return dt.datetime.combine(day, earlier) - dt.datetime.combine(day, later)


def _clock(clock: dt.time | None) -> str:
    return clock.strftime("%H:%M") if clock else ""


def _when(entry: _Entry | None) -> str:
    if entry is None:
        return ""
    return f"{entry.day} {_clock(entry.clock)}".strip()


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 60 else line[:59] + "…"
