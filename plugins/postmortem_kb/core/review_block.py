"""Write keys of a postmortem's `review` block into its text, leaving every other byte alone.

`pmkb approve` records an approval in the author's own file, which also holds their comments,
key order, quoting and line breaks. Dumping the parsed YAML again would lose all of that, so
the block is edited as lines: the loader recorded the line of `review:` and of each key in it
(`RawPostmortem.lines`), a key's value runs until the next line indented no deeper, and the
block ends before the next line at the top level. A key present is replaced in place; one
absent is added at the end of the block; a file without the block gets it at the end of its
fields (before the closing `---` of front matter). Line endings follow the file's own.

The caller reads the result again to check that only the block changed (see `cli/approve.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: `review:` on a line of its own, maybe with a comment: a block the lines can be edited in.
_BLOCK_START = re.compile(r"^review:[ \t]*(#.*)?$")
_DEFAULT_INDENT = "  "


class ReviewBlockError(Exception):
    """The block is written in a form these line edits do not handle (flow style)."""


def with_review_values(
    text: str, lines: Mapping[str, int], values: Mapping[str, str], *, front_matter: bool
) -> str:
    """`text` with `review.<key>: <value>` for each of `values` (YAML scalars, as written).

    `lines` are the loader's: field path → 1-based line in `text`. `front_matter`: the
    fields are a Markdown file's front matter, between the first two `---` lines.
    """
    rows = text.split("\n")
    newline_end = "\r" if rows[0].endswith("\r") else ""
    fields_end = _fields_end(rows, front_matter)
    start = lines.get("review")
    if start is None:
        added = ["review:", *(f"{_DEFAULT_INDENT}{key}: {value}" for key, value in values.items())]
        rows[fields_end:fields_end] = [row + newline_end for row in added]
        return "\n".join(rows)
    top = start - 1
    if not _BLOCK_START.match(rows[top].rstrip("\r")):
        raise ReviewBlockError(
            f"line {start}: `review` is not written as an indented block; write `review:` on a"
            " line of its own and each of its keys on an indented line below"
        )
    block_end = _value_end(rows, top, fields_end)
    indent = next(
        (_indent_of(row) for row in rows[top + 1 : block_end] if _is_content(row)),
        _DEFAULT_INDENT,
    )
    edits: list[tuple[int, int, list[str]]] = []
    appended: list[str] = []
    for key, value in values.items():
        line = f"{indent}{key}: {value}{newline_end}"
        key_line = lines.get(f"review.{key}")
        if key_line is None:
            appended.append(line)
        else:
            edits.append((key_line - 1, _value_end(rows, key_line - 1, block_end), [line]))
    edits.append((block_end, block_end, appended))
    for first, end, replacement in sorted(edits, reverse=True):
        rows[first:end] = replacement
    return "\n".join(rows)


def _fields_end(rows: list[str], front_matter: bool) -> int:
    """The index of the first row after the fields (the closing `---`, or the file's end)."""
    if front_matter:
        return next(index for index in range(1, len(rows))
                    if rows[index].rstrip() in ("---", "..."))
    return len(rows) - 1 if rows[-1] == "" else len(rows)


def _value_end(rows: list[str], key_row: int, limit: int) -> int:
    """The row after the last one of the value whose key is on `key_row`: content rows below
    it are indented deeper; blank lines and comments after the last of them are not its."""
    depth = len(_indent_of(rows[key_row]))
    end = key_row + 1
    for index in range(key_row + 1, limit):
        if not _is_content(rows[index]):
            continue
        if len(_indent_of(rows[index])) <= depth:
            break
        end = index + 1
    return end


def _is_content(row: str) -> bool:
    stripped = row.strip()
    return bool(stripped) and not stripped.startswith("#")


def _indent_of(row: str) -> str:
    return row[: len(row) - len(row.lstrip(" "))]
