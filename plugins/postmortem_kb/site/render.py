"""Render generated pages with Jinja templates shipped in the package.

Templates live in `postmortem_kb/templates/`; a knowledge base overrides any of them by
putting a file of the same name in `overrides/pmkb/`. A page is Markdown that MkDocs
renders like any page (so search, TOC and links work as usual): headings and the text
authors wrote in Markdown fields. Its structured parts (key facts, timelines, follow-ups,
incident lists, cards) are HTML blocks from `*.html.j2` templates, in the Markdown as
placeholder paragraphs that the plugin fills in after Markdown (`fill_blocks`): Markdown
would only turn table rows we generate into the same HTML, at a cost that dominated the
build of a large library.

Values from YAML are escaped by the filters (`inline`, `text`; in HTML blocks Jinja's
autoescape and `inline`): nothing a postmortem author writes becomes raw HTML except
through Markdown the author wrote on purpose in a Markdown field. Escaping is not enough for
HTML (a `javascript:` URL escapes to itself), so each HTML block passes the sanitizer as it
is rendered (on any core: `build_cache.py`), with every value in it; the plugin sanitizes
the HTML MkDocs makes of the Markdown, then fills the blocks in.
"""

from __future__ import annotations

import difflib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
import markdown
from markupsafe import Markup

from ..core import urls
from ..core.formatting import (
    demote_headings,
    escape_html,
    format_duration,
    indent,
    markdown_inline,
    title_front_matter,
)
from ..core.problems import Problem
from ..core.sanitize import sanitize_html
from ..public.internal_markup import internal_parts, mark_internal
from . import incident_view

OVERRIDES_SUBDIR = "pmkb"
#: Evidence files shown as figures on the page rather than only linked.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
#: A block's placeholder: `pmkb`, the renderer's nonce, `b`, the block's number on its page.
_TOKEN = r"pmkb[0-9a-f]+b[0-9]+"
#: A placeholder paragraph as Markdown renders it.
_FILLED_BLOCK = re.compile(rf"<p>({_TOKEN})</p>")
#: A placeholder paragraph in the Markdown, maybe indented.
_PLACEHOLDER = re.compile(rf"^( *)({_TOKEN})\n", re.MULTILINE)
#: Characters with a meaning in inline Markdown; a value without any is plain text.
_INLINE_SYNTAX = re.compile(r"[\\`*_\[\]!<~]")
#: A value starting like a Markdown block (heading, list, rule) is escaped to stay inline.
_BLOCK_START = re.compile(r"^(#|[-+*](?=\s)|[0-9]+\.(?=\s))")


@dataclass
class RenderedPage:
    """A generated page: Markdown for MkDocs, and the HTML of the blocks its placeholders
    stand for (sanitized)."""

    markdown: str
    blocks: dict[str, str] = field(default_factory=dict)

    def resolved(self) -> str:
        """The Markdown with every block in place as raw HTML (`pmkb generate`, tests)."""

        def place(match: re.Match[str]) -> str:
            block = self.blocks.get(match.group(2))
            if block is None:
                return match.group(0)
            return "".join(match.group(1) + line for line in block.splitlines(keepends=True))

        return _PLACEHOLDER.sub(place, self.markdown)


def fill_blocks(html: str, blocks: Mapping[str, str]) -> str:
    """The page HTML with the placeholder paragraph of each block replaced by the block."""

    def fill(match: re.Match[str]) -> str:
        return blocks.get(match.group(1), match.group(0))

    return _FILLED_BLOCK.sub(fill, html)


