"""Internal-only markup and `@handle` mentions in Markdown *source* text.

Authors mark what customers must not read with a fenced block (`::: internal` … `:::`) or an
inline span (`[text]{.internal}`). The public projection cuts both out of the source before any
Markdown is rendered (`strip_internal`); the internal build keeps them, visibly marked
(`mark_internal`). The same reading of the text turns `@handle` mentions into roles. Nothing
here renders a page or knows about MkDocs.

What counts as code, and is left alone: fenced code blocks (``` or ~~~, any indentation) that
are closed, and code spans that open and close on one line. Everything else is read as text on
purpose, erring towards cutting. This line reader is not trusted alone: the projection reads the
cut text again with Python-Markdown (`markdown_reading`), the parser that renders it, and
refuses any text where the two disagree; `internal_parts` is what either of them finds, so the
leak scan looks for both. Raw HTML is likewise decided by Python-Markdown (`markdown_reading`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from .markdown_reading import SPAN_ATTRIBUTES, read_markdown

#: An `@handle` mention. Not preceded by a word character, `.`, `+`, `-`, `/` or `@`, so the
#: `@` of an e-mail address (`a@b.com`) or of a URL path (`/@user`) is not a handle.
HANDLE_PATTERN = re.compile(
    r"(?<![\w.+\-/@])@(?P<name>[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)"
)

#: The admonition an internal block becomes in the internal build (needs `admonition`).
INTERNAL_ADMONITION = '!!! internal "Internal only"'
#: The CSS class an internal span gets in the internal build.
INTERNAL_SPAN_CLASS = "pmkb-internal"

_CODE_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
# Any indentation: internal blocks inside list items and admonitions count too (fail closed).
_INTERNAL_OPEN = re.compile(
    r"^(?P<indent>\s*):{3,}\s*(?:internal(?!\w)|\{[^}]*?(?<=[{\s])\.internal(?!\w)[^}]*\})",
    re.IGNORECASE,
)
_DIV_OPEN = re.compile(r"^\s*:{3,}\s*[^\s:]")
_DIV_CLOSE = re.compile(r"^\s*:{3,}\s*$")
# An internal class left over once spans are gone: the author's span did not parse.
_STRAY_SPAN_MARK = re.compile(r"\{:?[^{}\n]*?(?<=[{\s:])\.internal(?!\w)", re.IGNORECASE)
_BACKTICKS = re.compile(r"`+")


@dataclass(frozen=True)
class _Block:
    """A run of lines that is plain text, a closed code block, or an internal block.

    For an internal block, `lines` is its content, `first_line` the 1-based line of its
    opening fence, `opening`/`closing` the fence lines as written (`closing` is None when the
    block is never closed) and `indent` the opening fence's indentation.
    """

    kind: str  # "text" | "code" | "internal"
    lines: tuple[str, ...]
    first_line: int
    opening: str = ""
    closing: str | None = None
    indent: str = ""

    @property
    def closed(self) -> bool:
        return self.closing is not None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def strip_internal(text: str) -> str:
    """The text without its internal blocks and spans: what the public version may show.

    An internal block is replaced by a blank line so the paragraphs around it stay apart. An
    unclosed block drops everything after it; `internal_markup_problems` reports it.
    """
    if not _may_have_internal(text):
        return text
    out: list[str] = []
    for block in _blocks(text):
        if block.kind == "internal":
            out.append("")
        elif block.kind == "code":
            out.extend(block.lines)
        else:
            out.append(_replace_internal_spans(block.text, lambda inner: ""))
    return "\n".join(out)


def mark_internal(text: str) -> str:
    """The text with internal blocks and spans visibly marked, for the internal build.

    A block becomes an `!!! internal "Internal only"` admonition (Markdown extensions
    `admonition`, and `pymdownx.superfences` for code inside it); a span becomes
    `<span class="pmkb-internal">…</span>` with `<` and `>` of its text escaped.
    """
    if not _may_have_internal(text):
        return text
    out: list[str] = []
    for block in _blocks(text):
        if block.kind == "internal":
            out.extend(["", block.indent + INTERNAL_ADMONITION])
            inner = mark_internal("\n".join(_dedent(line, block.indent) for line in block.lines))
            content_indent = block.indent + "    "
            out.extend(content_indent + line if line.strip() else "" for line in inner.split("\n"))
            out.append("")
        elif block.kind == "code":
            out.extend(block.lines)
        else:
            out.append(_replace_internal_spans(block.text, _marked_span))
    return "\n".join(out)


def internal_parts(text: str) -> list[str]:
    """The content of every internal block and span (what the public build drops), in order.

    As this module's line reader finds them, then any more that Python-Markdown finds: where
    the two disagree, both readings are private.
    """
    if not _may_have_internal(text):
        return []
    parts: list[str] = []
    for block in _blocks(text):
        if block.kind == "internal":
            parts.append(block.text)
        elif block.kind == "text":
            parts.extend(block.text[start:end] for _, start, end, _ in _internal_spans(block.text))
    return list(dict.fromkeys([*parts, *read_markdown(text).internal_parts]))


def internal_markup_problems(text: str) -> list[str]:
    """What is wrong with the internal markup of a text, one message each, line numbers 1-based.

    An unclosed block and an internal class that is not attached to a `[span]` both mean the
    author's intent is unclear: the public build drops what it can and reports these.
    """
    if not _may_have_internal(text):
        return []
    problems: list[str] = []
    for block in _blocks(text):
        if block.kind == "internal" and not block.closed:
            problems.append(
                f"the `::: internal` block opened on line {block.first_line} of this text is"
                " never closed with `:::`; everything after it is treated as internal"
            )
        elif block.kind == "text":
            body = block.text
            spans = [(start, end) for start, _, _, end in _internal_spans(body)]
            code = _code_span_ranges(body)
            for match in _STRAY_SPAN_MARK.finditer(body):
                position = match.start()
                if _inside(position, spans) or _inside(position, code):
                    continue
                line = block.first_line + body.count("\n", 0, position)
                problems.append(
                    f"line {line} of this text has `{match.group()}…` that is not attached to a"
                    " `[text]` span; write `[text]{.internal}`"
                )
    return problems


def markdown_without_code(text: str) -> str:
    """The text without code blocks, code spans blanked out: the prose a reader sees."""
    out: list[str] = []
    for block in _blocks(text):
        if block.kind == "internal":
            out.append(markdown_without_code(block.text))
        elif block.kind == "text":
            out.append(_mask(block.text, _code_span_ranges(block.text)))
    return "\n".join(out)


def replace_handles(text: str, roles: Mapping[str, str]) -> tuple[str, list[str]]:
    """The text with every `@handle` outside code replaced by its role, and the unresolved ones.

    `roles` maps `@handle` (or `handle`) to a role; lookup falls back to ignoring case. An
    unresolved handle is left in the text and returned (with its `@`, once, in order).
    """
    lookup = _RoleLookup(roles)
    unresolved: list[str] = []

    def substitute(body: str) -> str:
        code = _code_span_ranges(body)
        pieces: list[str] = []
        position = 0
        for match in HANDLE_PATTERN.finditer(body):
            if _inside(match.start(), code):
                continue
            role = lookup.role_of(match.group("name"))
            if role is None:
                if match.group() not in unresolved:
                    unresolved.append(match.group())
                continue
            pieces.extend([body[position : match.start()], role])
            position = match.end()
        pieces.append(body[position:])
        return "".join(pieces)

    return _map_text_pieces(text, substitute), unresolved


class _RoleLookup:
    """Roles by handle, their internal parts cut like any other public text."""

    def __init__(self, roles: Mapping[str, str]) -> None:
        self._exact = {
            handle.removeprefix("@"): strip_internal(role).strip() for handle, role in roles.items()
        }
        self._folded = {handle.casefold(): role for handle, role in self._exact.items()}

    def role_of(self, name: str) -> str | None:
        return self._exact.get(name, self._folded.get(name.casefold()))


def _may_have_internal(text: str) -> bool:
    """False when the text cannot hold an internal block (`:::`) or span (`.internal`).

    Most texts have neither; they skip the parse, which would return them unchanged.
    """
    return ":::" in text or ".internal" in text.lower()


def _map_text_pieces(text: str, change: Callable[[str], str]) -> str:
    """The text with `change` applied to every run of non-code text; everything else as written."""
    out: list[str] = []
    for block in _blocks(text):
        if block.kind == "internal":
            out.extend([block.opening, _map_text_pieces(block.text, change)])
            out.extend([] if block.closing is None else [block.closing])
        elif block.kind == "code":
            out.extend(block.lines)
        else:
            out.append(change(block.text))
    return "\n".join(out)


def _blocks(text: str) -> list[_Block]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    in_code = _closed_code_fence_lines(lines)
    blocks: list[_Block] = []
    pending = 0
    index = 0
    while index < len(lines):
        opening = None if in_code[index] else _INTERNAL_OPEN.match(lines[index])
        if opening is None:
            index += 1
            continue
        blocks.extend(_text_and_code_blocks(lines, in_code, pending, index))
        end = _internal_block_end(lines, in_code, index)
        content = lines[index + 1 : len(lines) if end is None else end]
        closing = None if end is None else lines[end]
        blocks.append(
            _Block("internal", tuple(content), index + 1, lines[index], closing, opening["indent"])
        )
        index = pending = len(lines) if end is None else end + 1
    blocks.extend(_text_and_code_blocks(lines, in_code, pending, len(lines)))
    return blocks


def _text_and_code_blocks(
    lines: list[str], in_code: list[bool], start: int, stop: int
) -> Iterator[_Block]:
    run_start = start
    for index in range(start, stop + 1):
        if index == stop or in_code[index] != in_code[run_start]:
            if index > run_start:
                kind = "code" if in_code[run_start] else "text"
                yield _Block(kind, tuple(lines[run_start:index]), run_start + 1)
            run_start = index


def _closed_code_fence_lines(lines: list[str]) -> list[bool]:
    """Which lines belong to a fenced code block that is closed (fences included)."""
    in_code = [False] * len(lines)
    index = 0
    while index < len(lines):
        fence = _CODE_FENCE.match(lines[index])
        end = None
        if fence and not (fence["fence"][0] == "`" and "`" in fence["info"]):
            end = _code_fence_end(lines, index, fence["fence"])
        if end is None:
            index += 1
            continue
        in_code[index : end + 1] = [True] * (end + 1 - index)
        index = end + 1
    return in_code


def _code_fence_end(lines: list[str], start: int, fence: str) -> int | None:
    closing = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    following = range(start + 1, len(lines))
    return next((index for index in following if closing.match(lines[index])), None)


def _internal_block_end(lines: list[str], in_code: list[bool], start: int) -> int | None:
    """The line closing the block opened at `start`; fenced divs nested inside are counted."""
    depth = 1
    for index in range(start + 1, len(lines)):
        if in_code[index]:
            continue
        if _DIV_CLOSE.match(lines[index]):
            depth -= 1
            if depth == 0:
                return index
        elif _DIV_OPEN.match(lines[index]):
            depth += 1
    return None


def _dedent(line: str, indent: str) -> str:
    return line[len(indent) :] if line.startswith(indent) else line.lstrip()


def _marked_span(inner: str) -> str:
    escaped = _replace_outside(inner, _code_span_ranges(inner), _escape_angle_brackets)
    marked = _replace_internal_spans(escaped, _marked_span)
    return f'<span class="{INTERNAL_SPAN_CLASS}">{marked}</span>'


def _escape_angle_brackets(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _replace_internal_spans(text: str, render: Callable[[str], str]) -> str:
    pieces: list[str] = []
    position = 0
    for start, inner_start, inner_end, end in _internal_spans(text):
        pieces.extend([text[position:start], render(text[inner_start:inner_end])])
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _internal_spans(text: str) -> list[tuple[int, int, int, int]]:
    """Outermost `[…]{.internal}` spans as (start, inner start, inner end, end) offsets."""
    spans: list[tuple[int, int, int, int]] = []
    pairs = _bracket_pairs(text, _code_span_ranges(text))
    for opening in sorted(pairs):
        if spans and opening < spans[-1][3]:
            continue  # nested inside a span already found
        closing = pairs[opening]
        attributes = SPAN_ATTRIBUTES.match(text, closing + 1)
        if attributes:
            spans.append((opening, opening + 1, closing, attributes.end()))
    return spans


def _bracket_pairs(text: str, code: list[tuple[int, int]]) -> dict[int, int]:
    """Matching `[` → `]` offsets, skipping backslash escapes and code spans."""
    code_ends = dict(code)
    stack: list[int] = []
    pairs: dict[int, int] = {}
    index = 0
    while index < len(text):
        if index in code_ends:
            index = code_ends[index]
            continue
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            stack.append(index)
        elif char == "]" and stack:
            pairs[stack.pop()] = index
        index += 1
    return pairs


def _code_span_ranges(text: str) -> list[tuple[int, int]]:
    """Code spans as (start, end) offsets; a span must open and close on the same line."""
    ranges: list[tuple[int, int]] = []
    line_start = 0
    for line in text.split("\n"):
        position = 0
        while (run := _BACKTICKS.search(line, position)) is not None:
            start, length = run.start(), len(run.group())
            if _escaped(line, start):
                start, length = start + 1, length - 1
            later_runs = _BACKTICKS.finditer(line, run.end())
            closing = next((other for other in later_runs if len(other.group()) == length), None)
            if length == 0 or closing is None:
                position = run.end()
                continue
            ranges.append((line_start + start, line_start + closing.end()))
            position = closing.end()
        line_start += len(line) + 1
    return ranges


def _escaped(text: str, index: int) -> bool:
    backslashes = len(text[:index]) - len(text[:index].rstrip("\\"))
    return backslashes % 2 == 1


def _inside(position: int, ranges: list[tuple[int, int]]) -> bool:
    """Whether `position` is in one of `ranges` (sorted, not overlapping): a binary search,
    because a text can hold thousands of spans and every match asks."""
    index = bisect_right(ranges, (position, float("inf"))) - 1
    return index >= 0 and ranges[index][0] <= position < ranges[index][1]


def _mask(text: str, ranges: list[tuple[int, int]]) -> str:
    """The text with each range blanked out (same length), so offsets stay valid."""
    pieces: list[str] = []
    position = 0
    for start, end in ranges:
        pieces.extend([text[position:start], " " * (end - start)])
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _replace_outside(text: str, ranges: list[tuple[int, int]], change: Callable[[str], str]) -> str:
    """The text with `change` applied to everything outside the (sorted) ranges."""
    pieces: list[str] = []
    position = 0
    for start, end in ranges:
        pieces.extend([change(text[position:start]), text[start:end]])
        position = end
    pieces.append(change(text[position:]))
    return "".join(pieces)
