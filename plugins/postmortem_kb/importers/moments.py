"""Dates, clock times, time zones and durations as postmortems write them.

Timelines are written by hand in every spelling: `2021-03-31 12:11`, `**16:58 UTC** -`,
`June 14th, 2022, 10:00 AM:`, `Oct 21 14:51`, `21.10.2015 14:51 CET`, `23:20-2:00`. This
module reads them at the start of a row and says what it could not read rather than guess:
`03/04` is the 3rd of April or the 4th of March (unless the same document writes another
date in that form whose order is plain, such as `10/21/2015`), and `CST` is a zone in three
countries. Those come back with a problem in words, never with a value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![a-z])"
)
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?\.?,?\s+)?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?P<y>\d{4})(?!\d|:\d)"
_DATE_FORMS = (
    # 2021-03-31, 2021/03/31, 2021.03.31
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)"),
    # 21 Oct 2015, 31st of March, 21-Oct-2015
    re.compile(rf"(?P<d>\d{{1,2}}){_ORDINAL}(?:\s+of)?[\s-]+{_MONTH}(?:[\s,-]+{_YEAR})?", re.I),
    # October 21st, 2015; Oct 21; June 14th 2022
    re.compile(rf"{_MONTH}\s+(?P<d>\d{{1,2}}){_ORDINAL}(?![\d:])(?:,?\s+{_YEAR})?", re.I),
    # 10/21/2015, 21.10.2015 (always day first), 03/04, 01-20-2024
    re.compile(
        r"(?P<a>\d{1,2})(?P<sep>/)(?P<b>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/:])"
        r"|(?P<a2>\d{1,2})(?P<sep2>[.-])(?P<b2>\d{1,2})(?P=sep2)(?P<y2>\d{4})(?![\d:])"
    ),
)
_CLOCK_FORMS = (
    re.compile(
        r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?"
        r"(?:\s*(?P<ap>[ap])\.?\s?m\.?(?![a-z]))?",
        re.I,
    ),
    re.compile(r"(?P<h>\d{1,2})\s*(?P<ap>[ap])\.?\s?m\.?(?![a-z])", re.I),
    re.compile(r"(?P<h>\d{1,2})h(?P<mi>\d{2})(?!\d)"),
)
_APPROXIMATE = re.compile(
    r"(?:~|≈|about\s|approx\.?\s*|approximately\s|around\s|circa\s|ca\.\s*|at\s)\s*", re.I
)
_BETWEEN_DATE_AND_CLOCK = re.compile(r"(?:\s*(?:,|@|\bat\b|T|-|\u2013)?\s*)", re.I)
_RANGE = re.compile(r"\s*(?:-|\u2013|\u2014|to|until|till)\s*", re.I)
_ZONE_TOKEN = re.compile(
    r"\s*\(?\s*(?P<zone>(?:UTC|GMT)\s*[-+\u2212]\s*\d{1,2}(?::?\d{2})?|[-+\u2212]\d{2}:?\d{2}(?!\d)"
    r"|Z(?![A-Za-z])|[A-Z]{2,5}(?![A-Za-z])|utc(?![a-z])|[A-Z][a-z]+(?:/[A-Za-z_]+)+)\s*\)?"
)

#: Abbreviations with one meaning, as offsets in minutes.
_FIXED_ZONES = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "WET": 0, "WEST": 60, "CET": 60, "CEST": 120,
    "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180, "PST": -480, "PDT": -420,
    "MST": -420, "MDT": -360, "CDT": -300, "EST": -300, "EDT": -240, "AKST": -540,
    "AKDT": -480, "HST": -600, "NZST": 720, "NZDT": 780, "AEST": 600, "AEDT": 660,
    "ACST": 570, "ACDT": 630, "AWST": 480, "JST": 540, "KST": 540, "HKT": 480, "SGT": 480,
    "WIB": 420, "BRT": -180, "ART": -180,
}  # fmt: skip
#: Abbreviations of a region whose offset changes with the date.
_REGION_ZONES = {
    "PT": "America/Los_Angeles", "ET": "America/New_York", "CT": "America/Chicago",
    "MT": "America/Denver",
}  # fmt: skip
#: Abbreviations that name zones in several countries: reported, never read.
_AMBIGUOUS_ZONES = {
    "CST": "US Central (UTC-6), China (UTC+8) or Cuba (UTC-5)",
    "IST": "India (UTC+5:30), Ireland (UTC+1) or Israel (UTC+2)",
    "BST": "British Summer Time (UTC+1) or Bangladesh (UTC+6)",
    "AST": "Atlantic (UTC-4) or Arabia (UTC+3)",
    "GST": "Gulf (UTC+4) or South Georgia (UTC-2)",
    "SST": "Samoa (UTC-11) or Singapore (UTC+8)",
    "AMT": "Amazon (UTC-4) or Armenia (UTC+4)",
    "ECT": "Ecuador (UTC-5) or Eastern Caribbean (UTC-4)",
}
#: Zones named in words ("all times are Pacific time").
_ZONE_WORDS = {
    "pacific": "America/Los_Angeles", "eastern": "America/New_York",
    "central european": "Europe/Paris", "central": "America/Chicago",
    "mountain": "America/Denver", "japan": "Asia/Tokyo", "uk": "Europe/London",
    "london": "Europe/London", "singapore": "Asia/Singapore", "sydney": "Australia/Sydney",
}  # fmt: skip
_ZONE_WORD = re.compile(
    r"\b(?P<word>central european|pacific|eastern|central|mountain|japan|uk|london|singapore"
    r"|sydney|local)\s+time\b",
    re.I,
)
_PLACEHOLDER = re.compile(
    r"^[\s?*_\-\u2013\u2014.]*$|^(?:tbd|tbc|todo|n/?a|none|unknown|\?\?+)\W*$", re.I
)
_DURATION_PART = re.compile(
    r"(?P<n>\d+(?:[.,]\d+)?)\s*(?P<unit>d|days?|h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?)"
    r"(?![a-z])",
    re.I,
)
_DURATION_FILLER = re.compile(r"^(?:\s|,|and|~|≈|about|approx\.?|approximately|around)*$", re.I)
_ISO_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?T?(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?$")
_CLOCK_DURATION = re.compile(r"^(?P<h>\d{1,3}):(?P<m>\d{2})(?::(?P<s>\d{2}))?$")


@dataclass(frozen=True)
class Zone:
    """A time zone as written: a zone to read times in, or why it cannot be one."""

    written: str
    tzinfo: dt.tzinfo | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Moment:
    """A date and/or time read at the start of a text; `end` is where it stops."""

    written: str
    end: int
    day: dt.date | None = None
    #: (month, day) of a date written without its year.
    month_day: tuple[int, int] | None = None
    #: Why the written date cannot be read (day and month order unclear).
    day_problem: str | None = None
    clock: dt.time | None = None
    zone: Zone | None = None
    #: The end of a range (`23:20-2:00`), as written.
    until: str | None = None

    @property
    def has_date(self) -> bool:
        return self.day is not None or self.month_day is not None or self.day_problem is not None


def is_placeholder(text: str) -> bool:
    """`TBD`, `???`, `-`, `N/A`: a value not stated, as opposed to one that cannot be read."""
    return bool(_PLACEHOLDER.match(text.strip()))


def zone_for(token: str) -> Zone | None:
    """The zone an abbreviation, offset or IANA name stands for; None if it is not one."""
    written = token.strip().replace("\u2212", "-")
    upper = written.upper()
    if upper in _FIXED_ZONES:
        return Zone(written, dt.timezone(dt.timedelta(minutes=_FIXED_ZONES[upper])))
    if written in _REGION_ZONES:
        return Zone(written, ZoneInfo(_REGION_ZONES[written]))
    if written in _AMBIGUOUS_ZONES:
        return Zone(written, problem=f"'{written}' is the zone of {_AMBIGUOUS_ZONES[written]}")
    offset = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", written, re.I)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        minutes = int(offset.group(2)) * 60 + int(offset.group(3) or 0)
        if minutes < 15 * 60:
            return Zone(written, dt.timezone(sign * dt.timedelta(minutes=minutes)))
        return None
    if "/" in written:
        try:
            return Zone(written, ZoneInfo(written))
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return None


def zone_note(text: str) -> Zone | None:
    """The zone a note such as "All times in UTC", "(CET)", "Timeline (Japan time)" or a
    table header "Time (UTC)" sets for the times that follow; None when it names none."""
    words = _ZONE_WORD.search(text)
    if words:
        word = words.group("word").lower()
        if word == "local":
            return Zone(words.group(), problem="'local time' does not say which zone")
        return Zone(words.group(), ZoneInfo(_ZONE_WORDS[word]))
    for match in _ZONE_TOKEN.finditer(text):
        token = match.group("zone")
        before = text[match.start("zone") - 1 : match.start("zone")]
        if token[0] in "+-\u2212" and (before.isalnum() or before == "-"):
            continue  # a number such as build-1234, not an offset
        zone = zone_for(token)
        if zone is not None:
            return zone
    return None


def parse_moment(text: str, *, day_first: bool | None = None) -> Moment | None:
    """The date and/or time `text` starts with (after an optional `~`/"about" and weekday)."""
    position = _skip(_APPROXIMATE, text, 0)
    position = _skip(re.compile(_WEEKDAY, re.I), text, position)
    start = position
    day, month_day, day_problem = None, None, None
    found = _match_date(text, position, day_first)
    after_date = position
    if found is not None:
        day, month_day, day_problem, position = found
        after_date = position
        position = _skip(_BETWEEN_DATE_AND_CLOCK, text, position)
    clock_match = _match_clock(text, position)
    if clock_match is None:
        if found is None:
            return None
        position = after_date
        clock = None
    else:
        clock, position = clock_match
    until = None
    if clock is not None:
        rest = _RANGE.match(text, position)
        if rest:
            end_clock = _match_clock(text, rest.end())
            if end_clock is not None:
                until = text[rest.end() : end_clock[1]].strip()
                position = end_clock[1]
    zone = None
    zone_match = _ZONE_TOKEN.match(text, position)
    if zone_match and (clock is not None or zone_match.group("zone") != "Z"):
        zone = zone_for(zone_match.group("zone"))
        if zone is not None:
            position = zone_match.end()
    return Moment(
        written=text[start:position].strip(),
        end=position,
        day=day,
        month_day=month_day,
        day_problem=day_problem,
        clock=clock,
        zone=zone,
        until=until,
    )


def read_date(text: str, *, day_first: bool | None = None) -> Moment | None:
    """A whole value that is a date (with or without a time): `Date: 2015-10-21`."""
    moment = parse_moment(text.strip(), day_first=day_first)
    if moment is None or not moment.has_date:
        return None
    return moment


def find_date(text: str) -> tuple[dt.date, tuple[int, int]] | None:
    """The first full date written anywhere in prose, and its span; only spellings that
    cannot be misread (ISO, a month name with a year, day.month.year)."""
    for form in _DATE_FORMS:
        for match in form.finditer(text):
            if match.start() and text[match.start() - 1].isalnum():
                continue
            groups = match.groupdict()
            if groups.get("a") is not None:
                continue  # 10/11/2015 in prose: which is the month is not ours to choose
            found = _date_from(match, None)
            if found is not None and found[0] is not None:
                return found[0], match.span()
    return None


def numeric_date_order(texts: list[str]) -> bool | None:
    """Whether the document writes numeric dates day first (True) or month first (False),
    judged from the dates whose order is plain (`21/10/2015`, `10/21/2015`); None when it
    never shows, or shows both."""
    day_first, month_first = False, False
    for text in texts:
        for match in re.finditer(
            r"(?<![\d/-])(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/-])", text
        ):
            first, second = int(match.group(1)), int(match.group(3))
            day_first |= first > 12 >= second
            month_first |= second > 12 >= first
    if day_first == month_first:
        return None
    return day_first


def parse_duration(text: str) -> dt.timedelta | None:
    """`5 minutes`, `1h 24m`, `1 hour and 24 minutes`, `84 min`, `1.5 hours`, `01:24`,
    `PT1H24M`; None when the text is not a duration."""
    value = text.strip()
    for pattern in (_ISO_DURATION, _CLOCK_DURATION):
        match = pattern.match(value)
        if match and any(match.groupdict().values()):
            parts = {key: int(found or 0) for key, found in match.groupdict().items()}
            return dt.timedelta(
                days=parts.get("d", 0), hours=parts["h"], minutes=parts["m"], seconds=parts["s"]
            )
    total = dt.timedelta()
    position, parts_found = 0, 0
    for match in _DURATION_PART.finditer(value):
        if not _DURATION_FILLER.match(value[position : match.start()]):
            return None
        amount = float(match.group("n").replace(",", "."))
        unit = match.group("unit").lower()[0]
        seconds = {"d": 86400, "h": 3600, "m": 60, "s": 1}[unit]
        total += dt.timedelta(seconds=amount * seconds)
        position, parts_found = match.end(), parts_found + 1
    if not parts_found or not _DURATION_FILLER.match(value[position:]):
        return None
    return total


def _skip(pattern: re.Pattern[str], text: str, position: int) -> int:
    match = pattern.match(text, position)
    return match.end() if match else position


def _match_date(
    text: str, position: int, day_first: bool | None
) -> tuple[dt.date | None, tuple[int, int] | None, str | None, int] | None:
    for form in _DATE_FORMS:
        match = form.match(text, position)
        if match is None:
            continue
        found = _date_from(match, day_first)
        if found is not None:
            day, month_day, problem = found
            return day, month_day, problem, match.end()
    return None


def _date_from(
    match: re.Match[str], day_first: bool | None
) -> tuple[dt.date | None, tuple[int, int] | None, str | None] | None:
    groups = match.groupdict()
    year = groups.get("y") or groups.get("y2")
    if groups.get("mon"):
        month, day = _MONTHS[groups["mon"][:3].lower()], int(groups["d"])
    elif groups.get("a") or groups.get("a2"):
        first = int(groups.get("a") or groups["a2"])
        second = int(groups.get("b") or groups["b2"])
        dotted = groups.get("sep2") == "."
        if first > 12 and second > 12:
            return None
        if first > 12 or (dotted and second <= 12) or (first <= 12 and second <= 12 and day_first):
            day, month = first, second
        elif second > 12 or first == second or day_first is False:
            month, day = first, second
        else:
            problem = (
                f"'{match.group().strip()}': day and month order unclear "
                f"({_day_month_words(first, second)} or {_day_month_words(second, first)})"
            )
            return None, None, problem
    else:
        month, day = int(groups["m"]), int(groups["d"])
    if year is not None:
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        try:
            return dt.date(full_year, month, day), None, None
        except ValueError:
            return None
    try:
        dt.date(2000, month, day)  # a leap year: 29 February is a real month and day
    except ValueError:
        return None
    return None, (month, day), None


def _day_month_words(day: int, month: int) -> str:
    return f"{day} {dt.date(2000, month, 1):%B}"


def _match_clock(text: str, position: int) -> tuple[dt.time, int] | None:
    for form in _CLOCK_FORMS:
        match = form.match(text, position)
        if match is None:
            continue
        groups = match.groupdict()
        hour, minute = int(groups["h"]), int(groups.get("mi") or 0)
        second = int(groups.get("s") or 0)
        meridiem = (groups.get("ap") or "").lower()
        if meridiem:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if meridiem == "p" else 0)
        if hour > 23 or minute > 59 or second > 59:
            continue
        return dt.time(hour, minute, second), match.end()
    return None
