"""Problems found in user input, collected and reported together.

Every problem a user can cause names the file, the line where known, the field and what
is expected, in the `file:line: field: what is wrong; what is expected` form. Loading and
validation collect problems instead of raising, so one bad file never hides another and
never takes valid incidents down with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: The rule of every format problem: the file cannot be read as the format says.
SCHEMA_RULE = "schema/format"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file."""

    file: str
    line: int | None
    field: str
    message: str
    severity: str = "error"  # "error" or "warning"
    #: The rule's id in its family (`schema/…`, `complete/…`, `blameless/…`, …).
    rule: str = SCHEMA_RULE
    #: How to fix it, when there is more to say than the message.
    suggestion: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def in_reading_order(problems: Iterable[Problem]) -> list[Problem]:
    """File by file, top to bottom (problems without a line first), then by field and rule."""
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.field, p.rule, p.message))


@dataclass
class Problems:
    """An ordered collection of problems for one run (load, validate, build)."""

    items: list[Problem] = field(default_factory=list)

    def error(
        self, file: str, line: int | None, field_name: str, message: str, rule: str = SCHEMA_RULE
    ) -> None:
        self.items.append(Problem(file, line, field_name, message, "error", rule))

    def warning(
        self, file: str, line: int | None, field_name: str, message: str, rule: str = SCHEMA_RULE
    ) -> None:
        self.items.append(Problem(file, line, field_name, message, "warning", rule))

    def extend(self, other: Problems | Sequence[Problem]) -> None:
        self.items.extend(other.items if isinstance(other, Problems) else other)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if not p.is_error]

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)
