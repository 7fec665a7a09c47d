"""What a person watching a terminal sees: repeated problems collapsed, and a progress line.

`pmkb check` (text format) and the MkDocs plugin print problems through `collapse`, so a
knowledge base whose thousand files use the same unknown tag says so once:

    tags[]: unknown tag 'capcity' (did you mean `capacity`?); … — in 1,000 files:
    postmortems/a.md:5, postmortems/b.md:5, postmortems/c.md:7 and 997 more

A *cause* is one kind of finding said the same way: the same severity, rule and suggestion;
the same field once list positions are left out (`tags[3]` and `tags[0]` are both
`tags[]`); and the same message once its free-standing numbers are left out (a draft's age
in days, a file's size). A number shows where every file of the group agrees on it, else as
`…`. What a message quotes stays part of its cause ('capcity', `capacity`): two different
unknown tags are two causes, and a message that names something particular to one file
never joins another. Only the console is collapsed: `pmkb check --format json` and
`--format github` keep every finding, each with its file and line.

`Progress` shows `Writing pages 1,234/5,000` on one line of a terminal while a long build
runs, redrawn at most a few times a second and erased when done. It is never shown when the
stream is not a terminal (a CI log, a file, a pipe), under `CI`, or for `TERM=dumb`.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

from .problems import Problem

#: How many files a collapsed line names before "and N more".
EXAMPLES = 3
_LIST_POSITION = re.compile(r"\[\d+\]")
#: A quoted part of a message (kept), or a free-standing number (12, 1,000, 2024-01-31).
_QUOTED_OR_NUMBER = re.compile(
    r"'[^']*'|`[^`]*`|\"[^\"]*\"|(?<![\w-])(?P<number>\d+(?:[-.,:/]\d+)*)(?![\w-])"
)
_NUMBER = "\0"


@dataclass
class ProblemGroup:
    """Every problem of one cause, in reading order."""

    problems: list[Problem] = field(default_factory=list)

    @property
    def first(self) -> Problem:
        return self.problems[0]

    @property
    def severity(self) -> str:
        return self.first.severity

    @property
    def rule(self) -> str:
        return self.first.rule

    @property
    def suggestion(self) -> str | None:
        return self.first.suggestion

    def __str__(self) -> str:
        """One problem as `file:line: field: message`; several as the cause and where."""
        if len(self.problems) == 1:
            return str(self.first)
        field_name = cause_field(self.first.field)
        message = self._message()
        return (
            f"{field_name}: {message} — {self._where()}"
            if field_name
            else (f"{message} — {self._where()}")
        )

    def _message(self) -> str:
        """The message with each of its numbers, or `…` where the problems differ in it."""
        shape, first = message_shape(self.first.message)
        numbers = [message_shape(problem.message)[1] for problem in self.problems]
        for index, number in enumerate(first):
            agreed = all(other[index] == number for other in numbers)
            shape = shape.replace(_NUMBER, number if agreed else "…", 1)
        return shape

    def _where(self) -> str:
        places = list(
            dict.fromkeys(
                problem.file if problem.line is None else f"{problem.file}:{problem.line}"
                for problem in self.problems
            )
        )
        files = len({problem.file for problem in self.problems})
        count = (
            f"in {files:,} files"
            if files == len(self.problems)
            else (f"{len(self.problems):,} times in {files:,} file(s)")
        )
        shown = ", ".join(places[:EXAMPLES])
        more = len(places) - EXAMPLES
        return f"{count}: {shown}" + (f" and {more:,} more" if more > 0 else "")


def cause_field(field_name: str) -> str:
    """The field without list positions: `follow_ups[2].owner` → `follow_ups[].owner`."""
    return _LIST_POSITION.sub("[]", field_name)


def message_shape(message: str) -> tuple[str, tuple[str, ...]]:
    """The message with its free-standing numbers taken out, and those numbers in order."""
    numbers: list[str] = []

    def take(match: re.Match[str]) -> str:
        if match["number"] is None:
            return match.group()
        numbers.append(match["number"])
        return _NUMBER

    return _QUOTED_OR_NUMBER.sub(take, message), tuple(numbers)


def collapse(problems: Iterable[Problem]) -> list[ProblemGroup]:
    """Problems grouped by cause, each group where its first problem comes."""
    groups: dict[tuple[str, str, str, str, str | None], ProblemGroup] = {}
    for problem in problems:
        cause = (
            problem.severity,
            problem.rule,
            cause_field(problem.field),
            message_shape(problem.message)[0],
            problem.suggestion,
        )
        groups.setdefault(cause, ProblemGroup()).problems.append(problem)
    return list(groups.values())


class Progress(logging.Filter):
    """A progress line on a terminal: `label done/total`, for steps counted one by one.

    Log records would print after the line's text, so while a line is shown, every handler
    that writes the records of `logger` first has it erased (this is a filter on them that
    lets every record through).
    """

    def __init__(
        self,
        stream: TextIO,
        logger: logging.Logger,
        *,
        interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.stream = stream
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self.enabled = shows_progress(stream)
        self._label = ""
        self._done = 0
        self._drawn_at: float | None = None
        self._handlers: list[logging.Handler] = []

    def advance(self, label: str, total: int) -> None:
        """One more step of `label` (a new label starts counting from one)."""
        if not self.enabled:
            return
        if label != self._label:
            self._label, self._done = label, 0
        self._done += 1
        if self._done >= total:
            self.clear()
        elif self._drawn_at is None or self.clock() - self._drawn_at >= self.interval:
            self._draw(f"{label} {self._done:,}/{total:,}")

    def clear(self) -> None:
        """Erase the line, if one is shown, and stop watching the log."""
        self._erase()
        for handler in self._handlers:
            handler.removeFilter(self)
        self._handlers = []

    def filter(self, record: logging.LogRecord) -> bool:
        """Erase the line before a record is printed; the next step draws it again."""
        self._erase()
        return True

    def _erase(self) -> None:
        if self._drawn_at is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn_at = None

    def _draw(self, text: str) -> None:
        if not self._handlers:
            self._handlers = _handlers_of(self.logger)
            for handler in self._handlers:
                handler.addFilter(self)
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self._drawn_at = self.clock()


def shows_progress(stream: TextIO) -> bool:
    """A terminal a person watches: not a file or pipe, not a CI job, not a dumb terminal."""
    try:
        is_terminal = stream.isatty()
    except (AttributeError, ValueError):  # a closed or stream-like object
        return False
    return is_terminal and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


def _handlers_of(logger: logging.Logger) -> list[logging.Handler]:
    """The handlers a record of `logger` reaches, as `Logger.callHandlers` finds them."""
    handlers: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        handlers.extend(current.handlers)
        if not current.propagate:
            break
        current = current.parent
    return handlers
