"""Search results for people and for programs: terminal text and JSON.

The terminal form is plain, wrapped text: rank, date, severity, title, URL and a snippet.
Matched terms are set in bold only when asked (`highlight=True`, which the CLI passes when
stdout is a terminal), so piped output stays free of escape codes, like grep's. Index text
comes from postmortem files, so control characters are dropped before anything is printed:
a title cannot move the cursor or recolour the terminal.

Titles and snippets are plain text in both forms, never HTML (the index holds Markdown
reduced to its words), so there is nothing for the HTML sanitizer to do here: escaping them
would show `a &lt; b` in a terminal. A program that puts the JSON into a web page must insert
them as text (`textContent`), as it would any other text.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from typing import Any, TextIO

from .index import SearchResult, Suggestions

_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"
#: Control characters, and lone surrogates (undecodable bytes of a command-line query, which
#: a UTF-8 terminal could not print).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_INDENT = "    "


def use_highlighting(stream: TextIO) -> bool:
    """Bold only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def format_results(
    results: Sequence[SearchResult],
    *,
    highlight: bool = False,
    base_url: str = "",
    width: int = 88,
) -> str:
    """Numbered results, a blank line between them, each line at most `width` wide."""
    blocks = []
    for rank, result in enumerate(results, start=1):
        title = _printable(result.title)
        heading = f"{rank:>2}. {result.date.isoformat()}  {result.severity}  "
        lines = [heading + (f"{_BOLD}{title}{_RESET}" if highlight else title)]
        lines.append(f"{_INDENT}{result_url(result, base_url)}")
        lines.extend(
            _INDENT + line
            for line in _wrap_snippet(
                _printable(result.snippet), result.highlights, highlight, width - len(_INDENT)
            )
        )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def format_no_results(query: str, suggestions: Suggestions) -> str:
    """What to try next when a query finds nothing."""
    lines = [f"No incidents match {_printable(query)!r}."]
    if suggestions.corrected_query:
        lines.append(f"Did you mean: {_printable(suggestions.corrected_query)}")
    if suggestions.nearest_tags:
        tags = ", ".join(f"tag:{tag}" for tag in suggestions.nearest_tags)
        lines.append(f"Nearest tags: {_printable(tags)}")
    elif suggestions.popular_tags:
        tags = ", ".join(f"tag:{tag}" for tag in suggestions.popular_tags)
        lines.append(f"Most used tags: {_printable(tags)}")
    return "\n".join(lines)


def results_as_json(results: Sequence[SearchResult], *, base_url: str = "") -> str:
    """A JSON list, one object per result, in rank order."""
    return json.dumps([_json_object(result, base_url) for result in results], indent=2)


def result_url(result: SearchResult, base_url: str = "") -> str:
    """The incident's URL, absolute when the site's base URL is known."""
    return f"{base_url.rstrip('/')}/{result.url}" if base_url else result.url


def _json_object(result: SearchResult, base_url: str) -> dict[str, Any]:
    return {
        "id": result.id,
        "title": result.title,
        "date": result.date.isoformat(),
        "severity": result.severity,
        "status": result.status,
        "score": round(result.score, 4),
        "url": result_url(result, base_url),
        "tags": list(result.tags),
        "services": list(result.services),
        "snippet": result.snippet,
        "highlights": [list(span) for span in result.highlights],
    }


def _printable(text: str) -> str:
    return _CONTROL.sub(" ", text)


def _wrap_snippet(
    snippet: str, spans: Sequence[tuple[int, int]], highlight: bool, width: int
) -> list[str]:
    """Wrap by visible width, then bold the matched characters of each word."""
    lines: list[str] = []
    line: list[str] = []
    line_width = 0
    for match in re.finditer(r"\S+", snippet):
        word = _bold_spans(snippet, match.start(), match.end(), spans) if highlight else match[0]
        word_width = match.end() - match.start()
        if line and line_width + 1 + word_width > width:
            lines.append(" ".join(line))
            line, line_width = [], 0
        line.append(word)
        line_width += word_width + (1 if line_width else 0)
    if line:
        lines.append(" ".join(line))
    return lines


def _bold_spans(text: str, start: int, end: int, spans: Sequence[tuple[int, int]]) -> str:
    pieces = []
    position = start
    for span_start, span_end in spans:
        low, high = max(span_start, start), min(span_end, end)
        if low >= high:
            continue
        pieces.append(text[position:low])
        pieces.append(f"{_BOLD}{text[low:high]}{_RESET}")
        position = high
    pieces.append(text[position:end])
    return "".join(pieces)
