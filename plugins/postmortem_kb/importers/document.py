"""A document as plain blocks under headings, whatever format it came in.

Markdown and HTML are read into the same few kinds of block (heading, paragraph, list, table,
code, other) so that recognising a postmortem is written once. Each block keeps its Markdown,
which is what lands in the narrative when no field takes it: nothing is re-worded.

`build_sections` arranges the blocks under their headings by level (an `h3` under an `h2`,
whatever the numbers), and reads the pseudo-headings documents use instead of real ones: a
paragraph that is only bold text, or a short line ending with a colon.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

#: A paragraph that is nothing but bold text: `**What went well**`, `__Impact:__`.
_BOLD_ONLY = re.compile(
    r"^(\*\*|__)(?P<title>[^*_\n]{1,100}?)\1\s*:?\s*$|^(\*\*|__)(?P<t2>[^*_\n]{1,100}?):\3$"
)
#: A short line ending with a colon: `Root Causes:`.
_COLON_LINE = re.compile(r"^(?P<title>[A-Za-z][\w '\u2019/&()-]{1,60}):\s*$")


@dataclass
class ListItem:
    """One list item: its own text (inline Markdown) and its nested items."""

    text: str
    children: list[ListItem] = field(default_factory=list)
    #: A task-list item's box: True ticked, False open, None not a task.
    checked: bool | None = None

    def all_text(self) -> str:
        """The item with its nested items, one line each."""
        return "\n".join([self.text, *(child.all_text() for child in self.children)])


@dataclass
class Block:
    """One block of a document, with its Markdown for the narrative."""

    kind: str  # heading, paragraph, list, table, code, other
    markdown: str
    #: A heading's title, a paragraph's text, a code block's content.
    text: str = ""
    level: int = 0
    items: list[ListItem] = field(default_factory=list)
    ordered: bool = False
    #: A table's header cells (None: the table has no header row) and body rows.
    header: list[str] | None = None
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Section:
    """A heading and what follows it until the next heading of its level or above."""

    title: str
    level: int
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    #: A field name from `pmkb import --map` (spreadsheet columns): no heading guesswork.
    forced: str | None = None
    #: A bold paragraph or a `Label:` line standing for a heading: its name must be a
    #: section's name, not merely contain one ("**Does this impact security?**" in a FAQ).
    pseudo: bool = False

    def walk(self) -> Iterator[Section]:
        yield self
        for child in self.children:
            yield from child.walk()

    def markdown(self, level: int) -> str:
        """The section as Markdown, its heading at `level` (no heading at 0)."""
        parts = [f"{'#' * min(level, 6)} {self.title}"] if level and self.title else []
        parts.extend(block.markdown for block in self.blocks)
        parts.extend(child.markdown(level + 1 if level else 2) for child in self.children)
        return "\n\n".join(part for part in parts if part.strip())

    def text(self) -> str:
        """Everything in the section as Markdown, without its own heading."""
        return self.markdown(0)


@dataclass
class SourceDocument:
    """A document read into sections, with what its format said outside them."""

    #: The file name, for titles and dates when the text gives none.
    name: str
    root: Section
    #: The title the format gave (HTML `<title>`, a Google Docs title paragraph).
    title_hint: str | None = None
    #: YAML front matter of a Markdown file, as the strict reader read it.
    front_matter: dict[str, Any] = field(default_factory=dict)
    #: What the reader could not carry over (embedded images…), in words.
    losses: list[str] = field(default_factory=list)


def pseudo_heading(block: Block) -> str | None:
    """The title of a paragraph that stands for a heading, or None."""
    if block.kind != "paragraph" or "\n" in block.text.strip():
        return None
    text = block.text.strip()
    bold = _BOLD_ONLY.match(text)
    if bold:
        return (bold.group("title") or bold.group("t2")).strip().rstrip(":").strip()
    colon = _COLON_LINE.match(text)
    if colon and len(colon.group("title").split()) <= 6:
        return colon.group("title").strip()
    return None


def build_sections(
    blocks: list[Block], is_heading_title: Callable[[str], bool] = lambda title: True
) -> Section:
    """The blocks arranged under their headings; the blocks before any heading stay in the
    root (level 0). A pseudo-heading becomes a section one level below the last real
    heading when `is_heading_title` accepts its title (colon lines only: bold paragraphs
    are always headings). A pseudo-heading with nothing after it is a paragraph."""
    root = Section("", 0)
    stack = [root]
    real_level = 0
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            title: str | None = block.text
            level = real_level = block.level
        else:
            title = pseudo_heading(block)
            followed = index + 1 < len(blocks) and blocks[index + 1].kind != "heading"
            if title is not None and not block.text.lstrip().startswith(("**", "__")):
                title = title if is_heading_title(title) else None
            title = title if followed else None
            level = real_level + 1
        if title is None:
            stack[-1].blocks.append(block)
            continue
        while len(stack) > 1 and stack[-1].level >= level:
            stack.pop()
        section = Section(title.strip(), level, pseudo=block.kind != "heading")
        stack[-1].children.append(section)
        stack.append(section)
    return root


def markdown_table(header: list[str] | None, rows: list[list[str]]) -> str:
    """A pipe table; a table without a header gets an empty one (Markdown needs a header)."""
    width = max([len(header or [])] + [len(row) for row in rows] + [1])

    def line(cells: list[str]) -> str:
        padded = [*cells, *[""] * (width - len(cells))]
        return "| " + " | ".join(_table_cell(cell) for cell in padded) + " |"

    lines = [line(header or [""] * width), "|" + "---|" * width]
    lines.extend(line(row) for row in rows)
    return "\n".join(lines)


def _table_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>").strip()


def list_markdown(items: list[ListItem], ordered: bool = False, depth: int = 0) -> str:
    lines = []
    for number, item in enumerate(items, start=1):
        marker = f"{number}." if ordered else "-"
        box = "" if item.checked is None else ("[x] " if item.checked else "[ ] ")
        indent = "    " * depth
        text = item.text.replace("\n", "\n" + indent + " " * (len(marker) + 1))
        lines.append(f"{indent}{marker} {box}{text}")
        if item.children:
            lines.append(list_markdown(item.children, False, depth + 1))
    return "\n".join(lines)
