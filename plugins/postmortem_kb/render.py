"""Render generated pages to Markdown with Jinja templates shipped in the package.

Templates live in `postmortem_kb/templates/`; a knowledge base overrides any of them by
putting a file of the same name in `overrides/pmkb/`. The output is Markdown that MkDocs
renders like any page (so search, TOC and links work as usual). Values from YAML are
escaped by the filters (`inline`, `text`): nothing a postmortem author writes becomes raw
HTML except through Markdown the author wrote on purpose in a Markdown field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2

from . import site_urls
from .formatting import (
    demote_headings,
    format_duration,
    indent,
    markdown_inline,
    title_front_matter,
)
from .internal_text import internal_parts, mark_internal

OVERRIDES_SUBDIR = "pmkb"
#: Evidence files shown as figures on the page rather than only linked.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")


class PageRenderer:
    """One Jinja environment per build; `render()` a template for one page."""

    def __init__(self, overrides_dir: Path | None = None, internal: bool = True) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if overrides_dir is not None and (overrides_dir / OVERRIDES_SUBDIR).is_dir():
            loaders.append(jinja2.FileSystemLoader(overrides_dir / OVERRIDES_SUBDIR))
        loaders.append(jinja2.PackageLoader("postmortem_kb", "templates"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=False,  # the output is Markdown; the filters below escape values
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        # Text from YAML: internal builds mark internal-only parts visibly; public text was
        # already stripped of them by the projection, before it got here.
        keep: Callable[[str], str] = mark_internal if internal else (lambda text: text)
        self.env.filters.update(
            inline=lambda value: keep(markdown_inline(str(value))) if value is not None else "",
            text=lambda value: keep(value or ""),
            duration=format_duration,
            indent=indent,
            timestamp=_format_timestamp,
            demote_headings=demote_headings,
        )
        self.env.globals.update(
            urls=site_urls,
            title_front_matter=title_front_matter,
            has_internal=lambda *texts: any(internal_parts(text or "") for text in texts),
            is_image=lambda path: PurePosixPath(path).suffix.lower() in IMAGE_SUFFIXES,
        )

    def render(self, template: str, page_uri: str, **context: Any) -> str:
        """Render `template` for the page at `page_uri` (links are made relative to it)."""

        def link(target_uri: str) -> str:
            return site_urls.relative_link(page_uri, target_uri)

        return self.env.get_template(template).render(link=link, page_uri=page_uri, **context)


def _format_timestamp(value: dt.datetime, date_only: bool = False) -> str:
    if date_only:
        return value.strftime("%Y-%m-%d")
    offset = value.strftime("%z")
    zone = "UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{value:%Y-%m-%d %H:%M} {zone}"
