"""Typed reading of one parsed YAML document, collecting a problem for every bad field.

Postmortems and the knowledge base's side files (`_roles.yml`, `_gallery.yml`, …) are YAML
written by hand, and the YAML reader hands every scalar over as a string. Each reader then
needs the same conversions (text, lists, mappings, dates, timestamps, booleans, choices) and
the same messages: `file:line: field: what is wrong; expected …`, with the nearest known
name when a value looks like a typo. Keeping them in one `FieldReader`, which knows nothing
of incidents, means a message reads alike whichever file it is about, and a side-file reader
never depends on the incident validator.

A getter never raises for user input: it reports the problem and returns None (or an empty
value), so one pass over a file reports everything wrong with it. Dates are kept within
`EARLIEST_DATE` … `LATEST_DATE`, so no later stage's date arithmetic can overflow.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .problems import Problems
from .settings import Settings

T = TypeVar("T")

#: An id that is also a URL segment: an incident's, a reading path's.
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
#: A plain decimal number as authors write one: `30`, `-2`, `0.33`, `1.5e6`.
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
#: A number with something written after it (`78%`, `5,000 projects`, `200k`): the unit.
_NUMBER_WITH_UNIT = re.compile(r"^(?P<number>[+-]?\d[\d,]*(?:\.\d+)?)\s*(?P<unit>[^\d\s,.].*)$")
_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}
#: The dates a postmortem may carry. Python's calendar ends at years 1 and 9999, and later
#: stages step months back (trends), days forward and into other time zones: a date near
#: either end overflows there. No incident predates 1900; an earlier year is a typo.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(9998, 12, 31)
#: How much of a long value a message repeats.
_SHOWN_CHARS = 60
#: Characters a message shows escaped: invisible, or able to garble a terminal.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def suggest(name: str, known: tuple[str, ...] | list[str]) -> str:
    """' (did you mean `x`?)' for a near miss, else ''."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def zone_for(settings: Settings) -> dt.tzinfo:
    """The KB time zone (validated by the plugin config; UTC here if unknown)."""
    try:
        return ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def shown(text: str) -> str:
    """`text` quoted for a message: a long value cut short, invisible characters escaped.

    A message repeats what the author wrote so they can find it; a 5,000-digit severity or
    a pasted escape character must not flood or garble the terminal doing so.
    """
    length = ""
    if len(text) > _SHOWN_CHARS:
        text, length = f"{text[:_SHOWN_CHARS]}…", f" ({len(text):,} characters)"
    escaped = _UNPRINTABLE.sub(
        lambda match: match.group().encode("unicode_escape", "backslashreplace").decode(), text
    )
    return f"'{escaped}'{length}"


