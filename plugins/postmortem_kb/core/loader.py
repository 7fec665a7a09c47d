"""Find postmortem files and read each into raw data plus line numbers.

This is the byte-level half of loading: size, encoding, BOM and CRLF, front matter, YAML.
Each way a file can be unreadable has its own message naming the file and the line. What
the fields mean is `validate.py`'s business.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .problems import Problem
from .yaml_reader import YamlProblem, parse_yaml

#: Larger files are refused before they are read.
MAX_FILE_BYTES = 1_000_000
POSTMORTEM_SUFFIXES = (".md", ".yaml", ".yml")


@dataclass
class RawPostmortem:
    """One postmortem file as written: its data, the narrative and where each value is."""

    path: Path
    #: The name errors and the internal site use: relative to the KB's parent folder.
    display: str
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)
    #: The Markdown narrative after the front matter (`.md` files only).
    body: str | None = None

    @property
    def is_markdown(self) -> bool:
        return self.path.suffix == ".md"


class LoadProblem(Exception):
    """A file that cannot be read at all."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def discover_postmortem_files(source_dir: Path) -> list[Path]:
    """Every postmortem file under `source_dir`, in a stable order.

    Names starting with `_` (templates, `_roles.yml`, …) and `.` are never incidents, nor is
    anything inside a folder whose name starts with either.
    """
    found = []
    for path in source_dir.rglob("*"):
        relative = path.relative_to(source_dir)
        if any(part.startswith(("_", ".")) for part in relative.parts):
            continue
        if path.suffix in POSTMORTEM_SUFFIXES and path.is_file():
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(source_dir).as_posix())


def display_name(path: Path, source_dir: Path) -> str:
    """`postmortems/2019/x.md`: the path as the author sees it in the repo.

    A name that is not UTF-8 shows its odd bytes escaped (`x\\xff.md`): Python keeps them as
    lone surrogates, which no page, JSON file or terminal can encode.
    """
    name = (Path(source_dir.name) / path.relative_to(source_dir)).as_posix()
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def read_text_file(path: Path, display: str) -> str:
    """Read a UTF-8 text file with size, encoding, BOM and line-ending checks."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _problem(
                display, None, f"file is {size:,} bytes; at most {MAX_FILE_BYTES:,} are allowed"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise _problem(display, None, f"cannot read the file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _problem(
            display,
            line,
            f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; save the file as UTF-8",
        ) from None
    text = normalised_text(text)
    if not text.strip():
        raise _problem(display, None, "the file is empty; expected a postmortem")
    return text


def normalised_text(text: str) -> str:
    """The text as it is parsed: no byte order mark, `\n` line endings."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def read_postmortem(path: Path, source_dir: Path) -> RawPostmortem:
    """Read one file; raise `LoadProblem` when it cannot be read as a postmortem."""
    display = display_name(path, source_dir)
    return parse_postmortem(path, display, read_text_file(path, display))


def parse_postmortem(path: Path, display: str, text: str) -> RawPostmortem:
    """A postmortem from its normalised text (`pmkb approve` reads the text it would write)."""
    body: str | None = None
    if path.suffix == ".md":
        yaml_text, body, offset = split_front_matter(text, display)
    else:
        yaml_text, offset = text, 0
    parsed = parse_document(yaml_text, display, offset)
    return RawPostmortem(path, display, parsed[0], parsed[1], body)


def parse_document(
    yaml_text: str, display: str, line_offset: int = 0
) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse YAML that must be a mapping at the top level."""
    try:
        parsed = parse_yaml(yaml_text, line_offset)
    except YamlProblem as exc:
        raise LoadProblem(Problem(display, exc.line, exc.field_path, exc.message)) from None
    if parsed.data is None:
        raise _problem(display, line_offset + 1, "no fields; expected a mapping of fields")
    if not isinstance(parsed.data, dict):
        kind = "a list" if isinstance(parsed.data, list) else "a single value"
        raise _problem(
            display, line_offset + 1, f"the top level is {kind}; expected a mapping of fields"
        )
    return parsed.data, parsed.lines


def split_front_matter(text: str, display: str) -> tuple[str, str, int]:
    """Split `---` front matter from the Markdown body; return (yaml, body, line offset)."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise _problem(
            display, 1, "no front matter; start the file with a line '---', then the fields"
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), 1
    raise _problem(display, 1, "front matter is not closed; end the fields with a line '---'")


def _problem(display: str, line: int | None, message: str) -> LoadProblem:
    return LoadProblem(Problem(display, line, "", message))
