"""Read author Markdown with the parser that renders it: internal markup, raw HTML, look-alikes.

The public projection cuts internal blocks and spans out of the *source* text
(`internal_markup.strip_internal`), before any page exists. A line reader and a Markdown
renderer can disagree about the same text: `::: internal` inside a blockquote, a block between
two indented fence lines, an invisible character before `:::`. Such a disagreement is a leak,
so the cut is not trusted on its own: this module reads text with Python-Markdown itself, with
the site's extensions plus `InternalMarkupExtension`, which recognises internal blocks and spans
in Python-Markdown's own block and inline structure (blockquotes, list items, after code is set
aside by the same preprocessors that render it).

`MarkdownReader.read` reports, for one text, as the renderer sees it:

* `internal_parts`: the text of every internal block and span (the leak scan's private strings);
* `raw_html`: raw HTML the renderer would pass through (tags, comments, declarations), told
  apart from code blocks and character references by which processor stashed it;
* `unsafe`: what no public text may carry even as Markdown: attribute lists that add a handler
  or a style, link and image targets with a scheme other than http, https or mailto, and text
  that this renderer escaped but another would take for a tag (a Markdown export is read by
  other renderers too);
* `look_alikes`: text outside code that looks like internal markup but is not parsed as such,
  read as the leak scan reads it (`deny.visible_nfkc`: no zero-width or bidi marks, NFKC).

Applied to the *cut* public text, any internal part or look-alike means the cut and the renderer
disagree, and the projection refuses the text with an error naming file and field. The rendered
HTML is thrown away: pages are rendered later, from the cut text, by MkDocs.
"""

from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as etree
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import markdown
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from .visible_text import visible_nfkc

#: The extensions a text is read with when the site's own are not known (mkdocs.yml's).
DEFAULT_EXTENSIONS = (
    "tables", "admonition", "attr_list", "md_in_html", "def_list", "pymdownx.details",
    "pymdownx.superfences",
)  # fmt: skip

#: The class the reader gives the elements it made of internal blocks and spans.
_INTERNAL_CLASS = "pmkb-internal-read"
_OPENING = re.compile(
    r"^ {0,3}:{3,}[ \t]*(?:internal(?!\w)|\{[^}\n]*?(?<=[{\s])\.internal(?!\w)[^}\n]*\})",
    re.IGNORECASE,
)
_CLOSING = re.compile(r"^ {0,3}:{3,}[ \t]*$")
_ANY_OPENING = re.compile(r"^ {0,3}:{3,}[ \t]*[^\s:]")
#: The attribute list that makes `[text]` an internal span: `{.internal}`, `{: .internal .x}`.
SPAN_ATTRIBUTES = re.compile(r"\{:?[^{}\n]*?(?<=[{\s:])\.internal(?!\w)[^{}\n]*\}", re.IGNORECASE)
_LOOK_ALIKE = re.compile(r":{3,}|\{[^{}]*\.internal(?!\w)", re.IGNORECASE)
_CODE_TAGS = frozenset({"code", "pre", "kbd", "samp"})
#: The start of a tag, comment or declaration. No closing `>` is needed: public texts are
#: joined into one document (an export, a feed), where a `>` further on can close it.
_HTML_LIKE = re.compile(r"<[A-Za-z/!?][^\s<>]{0,30}")
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "poster", "cite", "data", "xlink:href"})
#: None: a relative link or a fragment.
_SAFE_SCHEMES = frozenset({None, "http", "https", "mailto"})


@dataclass(frozen=True)
class MarkdownReading:
    """What the renderer makes of one text (see the module docstring)."""

    internal_parts: tuple[str, ...] = ()
    raw_html: tuple[str, ...] = ()
    look_alikes: tuple[str, ...] = ()
    unsafe: tuple[str, ...] = ()


@dataclass
class _Findings:
    internal_parts: list[str] = field(default_factory=list)
    raw_html: list[str] = field(default_factory=list)
    look_alikes: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)

    def reading(self) -> MarkdownReading:
        return MarkdownReading(
            tuple(dict.fromkeys(part for part in self.internal_parts if part.strip())),
            tuple(self.raw_html),
            tuple(self.look_alikes),
            tuple(dict.fromkeys(self.unsafe)),
        )


