"""Markdown documents into blocks, keeping each block's text exactly as written.

Why not Python-Markdown: it renders HTML, and the narrative must stay the author's Markdown,
word for word. The block structure a postmortem needs (headings, paragraphs, lists with
their nesting and task boxes, pipe tables with or without an alignment row, fenced code,
front matter) is read here line by line, the CommonMark way where it matters (setext
headings, lazy continuation lines, loose lists).
"""

from __future__ import annotations

import re
from typing import Any

from ..core.yaml_reader import YamlProblem, parse_yaml
from .document import Block, ListItem

_FENCE = re.compile(r"^(?P<indent>\s{0,3})(?P<fence>`{3,}|~{3,})")
_ATX = re.compile(r"^\s{0,3}(?P<marks>#{1,6})(?:[ \t]+(?P<title>.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^\s{0,3}(?P<mark>=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_ALIGNMENT = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(?:\|\s*:?-{1,}:?\s*)*\|?\s*$")
_ITEM = re.compile(r"^(?P<indent>\s*)(?P<marker>[-*+•]|\d{1,9}[.)])(?:[ \t]+(?P<text>.*)|$)")
_TASK = re.compile(r"^\[(?P<box>[ xX])\]\s+")
_HTML_BLOCK = re.compile(r"^\s{0,3}<(?:[a-zA-Z][a-zA-Z0-9-]*|!--)[\s/>]")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def read_markdown(text: str) -> tuple[dict[str, Any], list[Block], list[str]]:
    """Front matter (empty when none), the blocks, and what could not be read, in words."""
    lines = text.split("\n")
    front_matter, start, problems = _front_matter(lines)
    return front_matter, read_blocks(lines[start:]), problems


def read_blocks(lines: list[str]) -> list[Block]:
    """The blocks of Markdown lines (no front matter)."""
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        for reader in (_fenced_code, _heading, _table, _list, _rule, _quote, _html):
            found = reader(lines, index)
            if found is not None:
                block, index = found
                blocks.append(block)
                break
        else:
            block, index = _paragraph(lines, index)
            blocks.append(block)
    return blocks


def _front_matter(lines: list[str]) -> tuple[dict[str, Any], int, list[str]]:
    if not lines or lines[0].strip() not in ("---", "+++"):
        return {}, 0, []
    marker = lines[0].strip()
    for end in range(1, min(len(lines), 400)):
        if lines[end].strip() in ((marker, "...") if marker == "---" else (marker,)):
            break
    else:
        return {}, 0, []
    inner = lines[1:end]
    if marker == "+++":
        data = {
            key.strip(): value.strip().strip("\"'")
            for key, _, value in (line.partition("=") for line in inner if "=" in line)
        }
        return data, end + 1, []
    try:
        parsed = parse_yaml("\n".join(inner)).data
    except YamlProblem as exc:
        return {}, 0, [f"front matter could not be read ({exc.message}); kept as text"]
    if not isinstance(parsed, dict):
        return {}, 0, []
    return parsed, end + 1, []


def _fenced_code(lines: list[str], index: int) -> tuple[Block, int] | None:
    opening = _FENCE.match(lines[index])
    if opening is None:
        return None
    fence = opening.group("fence")
    end = index + 1
    while end < len(lines):
        closing = _FENCE.match(lines[end])
        if (
            closing
            and closing.group("fence")[0] == fence[0]
            and len(closing.group("fence")) >= len(fence)
            and not lines[end].strip()[len(closing.group("fence")) :].strip()
        ):
            break
        end += 1
    content = "\n".join(lines[index + 1 : end])
    markdown = "\n".join(lines[index : end + 1])
    return Block("code", markdown, text=content), end + 1


def _heading(lines: list[str], index: int) -> tuple[Block, int] | None:
    atx = _ATX.match(lines[index])
    if atx is None:
        return None
    title = (atx.group("title") or "").strip()
    return Block("heading", lines[index], text=title, level=len(atx.group("marks"))), index + 1


def split_row(line: str) -> list[str]:
    """The cells of a pipe-table row (an escaped `\\|` stays in its cell)."""
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell.strip().replace("\\|", "|") for cell in _CELL_SPLIT.split(inner)]


def _table(lines: list[str], index: int) -> tuple[Block, int] | None:
    line = lines[index]
    if "|" not in line:
        return None
    aligned = index + 1 < len(lines) and _ALIGNMENT.match(lines[index + 1]) is not None
    piped = line.strip().startswith("|")
    if not aligned and not (
        piped and index + 1 < len(lines) and lines[index + 1].strip().startswith("|")
    ):
        return None
    end = index + (2 if aligned else 0)
    rows = []
    while end < len(lines) and lines[end].strip() and "|" in lines[end]:
        if not _ALIGNMENT.match(lines[end]):
            rows.append(split_row(lines[end]))
        end += 1
    header = split_row(line) if aligned else None
    markdown = "\n".join(lines[index:end])
    return Block("table", markdown, header=header, rows=rows), end