class PageRenderer:
    """One Jinja environment per build and output format; `render()` one page."""

    def __init__(
        self, overrides_dir: Path | None = None, internal: bool = True, directory_urls: bool = True
    ) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if overrides_dir is not None and (overrides_dir / OVERRIDES_SUBDIR).is_dir():
            loaders.append(jinja2.FileSystemLoader(overrides_dir / OVERRIDES_SUBDIR))
        loaders.append(jinja2.PackageLoader("postmortem_kb", "templates"))
        loader = jinja2.ChoiceLoader(loaders)
        options: dict[str, Any] = dict(
            loader=loader, undefined=jinja2.StrictUndefined, trim_blocks=True,
            lstrip_blocks=True, keep_trailing_newline=True,
            auto_reload=False,  # one build: no stat() of a template file per page
        )  # fmt: skip
        self.directory_urls = directory_urls
        self._nonce = secrets.token_hex(6)
        # Text from YAML: internal builds mark internal-only parts visibly; public text was
        # already stripped of them by the projection, before it got here.
        keep: Callable[[str], str] = mark_internal if internal else (lambda text: text)
        self.env = jinja2.Environment(autoescape=False, **options)  # Markdown: filters escape
        self.env.filters.update(
            inline=lambda value: keep(markdown_inline(str(value))) if value is not None else "",
            text=lambda value: keep(value or ""),
            demote_headings=demote_headings,
        )
        self.html_env = jinja2.Environment(autoescape=True, **options)
        self.html_env.filters.update(
            inline=lambda value: _inline_html(keep, value),
        )
        self.html_env.globals.update(fragment=self._fragment)
        self._fragments: dict[tuple[object, ...], Markup] = {}
        for env in (self.env, self.html_env):
            env.filters.update(duration=format_duration, indent=indent)
            env.globals.update(
                urls=urls,
                title_front_matter=title_front_matter,
                page_front_matter=page_front_matter,
                glance=incident_view,
                has_internal=lambda *texts: any(internal_parts(text or "") for text in texts),
                is_image=lambda path: PurePosixPath(path).suffix.lower() in IMAGE_SUFFIXES,
            )

    def _fragment(self, name: str, **context: Any) -> Markup:
        """The HTML template `name` rendered with `context` alone, once per distinct
        context in this build: for a piece many pages show alike (a list's row: each
        incident is on a dozen lists). The context's values must be hashable; what the
        piece links to must be among them, made relative to the page by the caller."""
        key = (name, *sorted(context.items()))
        html = self._fragments.get(key)
        if html is None:
            html = self._fragments[key] = Markup(self.html_env.get_template(name).render(context))
        return html

    def render(self, template: str, page_uri: str, **context: Any) -> RenderedPage:
        """Render `template` for the page at `page_uri` (links are made relative to it).

        The template gets `link` (a Markdown link target MkDocs checks and rewrites) and
        `block(template, **context)`, which renders an HTML template and returns the
        placeholder paragraph to put where it belongs. (`block`'s `searchable` and
        `search_ends_here()` steered mkdocs-material's client search, which no page is in
        now: both are still accepted, and do nothing, for overrides written for them.)
        """
        page = RenderedPage("")

        def link(target_uri: str) -> str:
            return urls.relative_link(page_uri, target_uri)

        def url(target_uri: str) -> str:
            return urls.relative_url(page_uri, target_uri, self.directory_urls)

        def block(name: str, searchable: bool = False, **block_context: Any) -> str:
            html = sanitize_html(self.html_env.get_template(name).render(
                link=url, page_uri=page_uri, **block_context
            ))
            token = f"pmkb{self._nonce}b{len(page.blocks)}"
            page.blocks[token] = html.strip() + "\n"
            # Its own paragraph even where the template's line before does not end in a blank.
            return f"\n{token}"

        def search_ends_here() -> str:
            return ""

        page.markdown = self.env.get_template(template).render(
            link=link, block=block, search_ends_here=search_ends_here, page_uri=page_uri,
            **context,
        )
        return page


def page_front_matter(title: str, hide: tuple[str, ...] = ()) -> str:
    """`title_front_matter`, plus mkdocs-material's `hide` (`toc`: a list or a home page
    needs the width more than an outline of its few headings)."""
    front = title_front_matter(title)
    if not hide:
        return front
    lines = "".join(f"  - {part}\n" for part in hide)
    return front.removesuffix("---\n") + f"hide:\n{lines}---\n"


def shipped_templates() -> list[str]:
    """The names of the templates in the package, which `overrides/pmkb/` files replace."""
    folder = Path(__file__).resolve().parent.parent / "templates"
    return sorted(path.name for path in folder.iterdir() if path.is_file())


#: Templates an earlier version shipped, and what took their place (for the override check).
RETIRED_TEMPLATES = {
    "incident_facts.html.j2": "incident_header.html.j2 (the header band: severity, status, "
    "impact, services, commander, tags) and incident_more_facts.html.j2 (the other facts)",
}


def orphaned_overrides(overrides_dir: Path | None) -> list[Problem]:
    """A warning for each file in `overrides/pmkb/` that replaces no shipped template.

    A template renamed or retired in an upgrade would otherwise leave the user's override in
    place, silently unused. Each warning names the file and the templates it may have meant.
    """
    if overrides_dir is None or not (overrides_dir / OVERRIDES_SUBDIR).is_dir():
        return []
    folder = overrides_dir / OVERRIDES_SUBDIR
    shipped = shipped_templates()
    problems = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name in shipped:
            continue
        name = f"{overrides_dir.name}/{OVERRIDES_SUBDIR}/{path.name}" + (
            "" if path.is_file() else "/")
        if path.name in RETIRED_TEMPLATES:
            expected = f"its replacement is {RETIRED_TEMPLATES[path.name]}"
        else:
            close = difflib.get_close_matches(path.name, shipped, n=1, cutoff=0.9)
            expected = (
                f"did you mean {close[0]}?" if close else f"expected one of: {', '.join(shipped)}"
            )
        problems.append(Problem(
            name, None, "",
            f"overrides no template of postmortem-kb, so it is not used; {expected}",
            severity="warning", rule="config/override",
        ))  # fmt: skip
    return problems


def _inline_html(keep: Callable[[str], str], value: object) -> Markup:
    """A one-line value from YAML as HTML: escaped, internal parts marked, inline Markdown.

    Most values are plain sentences: they skip Markdown, which would only escape them.
    """
    if value is None:
        return Markup("")
    text = keep(escape_html(" ".join(str(value).split())))
    if _INLINE_SYNTAX.search(text):
        text = _convert_inline(text)
    return Markup(text)


#: No extensions: an attribute list (`{onclick=…}`) in a value stays text.
_inline_markdown = markdown.Markdown()


def _convert_inline(text: str) -> str:
    """Inline Markdown → HTML, with anything that would start a block escaped."""
    escaped = _BLOCK_START.sub(lambda m: f"{m.group()[:-1]}\\{m.group()[-1]}", text)
    html = _inline_markdown.reset().convert(escaped)
    return html.removeprefix("<p>").removesuffix("</p>")