def kind_of(value: Any) -> str:
    """How a value of the wrong type is named in a message: `a list`, `'5'`."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return shown(str(value))


class FieldReader:
    """The typed getters over one parsed document; problems land in `self.problems`.

    Fields are named by their dotted path (`timeline[2].at`, the YAML reader's line keys),
    so every problem carries the line of the value, or of its nearest parent that has one.
    """

    def __init__(
        self, display: str, data: dict[str, Any], lines: dict[str, int], zone: dt.tzinfo
    ) -> None:
        #: The file's name as problems show it.
        self.display = display
        self.data = data
        self.lines = lines
        #: The zone given to timestamps written without an offset.
        self.zone = zone
        self.problems = Problems()

    # -- reporting ---------------------------------------------------------------------
    def error(self, path: str, message: str) -> None:
        self.problems.error(self.display, self.line_of(path), path, message)

    def warning(self, path: str, message: str) -> None:
        self.problems.warning(self.display, self.line_of(path), path, message)

    def line_of(self, path: str) -> int | None:
        """The line of `path`, else of its nearest parent with one (None: not in the file)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            parent = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", path)
            path = "" if parent == path else parent
        return None

    # -- typed getters -----------------------------------------------------------------
    def text(self, value: Any, path: str, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.error(path, "is required; expected text")
            return None
        if not isinstance(value, str):
            self.error(path, f"is {kind_of(value)}; expected text")
            return None
        if required and not value.strip():
            self.error(path, "is empty; expected text")
            return None
        return value.strip()

    def text_list(self, value: Any, path: str) -> tuple[str, ...]:
        """A list of text; a single text is a list of one (authors write `tags: dns`)."""
        if value is None:
            return ()
        if isinstance(value, str):
            return (value.strip(),) if value.strip() else ()
        if not isinstance(value, list):
            self.error(path, f"is {kind_of(value)}; expected a list of text")
            return ()
        items = []
        for index, item in enumerate(value):
            text = self.text(item, f"{path}[{index}]", required=True)
            if text is not None:
                items.append(text)
        return tuple(items)

    def tag_list(self, value: Any, path: str, vocabulary: tuple[str, ...]) -> tuple[str, ...]:
        """Lowercase tags, each once; a tag outside a non-empty vocabulary only warns."""
        tags = tuple(dict.fromkeys(tag.lower() for tag in self.text_list(value, path)))
        for index, tag in enumerate(tags):
            if vocabulary and tag not in vocabulary:
                self.warning(
                    f"{path}[{index}]",
                    f"unknown tag {shown(tag)}{suggest(tag, vocabulary)}; "
                    "add it to the `tags` vocabulary or use a known one",
                )
        return tags

    def unknown_fields(
        self, data: dict[str, Any], path: str, fields: tuple[str, ...], expected: str = ""
    ) -> None:
        """An error for each key of `data` not in `fields` (`path` "" is the top level)."""
        hint = f"; expected {expected}" if expected else ""
        for key in data:
            if key not in fields:
                where = f"{path}.{key}" if path else key
                self.error(where, f"unknown field{suggest(key, fields)}{hint}")

    def mapping(self, value: Any, path: str, fields: tuple[str, ...]) -> dict[str, Any]:
        """A mapping whose keys are all in `fields` (unknown keys are reported, not dropped)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, f"is {kind_of(value)}; expected a mapping with {', '.join(fields)}")
            return {}
        self.unknown_fields(value, path, fields, f"one of {', '.join(fields)}")
        return value

    def items(self, value: Any, path: str) -> list[tuple[str, Any]]:
        """The items of a list, each with its path."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, f"is {kind_of(value)}; expected a list")
            return []
        return [(f"{path}[{index}]", item) for index, item in enumerate(value)]

    def each(
        self,
        value: Any,
        path: str,
        read: Callable[[dict[str, Any], str], T | None],
        fields: tuple[str, ...],
    ) -> tuple[T, ...]:
        """Read a list of mappings, each with `read(mapping, path)`; None results are left out."""
        result = []
        for item_path, item in self.items(value, path):
            if not isinstance(item, dict):
                self.error(
                    item_path, f"is {kind_of(item)}; expected a mapping with {', '.join(fields)}"
                )
                continue
            self.mapping(item, item_path, fields)
            parsed = read(item, item_path)
            if parsed is not None:
                result.append(parsed)
        return tuple(result)

    def date(self, value: Any, path: str, required: bool = False) -> dt.date | None:
        text = self.text(value, path, required)
        if text is None:
            return None
        if not DATE_PATTERN.match(text):
            self.error(path, f"{shown(text)} is not a date; expected YYYY-MM-DD")
            return None
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            self.error(path, f"{shown(text)} is not a real date; expected YYYY-MM-DD")
            return None
        return day if self.within_dates(day, text, path) else None

    def timestamp(self, value: Any, path: str) -> dt.datetime | None:
        """An aware date and time; one written without an offset is in `self.zone`."""
        text = self.text(value, path)
        if text is None:
            return None
        if not _TIMESTAMP.match(text):
            self.error(
                path, f"{shown(text)} is not a timestamp; expected e.g. 2024-03-01T14:25:00+00:00"
            )
            return None
        try:
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.error(path, f"{shown(text)} is not a real date and time")
            return None
        if not self.within_dates(stamp.date(), text, path):
            return None
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=self.zone)

    def within_dates(self, day: dt.date, text: str, path: str) -> bool:
        """Whether `day` is in the supported range (see `EARLIEST_DATE`); reports it if not."""
        if EARLIEST_DATE <= day <= LATEST_DATE:
            return True
        self.error(
            path,
            f"{shown(text)} is outside the dates a postmortem can have; expected a date "
            f"from {EARLIEST_DATE} to {LATEST_DATE}",
        )
        return False

    def number(self, value: Any, path: str, required: bool = False) -> float | None:
        """A finite number; `78%` or `5,000` is a problem that says how to write it."""
        if value is None and required:
            self.error(path, "is required; expected a number such as 30, 0.5 or 5000")
            return None
        text = self.text(value, path)
        if text is None:
            return None
        if _NUMBER.match(text):
            number = float(text)
            if math.isfinite(number):
                return number
            self.error(path, f"{shown(text)} is too large; expected a number such as 5000")
            return None
        with_unit = _NUMBER_WITH_UNIT.match(text)
        digits = (with_unit["number"] if with_unit else text).replace(",", "")
        if with_unit and len(with_unit["unit"]) <= _SHOWN_CHARS // 3:
            unit = with_unit["unit"].strip().replace("'", "''")
            hint = f"write the number and its unit apart: `value: {digits}`, `unit: '{unit}'`"
        elif _NUMBER.match(digits):
            hint = f"write it without thousands separators: {digits}"
        else:
            hint = "expected a number such as 30, 0.5 or 5000"
        self.error(path, f"{shown(text)} is not a number; {hint}")
        return None

    def web_address(self, value: Any, path: str, required: bool = False) -> str | None:
        """An absolute http(s) URL with a host and no spaces."""
        text = self.text(value, path, required)
        if text is None:
            return None
        try:
            parts = urlsplit(text)
        except ValueError:  # an unclosed `[` of an IPv6 host
            parts = urlsplit("")
        if (
            parts.scheme.lower() in ("http", "https")
            and parts.netloc
            and not any(char.isspace() for char in text)
        ):
            return text
        self.error(
            path,
            f"{shown(text)} is not a web address; expected an http(s) URL such as"
            " https://example.com/blog/incident-report",
        )
        return None

    def boolean(self, value: Any, path: str) -> bool | None:
        if value is None:
            return None
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        self.error(path, f"{kind_of(value)} is not true or false; expected true or false")
        return None

    def choice(self, value: Any, path: str, options: tuple[str, ...], default: str) -> str:
        """One of `options`, case-insensitively; `default` when absent or not allowed."""
        text = self.text(value, path)
        if text is None:
            return default
        if text.lower() not in options:
            self.error(
                path,
                f"{shown(text)} is not allowed{suggest(text.lower(), options)}; "
                f"expected one of {', '.join(options)}",
            )
            return default
        return text.lower()
