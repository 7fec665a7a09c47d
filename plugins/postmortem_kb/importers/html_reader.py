"""HTML documents, as wikis and document editors export them, into blocks of Markdown.

A Confluence export wraps the page in breadcrumbs, metadata and footers; a Google Docs export
has no `<strong>` at all (bold is a CSS class) and a title paragraph instead of an `<h1>`;
both nest spans in divs in table cells. The standard library's `html.parser` gives a stream of
tags; a small tree builder closes what HTML lets authors leave open (`<p>`, `<li>`, `<td>`),
and the tree is then read into the same blocks as Markdown, its inline markup written as
Markdown (links, bold, code) so the narrative stays readable. Scripts, styles, navigation
and page furniture are left out; images embedded as `data:` URLs are named, not copied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .document import Block, ListItem, list_markdown, markdown_table

_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
_SKIPPED = {
    "script", "style", "head", "nav", "noscript", "template", "svg", "button", "form",
    "select", "iframe", "object", "canvas", "title", "textarea",
}  # fmt: skip
#: Page furniture of wiki exports, by id or class.
_FURNITURE = re.compile(
    r"breadcrumb|footer|page-metadata|navigation|sidebar|likes-and-labels|skip-link|"
    r"comment-thread|page-comments|aui-header",
    re.I,
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "body", "html", "header", "footer", "aside",
    "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "pre",
    "blockquote", "hr", "dl", "dt", "dd", "figure", "figcaption", "center", "caption",
    *_HEADINGS,
}  # fmt: skip
#: Tags an open tag of the key's name closes (HTML's optional end tags).
_CLOSES = {
    "p": {"p"}, "li": {"li", "p"}, "dt": {"dt", "dd", "p"}, "dd": {"dt", "dd", "p"},
    "tr": {"tr", "td", "th", "p"}, "td": {"td", "th", "p"}, "th": {"td", "th", "p"},
    "thead": {"tbody", "tr", "td", "th"}, "tbody": {"thead", "tr", "td", "th"},
}  # fmt: skip
#: Where the search for a tag to close stops (an `<li>` never closes its parent list's item).
_SCOPES = {"ul", "ol", "table", "dl", "div", "blockquote", "td", "th"}
_STYLE_RULE = re.compile(r"\.([\w-]+)\s*\{([^}]*)\}")
_SAFE_URL = re.compile(r"^(?:https?:|mailto:|/|#|\.|[\w-]+(?:/|\.html?|$))", re.I)


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)

    def classes(self) -> str:
        return f"{self.attrs.get('class', '')} {self.attrs.get('id', '')}"


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("document")
        self.stack = [self.root]
        self.title = ""
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        closes = _CLOSES.get(tag, set())
        if tag in _BLOCK_TAGS and tag not in ("li", "td", "th", "tr", "dt", "dd"):
            closes = closes | {"p"}
        self._close_implied(closes)
        node = _Node(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack[-1].tag == tag:
            self.stack.pop()

    def _close_implied(self, tags: set[str]) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            tag = self.stack[depth].tag
            if tag in tags:
                del self.stack[depth:]
                return
            if tag in _SCOPES:
                return

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        current = self.stack[-1]
        if current.tag == "title":
            self.title += data
        elif current.tag == "style":
            self.styles.append(data)
        current.children.append(data)


@dataclass
class HtmlDocument:
    title: str | None
    blocks: list[Block]
    losses: list[str]


def read_html(text: str) -> HtmlDocument:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    reader = _BlockReader(_styled_classes(" ".join(builder.styles)))
    reader.read_children(builder.root)
    reader.flush()
    title = " ".join(builder.title.split()) or None
    losses = []
    if reader.embedded_images:
        losses.append(
            f"{reader.embedded_images} image(s) embedded in the page (data: URLs) were not "
            "copied; attach them as evidence files"
        )
    return HtmlDocument(title, reader.blocks, losses)


def _styled_classes(css: str) -> dict[str, str]:
    """CSS class → `**` or `*` for the classes a stylesheet makes bold or italic (Google Docs
    marks bold text only this way)."""
    marks: dict[str, str] = {}
    for name, rules in _STYLE_RULE.findall(css):
        compact = rules.replace(" ", "").lower()
        if re.search(r"font-weight:(bold|[6-9]00)", compact):
            marks[name] = "**"
        elif "font-style:italic" in compact:
            marks[name] = "*"
    return marks


class _BlockReader:
    def __init__(self, class_marks: dict[str, str]) -> None:
        self.class_marks = class_marks
        self.blocks: list[Block] = []
        self.pending: list[str] = []  # inline text outside any paragraph
        self.embedded_images = 0

    # -- blocks --------------------------------------------------------------------------
    def read_children(self, node: _Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                self.pending.append(_collapse(child))
            else:
                self.read(child)

    def read(self, node: _Node) -> None:
        tag = node.tag
        if tag in _SKIPPED or _FURNITURE.search(node.classes()):
            return
        if tag not in _BLOCK_TAGS and not self._holds_blocks(node):
            self.pending.append(self.inline(node))
            return
        self.flush()
        if tag in _HEADINGS:
            self._add_text_block("heading", self.inline(node), _HEADINGS[tag])
        elif tag == "p" and "title" in node.attrs.get("class", "").split():
            self._add_text_block("heading", self.inline(node), 1)
        elif tag == "p":
            self._add_text_block("paragraph", self.inline(node))
        elif tag in ("ul", "ol"):
            self._add_list(node)
        elif tag == "table":
            self._add_table(node)
        elif tag == "pre":
            content = _text_of(node).strip("\n")
            self.blocks.append(Block("code", f"```\n{content}\n```", text=content))
        elif tag in ("blockquote", "dl"):
            self._add_text_block("paragraph", self.cell_text(node))
        elif tag != "hr":
            self.read_children(node)
            self.flush()

    def flush(self) -> None:
        text = _tidy("".join(self.pending))
        self.pending = []
        if text:
            self._add_text_block("paragraph", text)

    def _add_text_block(self, kind: str, text: str, level: int = 0) -> None:
        text = _tidy(text)
        if not text:
            return
        if kind == "heading":
            title = " ".join(text.replace("**", "").split())
            self.blocks.append(Block("heading", f"{'#' * level} {title}", title, level))
        else:
            self.blocks.append(Block("paragraph", text, text=text))

    def _add_list(self, node: _Node) -> None:
        items = self._items(node)
        if items:
            ordered = node.tag == "ol"
            self.blocks.append(
                Block("list", list_markdown(items, ordered), items=items, ordered=ordered)
            )

    def _items(self, node: _Node) -> list[ListItem]:
        items: list[ListItem] = []
        for child in _elements(node):
            if child.tag in ("ul", "ol"):  # a list nested without its <li> (Google Docs)
                if items:
                    items[-1].children.extend(self._items(child))
                else:
                    items.extend(self._items(child))
                continue
            if child.tag != "li":
                continue
            nested = [n for n in _elements(child) if n.tag in ("ul", "ol")]
            own = _Node("li", child.attrs, [n for n in child.children if n not in nested])
            checked = None
            classes = child.attrs.get("class", "").split()
            if "checked" in classes or child.attrs.get("data-inline-task-id"):
                checked = "checked" in classes
            box = next((n for n in _descendants(own) if n.tag == "input"), None)
            if box is not None and box.attrs.get("type") == "checkbox":
                checked = "checked" in box.attrs
            item = ListItem(self.cell_text(own), checked=checked)
            for sublist in nested:
                item.children.extend(self._items(sublist))
            if item.text or item.children:
                items.append(item)
        return items

    def _add_table(self, node: _Node) -> None:
        rows: list[tuple[list[str], bool]] = []
        header_rows = 0
        for row in _descendants(node, stop={"table"}):
            if row.tag != "tr":
                continue
            cells = [cell for cell in _elements(row) if cell.tag in ("td", "th")]
            if not cells:
                continue
            all_th = all(cell.tag == "th" for cell in cells)
            rows.append(([self.cell_text(cell) for cell in cells], all_th))
        if not rows:
            return
        cells_in = [n for n in _descendants(node, stop={"table"}) if n.tag in ("td", "th")]
        if len(cells_in) == 1 or any(
            n.tag in _HEADINGS or n.tag == "table" for cell in cells_in for n in _descendants(cell)
        ):
            # A layout table (a panel, a page in columns): its cells are the document.
            for cell in cells_in:
                self.read_children(cell)
                self.flush()
            return
        thead = any(n.tag == "thead" for n in _elements(node))
        if thead or rows[0][1]:
            header_rows = 1
        header = rows[0][0] if header_rows else None
        body = [cells for cells, _ in rows[header_rows:]]
        self.blocks.append(Block("table", markdown_table(header, body), header=header, rows=body))

    def _holds_blocks(self, node: _Node) -> bool:
        return any(n.tag in _BLOCK_TAGS for n in _descendants(node))

    # -- inline ------------------------------------------------------------------------
    def cell_text(self, node: _Node) -> str:
        """The text of a cell or item: its paragraphs and line breaks as new lines."""
        parts: list[str] = []
        current: list[str] = []
        for child in node.children:
            if isinstance(child, str):
                current.append(_collapse(child))
            elif child.tag in _SKIPPED or _FURNITURE.search(child.classes()):
                continue
            elif child.tag in _BLOCK_TAGS:
                parts.append("".join(current))
                current = []
                if child.tag == "dt":
                    parts.append(f"**{_tidy(self.cell_text(child))}**:")
                elif child.tag in ("ul", "ol"):
                    parts.append(list_markdown(self._items(child), child.tag == "ol"))
                else:
                    parts.append(self.cell_text(child))
            else:
                current.append(self.inline(child))
        parts.append("".join(current))
        return "\n".join(_tidy(part) for part in parts if _tidy(part))

    def inline(self, node: _Node) -> str:
        tag = node.tag
        if tag in _SKIPPED:
            return ""
        if tag == "br":
            return "\n"
        if tag == "img":
            return self._image(node)
        inner = "".join(
            _collapse(child) if isinstance(child, str) else self.inline(child)
            for child in node.children
        )
        if tag in _BLOCK_TAGS:
            return f"\n{inner}\n"
        mark = self._mark(node)
        if mark and inner.strip():
            lead, core, trail = _split_space(inner)
            return f"{lead}{mark}{core}{mark}{trail}"
        if tag == "a":
            return self._link(node, inner)
        return inner

    def _mark(self, node: _Node) -> str:
        tag = node.tag
        if tag in ("strong", "b"):
            return "**"
        if tag in ("em", "i", "cite"):
            return "*"
        if tag in ("code", "tt", "kbd", "samp"):
            return "`"
        if tag in ("s", "del", "strike"):
            return "~~"
        style = node.attrs.get("style", "").replace(" ", "").lower()
        if re.search(r"font-weight:(bold|[6-9]00)", style):
            return "**"
        for name in node.attrs.get("class", "").split():
            if name in self.class_marks:
                return self.class_marks[name]
        return ""

    def _link(self, node: _Node, inner: str) -> str:
        href = node.attrs.get("href", "").strip()
        text = inner.strip()
        if not href or not _SAFE_URL.match(href) or "userlink" in node.classes():
            return inner
        if not text or text == href:
            return f"<{href}>" if href.startswith(("http:", "https:")) else text
        return f"[{text}]({href})"

    def _image(self, node: _Node) -> str:
        src = node.attrs.get("src", "").strip()
        alt = " ".join(node.attrs.get("alt", "").split()) or "image"
        if src.startswith("data:"):
            self.embedded_images += 1
            return f"[embedded image: {alt}]"
        if not src or not _SAFE_URL.match(src):
            return ""
        return f"![{alt}]({src})"


def _elements(node: _Node) -> list[_Node]:
    return [child for child in node.children if isinstance(child, _Node)]


def _descendants(node: _Node, stop: set[str] | None = None) -> list[_Node]:
    found: list[_Node] = []
    pending = list(reversed(_elements(node)))
    while pending:
        current = pending.pop()
        found.append(current)
        if stop and current.tag in stop:
            continue
        pending.extend(reversed(_elements(current)))
    return found


def _text_of(node: _Node) -> str:
    return "".join(
        child if isinstance(child, str) else ("\n" if child.tag == "br" else _text_of(child))
        for child in node.children
    )


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _split_space(text: str) -> tuple[str, str, str]:
    core = text.strip()
    start = text.index(core[0])
    return text[:start], core, text[start + len(core) :]


def _tidy(text: str) -> str:
    """Lines without stray spaces, at most one blank line between paragraphs."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    joined = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", joined)