def _list(lines: list[str], index: int) -> tuple[Block, int] | None:
    first = _ITEM.match(lines[index])
    if first is None or _RULE.match(lines[index]):
        return None
    base = len(first.group("indent").expandtabs(4))
    ordered = first.group("marker")[0].isdigit()
    items: list[ListItem] = []
    stack: list[tuple[int, int, ListItem]] = []  # (marker indent, content indent, item)
    end = index
    in_fence = False
    while end < len(lines):
        line = lines[end]
        if not line.strip():
            following = _next_content(lines, end)
            if following is None:
                break
            if not in_fence:
                nested = _ITEM.match(lines[following])
                indent = len(lines[following]) - len(lines[following].lstrip())
                if not (nested and indent >= base) and indent < stack[-1][1]:
                    break
            stack[-1][2].text += "\n"
            end += 1
            continue
        item = None if in_fence else _ITEM.match(line)
        if item is not None and not _RULE.match(line):
            indent = len(item.group("indent").expandtabs(4))
            if indent < base:
                break
            text = item.group("text") or ""
            content_indent = indent + len(item.group("marker")) + 1
            checked = None
            task = _TASK.match(text)
            if task:
                checked = task.group("box") != " "
                text = text[task.end() :]
            node = ListItem(text.strip(), checked=checked)
            while stack and stack[-1][0] >= indent:
                stack.pop()
            (stack[-1][2].children if stack else items).append(node)
            stack.append((indent, content_indent, node))
        else:
            indent = len(line) - len(line.lstrip())
            starts_block = any(
                pattern.match(line) for pattern in (_ATX, _FENCE, _QUOTE, _HTML_BLOCK)
            )
            lazy = lines[end - 1].strip() and not starts_block
            if not stack or not (indent >= stack[-1][1] or lazy or in_fence):
                break
            if _FENCE.match(line.strip()):
                in_fence = not in_fence
            node = stack[-1][2]
            node.text = (node.text.rstrip(" ") + "\n" + line.strip()).lstrip("\n")
        end += 1
    for _, _, node in stack:
        node.text = node.text.strip()
    _strip_items(items)
    markdown = "\n".join(lines[index:end]).rstrip()
    return Block("list", markdown, items=items, ordered=ordered), end


def _strip_items(items: list[ListItem]) -> None:
    for item in items:
        item.text = re.sub(r"\n{3,}", "\n\n", item.text.strip())
        _strip_items(item.children)


def _next_content(lines: list[str], index: int) -> int | None:
    for following in range(index, len(lines)):
        if lines[following].strip():
            return following
    return None


def _rule(lines: list[str], index: int) -> tuple[Block, int] | None:
    if _RULE.match(lines[index]):
        return Block("other", lines[index].strip()), index + 1
    return None


def _quote(lines: list[str], index: int) -> tuple[Block, int] | None:
    if not _QUOTE.match(lines[index]):
        return None
    end = index
    while end < len(lines) and lines[end].strip() and (_QUOTE.match(lines[end]) or end > index):
        end += 1
    inner = "\n".join(_QUOTE.sub("", line, count=1) for line in lines[index:end])
    return Block("paragraph", "\n".join(lines[index:end]), text=inner.strip()), end


def _html(lines: list[str], index: int) -> tuple[Block, int] | None:
    if not _HTML_BLOCK.match(lines[index]):
        return None
    end = index
    while end < len(lines) and lines[end].strip():
        end += 1
    return Block("other", "\n".join(lines[index:end])), end


def _paragraph(lines: list[str], index: int) -> tuple[Block, int]:
    end = index
    collected: list[str] = []
    while end < len(lines) and lines[end].strip():
        line = lines[end]
        if collected:
            setext = _SETEXT.match(line)
            if setext:
                level = 1 if setext.group("mark")[0] == "=" else 2
                title = " ".join(part.strip() for part in collected)
                return Block("heading", "\n".join(lines[index : end + 1]), title, level), end + 1
            item = _ITEM.match(line)
            bullet = item is not None and not item.group("marker")[0].isdigit()
            if bullet or any(p.match(line) for p in (_ATX, _FENCE, _QUOTE, _RULE)):
                break
        collected.append(line)
        end += 1
    text = "\n".join(re.sub(r"(\s{2,}|\\)$", "", line.strip()) for line in collected)
    return Block("paragraph", "\n".join(lines[index:end]), text=text), end
