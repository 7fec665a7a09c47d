"""A strict YAML reader that keeps values as the author wrote them.

Why not `yaml.safe_load`: it turns `at: 14:25` into the integer 865 (YAML 1.1 sexagesimal),
`NO` into False and silently lets the last duplicate key win; anchors and aliases can copy
private text into a public field; and the C loader segfaults on deep nesting (its composer
recurses). So we build the tree ourselves from the *event* stream, which libyaml and the
pure-Python parser both produce with a state machine, not a recursion: nesting depth is
counted as events arrive and refused long before it matters (tested with two million
nested brackets). libyaml's events are about ten times faster; the pure-Python parser is
the fallback where PyYAML was built without it.

Every scalar comes back as a `str` (or `None` for an empty or `null` plain scalar); the
validator converts per field, where it knows whether a value is a date, a time, a bool or
text. Each value's line is recorded under its dotted path (`timeline[2].at`).

Characters YAML refuses (control characters pasted from a terminal) are found before the
parser runs, which would name only an offset into the text; so are the ones it reads as line
breaks though editors and our line numbers do not (U+0085, U+2028, U+2029), which would
otherwise shift every line reported after them. Each is a problem naming its line, column
and the field whose value holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

#: libyaml's event parser when PyYAML has it (plain scalars then have style '' not None).
_EVENT_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Deeper than any field of the format needs (about 4); low enough to refuse bombs early.
MAX_DEPTH = 20
_NULLS = {"", "~", "null", "Null", "NULL"}
#: What YAML refuses (C0 and C1 controls but tab and line breaks, DEL, lone surrogates, the
#: two non-characters) plus what it reads as a line break that no editor shows as one.
_UNREADABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]"
)
_LINE_BREAK_NAMES = {
    "\x85": "next-line character",
    "\u2028": "line separator",
    "\u2029": "paragraph separator",
}


class YamlProblem(Exception):
    """A YAML text that cannot be read; `line` is 1-based within the parsed text."""

    def __init__(self, line: int | None, message: str, field_path: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.field_path = field_path


@dataclass
class ParsedYaml:
    """The data of one YAML document and the line of every value in it."""

    data: Any
    lines: dict[str, int] = field(default_factory=dict)


@dataclass
class _Frame:
    """A mapping or sequence under construction."""

    container: dict[str, Any] | list[Any]
    path: str
    pending_key: str | None = None
    pending_key_line: int = 0

    def child_path(self) -> str:
        if isinstance(self.container, list):
            return f"{self.path}[{len(self.container)}]"
        assert self.pending_key is not None
        return f"{self.path}.{self.pending_key}" if self.path else self.pending_key


def parse_yaml(text: str, line_offset: int = 0) -> ParsedYaml:
    """Parse one YAML document; raise `YamlProblem` for anything outside the safe subset.

    `line_offset` is added to every reported line (front matter starts after the `---`).
    """
    _reject_unreadable_characters(text, line_offset)
    _reject_tab_indent(text, line_offset)
    parsed = ParsedYaml(data=None)
    stack: list[_Frame] = []
    documents = 0
    try:
        for event in yaml.parse(text, Loader=_EVENT_LOADER):
            line = event.start_mark.line + 1 + line_offset if event.start_mark else None
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlProblem(line, "more than one YAML document; expected exactly one")
                continue
            if isinstance(event, yaml.AliasEvent):
                raise YamlProblem(
                    line,
                    f"YAML alias '*{event.anchor}' is not allowed; write the value out in full",
                    _current_path(stack),
                )
            if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
                _reject_anchor_and_tag(event, line, stack)
            if isinstance(event, yaml.ScalarEvent):
                plain = not event.style
                value = None if plain and event.value in _NULLS else event.value
                _add_value(parsed, stack, value, line, is_scalar=True, plain=plain)
            elif isinstance(event, yaml.MappingStartEvent):
                _open(parsed, stack, {}, line)
            elif isinstance(event, yaml.SequenceStartEvent):
                _open(parsed, stack, [], line)
            elif isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlProblem(line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"invalid YAML: {exc}") from None
    return parsed


def _current_path(stack: list[_Frame]) -> str:
    if not stack:
        return ""
    frame = stack[-1]
    if isinstance(frame.container, dict) and frame.pending_key is None:
        return frame.path
    return frame.child_path()


def _reject_anchor_and_tag(event: Any, line: int | None, stack: list[_Frame]) -> None:
    if event.anchor is not None:
        raise YamlProblem(
            line,
            f"YAML anchor '&{event.anchor}' is not allowed; write each value out in full",
            _current_path(stack),
        )
    # '!' is the non-specific tag PyYAML gives quoted scalars; anything else was written.
    if event.tag not in (None, "!"):
        raise YamlProblem(
            line,
            f"explicit YAML tag '{event.tag}' is not allowed; write a plain value",
            _current_path(stack),
        )


def _open(parsed: ParsedYaml, stack: list[_Frame], container: Any, line: int | None) -> None:
    if len(stack) >= MAX_DEPTH:
        raise YamlProblem(
            line, f"nesting is too deep (more than {MAX_DEPTH} levels); the format needs few"
        )
    path = _add_value(parsed, stack, container, line, is_scalar=False, plain=False)
    stack.append(_Frame(container, path))


def _add_value(
    parsed: ParsedYaml,
    stack: list[_Frame],
    value: Any,
    line: int | None,
    *,
    is_scalar: bool,
    plain: bool,
) -> str:
    """Place a value in the open container (or as the document root); return its path."""
    if not stack:
        parsed.data = value
        return ""
    frame = stack[-1]
    if isinstance(frame.container, list):
        path = frame.child_path()
        frame.container.append(value)
    elif frame.pending_key is None:
        _set_key(frame, value, line, is_scalar=is_scalar, plain=plain)
        return frame.path
    else:
        path = frame.child_path()
        frame.container[frame.pending_key] = value
        frame.pending_key = None
        line = frame.pending_key_line  # a field's line is where its key is written
    if line is not None:
        parsed.lines[path] = line
    return path


def _set_key(frame: _Frame, key: Any, line: int | None, *, is_scalar: bool, plain: bool) -> None:
    assert isinstance(frame.container, dict)
    if not is_scalar or key is None:
        raise YamlProblem(line, "a key must be a plain name", frame.path)
    if plain and key == "<<":
        raise YamlProblem(
            line, "YAML merge key '<<' is not allowed; write each field out", frame.path
        )
    if key in frame.container:
        where = f"{frame.path}.{key}" if frame.path else key
        raise YamlProblem(line, "duplicate key; each field may appear only once", where)
    frame.pending_key = key
    frame.pending_key_line = line or 0


def _reject_unreadable_characters(text: str, line_offset: int) -> None:
    found = _UNREADABLE.search(text)
    if found is None:
        return
    position, character = found.start(), found.group()
    column = position - text.rfind("\n", 0, position)
    raise YamlProblem(
        text.count("\n", 0, position) + 1 + line_offset,
        f"invisible {_character_name(character)} U+{ord(character):04X} at column {column}, "
        "probably pasted with the text; expected printable text: delete it",
        _field_holding(text, position),
    )


def _character_name(character: str) -> str:
    if character in _LINE_BREAK_NAMES:
        return _LINE_BREAK_NAMES[character]
    if "\ud800" <= character <= "\udfff":
        return "unpaired surrogate"
    if character in "\ufffe\uffff":
        return "non-character"
    return "control character"


def _field_holding(text: str, position: int) -> str:
    """The path of the value holding `text[position]`; "" when no value holds it.

    The text is parsed again with that character swapped for a private-use one, which YAML
    accepts and the text does not contain (and every other unreadable one for a space): the
    value the marker lands in names the field.
    """
    marker = next((chr(code) for code in range(0xE000, 0xF900) if chr(code) not in text), "")
    if not marker:
        return ""  # the text holds every private-use character: no marker is left
    clean = _UNREADABLE.sub(" ", f"{text[:position]}{marker}{text[position + 1 :]}")
    try:
        data = parse_yaml(clean).data
    except YamlProblem:
        return ""
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str) and marker in value:
            return path
        if isinstance(value, dict):
            pending.extend((f"{path}.{key}" if path else key, item) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return ""


def _reject_tab_indent(text: str, line_offset: int) -> None:
    for number, line in enumerate(text.split("\n"), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip():
            raise YamlProblem(
                number + line_offset, "tab used for indentation; indent YAML with spaces"
            )