class MarkdownReader:
    """A Python-Markdown instance with the site's extensions, reused for every text."""

    def __init__(
        self,
        extensions: Sequence[str] = DEFAULT_EXTENSIONS,
        configs: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._findings = _Findings()
        self._markdown = markdown.Markdown(
            extensions=[*extensions, InternalMarkupExtension(self._findings)],
            extension_configs={name: dict(config) for name, config in (configs or {}).items()},
        )

    def read(self, text: str) -> MarkdownReading:
        self._markdown.reset()
        self._findings.__init__()  # type: ignore[misc]
        self._markdown.convert(text)
        return self._findings.reading()


@functools.lru_cache(maxsize=8)
def markdown_reader(extensions: tuple[str, ...] = DEFAULT_EXTENSIONS) -> MarkdownReader:
    """One reader per extension list, per process: building a Markdown instance is not free."""
    return MarkdownReader(extensions)


def read_markdown(text: str, extensions: tuple[str, ...] = DEFAULT_EXTENSIONS) -> MarkdownReading:
    return markdown_reader(extensions).read(text)


class InternalMarkupExtension(Extension):
    """Recognises `::: internal` blocks and `[text]{.internal}` spans; records what it reads."""

    def __init__(self, findings: _Findings) -> None:
        super().__init__()
        self.findings = findings

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After `indent` (90), which hands list-item content back to the parser dedented, and
        # before indented code (80): an opening fence indented by four spaces is code.
        md.parser.blockprocessors.register(
            _InternalBlockProcessor(md.parser, self.findings), "pmkb_internal_block", 85
        )
        # After code spans (190) and escapes (180) are set aside, before links (160) would
        # take `[text]` as link text.
        md.inlinePatterns.register(
            _InternalSpanProcessor(r"\[", md, self.findings), "pmkb_internal_span", 175
        )
        # Raw HTML blocks are stashed by the `html_block` preprocessor (also md_in_html's);
        # fenced code, stashed by its own preprocessor that runs first, is not raw HTML.
        html_block = md.preprocessors["html_block"]
        md.preprocessors.register(
            _RecordingPreprocessor(md, html_block, self.findings), "html_block", 20
        )
        html_inline = md.inlinePatterns["html"]
        md.inlinePatterns.register(
            _RecordingInlineHtml(html_inline, md, self.findings), "html", 90
        )
        # After inline processing (20), when every text node holds its final text, and after
        # attribute lists (8) have put their attributes on the elements.
        md.treeprocessors.register(_TextChecker(md, self.findings), "pmkb_text_checker", 5)


class _InternalBlockProcessor(BlockProcessor):
    def __init__(self, parser: Any, findings: _Findings) -> None:
        super().__init__(parser)
        self.findings = findings

    def test(self, parent: etree.Element, block: str) -> bool:
        return any(_OPENING.match(line) for line in block.split("\n"))

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        lines = blocks.pop(0).split("\n")
        start = next(index for index, line in enumerate(lines) if _OPENING.match(line))
        if start:
            self.parser.parseBlocks(parent, ["\n".join(lines[:start])])
        content: list[str] = []
        rest = lines[start + 1 :]
        depth = 1
        while True:
            for index, line in enumerate(rest):
                if _CLOSING.match(line):
                    depth -= 1
                    if depth == 0:
                        self._emit(parent, content + rest[:index])
                        after = "\n".join(rest[index + 1 :])
                        if after.strip():
                            blocks.insert(0, after)
                        return
                elif _ANY_OPENING.match(line):
                    depth += 1
            content.extend(rest)
            if not blocks:
                self._emit(parent, content)  # never closed: internal to the end
                return
            content.append("")
            rest = blocks.pop(0).split("\n")

    def _emit(self, parent: etree.Element, content: list[str]) -> None:
        text = "\n".join(content)
        self.findings.internal_parts.append(text)
        block = etree.SubElement(parent, "div", {"class": _INTERNAL_CLASS})
        self.parser.parseChunk(block, text)


class _InternalSpanProcessor(InlineProcessor):
    def __init__(self, pattern: str, md: markdown.Markdown, findings: _Findings) -> None:
        super().__init__(pattern, md)
        self.findings = findings

    # The stubs type InlineProcessor as a Pattern and ignore the override the same way.
    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | None, int | None, int | None]:
        closing = _matching_bracket(data, m.end())
        if closing is None:
            return None, None, None
        attributes = SPAN_ATTRIBUTES.match(data, closing + 1)
        if attributes is None:
            return None, None, None
        span = etree.Element("span", {"class": _INTERNAL_CLASS})
        span.text = data[m.end() : closing]
        return span, m.start(), attributes.end()


