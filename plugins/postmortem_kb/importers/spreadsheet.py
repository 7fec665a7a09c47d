"""A spreadsheet of incidents (CSV with a header row) into one document per row.

Spreadsheets come out of Excel as often as out of anything else: with a byte order mark, in
Windows-1252, separated by `;` where the decimal comma is the custom. Each is handled here.
Every cell becomes a section named by its column, so a column is recognised exactly like a
heading ("Root cause", "Severity", "Time to recovery"); `--map column=field` names the field
of a column whose name says nothing. A row is identified by the hash of its cells, so a
re-run skips rows already imported even when others were added around them.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass

from .document import Section, SourceDocument
from .headings import normalise
from .recognise import MAP_TARGETS, read_cells_as_section

_DELIMITERS = ",;\t|"
#: Column names that mean the incident's title in a spreadsheet (not in a document).
_TITLE_COLUMNS = {"incident", "name", "issue", "what", "outage", "event"}
#: Cells may be long (a pasted timeline); the csv module's default limit is 128 KiB.
_FIELD_LIMIT = 16 * 1024 * 1024


@dataclass
class SpreadsheetRow:
    number: int
    document: SourceDocument
    sha256: str


@dataclass
class Spreadsheet:
    rows: list[SpreadsheetRow]
    #: How the file was read (encoding, delimiter), for the report.
    notes: list[str]
    #: Mapped columns that are not in the header.
    unknown_columns: list[str]


def decode(data: bytes) -> tuple[str, str | None]:
    """The text, and a note when it was not UTF-8 (read as Windows-1252)."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "not UTF-8: read as Windows-1252"


def read_spreadsheet(data: bytes, name: str, mapping: dict[str, str]) -> Spreadsheet:
    text, note = decode(data)
    notes = [note] if note else []
    delimiter = _delimiter(text)
    if delimiter != ",":
        notes.append(f"columns separated by {delimiter!r}")
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        return Spreadsheet([], notes, [])
    header = [cell.strip().lstrip("\ufeff") for cell in rows[0]]
    wanted = {normalise(column): target for column, target in mapping.items()}
    unknown = [column for column in mapping if normalise(column) not in map(normalise, header)]
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    result = []
    for number, row in enumerate(rows[1:], start=1):
        sections = []
        for column, cell in zip(header, row, strict=False):
            if not cell.strip():
                continue
            target = wanted.get(normalise(column))
            if target is None and normalise(column) in _TITLE_COLUMNS:
                target = "title"
            forced = MAP_TARGETS[target] if target else None
            sections.append(read_cells_as_section(column or "(unnamed column)", cell, forced))
        digest = hashlib.sha256("\x1f".join(cell.strip() for cell in row).encode()).hexdigest()
        document = SourceDocument(f"{stem} row {number}", Section("", 0, [], sections))
        result.append(SpreadsheetRow(number, document, digest))
    return Spreadsheet(result, notes, unknown)


def _delimiter(text: str) -> str:
    sample = "\n".join(text.split("\n", 20)[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        first = text.split("\n", 1)[0]
        return max(_DELIMITERS, key=first.count)
