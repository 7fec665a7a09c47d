"""Small, pure formatting helpers shared by the page renderers, feeds and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import re

_MD_TABLE_UNSAFE = str.maketrans({"|": "\\|", "\n": " ", "\r": " "})


def format_duration(span: dt.timedelta | None) -> str:
    """`2 h 05 min`, `3 d 4 h`, `45 s`: precise enough for a key-facts table."""
    if span is None:
        return ""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


def escape_html(text: str) -> str:
    """Escape the characters that would let YAML text become HTML in Markdown output."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_inline(text: str) -> str:
    """One-line, HTML-escaped, table-safe Markdown for a value from YAML."""
    return escape_html(text).translate(_MD_TABLE_UNSAFE).strip()


def title_front_matter(title: str, search_boost: float | None = None) -> str:
    """Front matter fixing a generated page's title, safe for the theme's templates.

    MkDocs takes a page title from its first heading *unescaped*, and mkdocs-material prints
    it unescaped (`striptags` even decodes `&lt;`), so a title from YAML could inject markup.
    A title set in front matter wins; `<` and `>` become look-alike angle quotes.
    `search_boost` ranks the page higher in mkdocs-material's search (incident pages over
    the lists that mention them).
    """
    safe = " ".join(title.replace("<", "\u2039").replace(">", "\u203a").split())
    boost = f"search:\n  boost: {search_boost}\n" if search_boost else ""
    return f"---\ntitle: {json.dumps(safe, ensure_ascii=False)}\n{boost}---\n"


def slugify(text: str) -> str:
    """A URL segment for a tag, service or severity: lowercase letters, digits, hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "unnamed"


def indent(text: str, width: int = 4) -> str:
    """Indent every non-empty line: content inside an admonition."""
    pad = " " * width
    return "\n".join(pad + line if line.strip() else "" for line in text.split("\n"))


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def demote_headings(text: str, levels: int = 2) -> str:
    """Push ATX headings down `levels` so a narrative nests under the page's own `##`.

    Lines inside fenced code blocks are left alone (a `# comment` in a shell snippet is
    not a heading).
    """
    out = []
    fence: str | None = None
    for line in text.split("\n"):
        opener = _FENCE.match(line)
        if fence is not None:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
        elif opener:
            fence = opener.group(1)
        elif line.startswith("#"):
            hashes = len(line) - len(line.lstrip("#"))
            if hashes <= 6 and line[hashes : hashes + 1] in (" ", ""):
                line = "#" * min(6, hashes + levels) + line[hashes:]
        out.append(line)
    return "\n".join(out)