def _matching_bracket(data: str, start: int) -> int | None:
    """The offset of the `]` closing a `[` just before `start`, nesting and escapes counted."""
    depth = 1
    index = start
    while index < len(data):
        char = data[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


class _RecordingPreprocessor(Preprocessor):
    """Runs the raw-HTML block preprocessor and records what it stashed."""

    def __init__(self, md: markdown.Markdown, wrapped: Preprocessor, findings: _Findings) -> None:
        super().__init__(md)
        self.wrapped = wrapped
        self.findings = findings

    def run(self, lines: list[str]) -> list[str]:
        before = len(self.md.htmlStash.rawHtmlBlocks)
        result = self.wrapped.run(lines)
        stashed = self.md.htmlStash.rawHtmlBlocks[before:]
        self.findings.raw_html.extend(_describe(block) for block in stashed)
        return result


class _RecordingInlineHtml(InlineProcessor):
    """Python-Markdown's inline raw-HTML processor, recording every tag it passes through."""

    def __init__(self, wrapped: Any, md: markdown.Markdown, findings: _Findings) -> None:
        super().__init__(wrapped.pattern, md)
        self.wrapped = wrapped
        self.findings = findings

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[Any, int | None, int | None]:
        result = self.wrapped.handleMatch(m, data)
        if result[0] is not None:
            self.findings.raw_html.append(_describe(m.group(0)))
        return result


def _describe(html: object) -> str:
    """A short one-line excerpt of a raw HTML snippet, for an error message."""
    text = " ".join(str(html).split())
    return text if len(text) <= 60 else text[:57] + "..."


class _TextChecker(Treeprocessor):
    """Walks the rendered tree: internal spans, look-alikes, unsafe links and attributes."""

    def __init__(self, md: markdown.Markdown, findings: _Findings) -> None:
        super().__init__(md)
        self.findings = findings

    def run(self, root: etree.Element) -> None:
        self._visit(root, inside_internal=False)

    def _visit(self, element: etree.Element, *, inside_internal: bool) -> None:
        internal = inside_internal or _INTERNAL_CLASS in (element.get("class") or "").split()
        if internal and not inside_internal and element.tag == "span":
            # A span's text as rendered (code and escapes restored); a block's source text
            # was recorded when it was parsed.
            self.findings.internal_parts.append("".join(element.itertext()))
        if not internal:
            self.findings.unsafe.extend(_unsafe_attributes(element))
        if element.tag not in _CODE_TAGS:
            if not internal:
                self._check(element.text)
            for child in element:
                self._visit(child, inside_internal=internal)
        if not inside_internal:
            self._check(element.tail)

    def _check(self, text: str | None) -> None:
        if not text:
            return
        visible = visible_nfkc(text)
        for match in _LOOK_ALIKE.finditer(visible):
            self.findings.look_alikes.append(match.group())
        # Text this renderer escaped, but that another Markdown renderer (a reader of an
        # exported document, a feed reader) would take for a tag.
        for match in _HTML_LIKE.finditer(visible):
            self.findings.unsafe.append(f"text that starts a tag (`{match.group()}`)")


def _unsafe_attributes(element: etree.Element) -> Iterator[str]:
    """Handlers and styles an attribute list put on an element, and link targets whose scheme
    is not http, https or mailto (relative and `#` links have none)."""
    for name, value in element.attrib.items():
        lowered = name.lower()
        if lowered.startswith("on") or lowered in {"style", "srcdoc", "formaction"}:
            yield f"attribute `{name}`"
        elif lowered in _URL_ATTRIBUTES and _scheme(value) not in _SAFE_SCHEMES:
            yield f"link to `{_describe(value)}`"


def _scheme(url: str) -> str | None:
    """The scheme a browser would read: entities decoded, controls and spaces dropped."""
    cleaned = "".join(char for char in html.unescape(url) if char > " " and char != "\x7f")
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", cleaned)
    return match.group(1).lower() if match else None
