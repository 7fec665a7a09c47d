"""The one sanitizer for HTML made from author text: an allowlist, no off switch.

Postmortem authors write Markdown, and Markdown lets HTML through in more ways than a check
for `<` can see: attribute lists (`![x](a.png){onerror=…}`), `javascript:` link targets,
raw tags. Escaping each value is not enough either: a URL from YAML placed in a template's
`href` is escaped and still runs. So every piece of HTML that holds author text passes
`sanitize_html()` before it reaches a page, a feed or an export: HTML blocks of generated
pages, the HTML MkDocs makes of every page's Markdown, feed content, exported documents.

It is ammonia (through `nh3`), a maintained sanitizer that parses HTML the way browsers do
and rebuilds it from an allowlist, rather than patterns of our own that the next payload
slips past. What is allowed is what Markdown, the extensions the sites use and our templates
legitimately produce, and nothing that runs or restyles a page: no `on*` handler, no
`style`, no `<script>`/`<iframe>`/`<object>`/`<form action>`, URLs only relative or
http(s)/mailto.

It lives in `core` because every stage that makes HTML imports it: `site` (pages, feeds,
exports), `search`, and the MkDocs plugin. `core` may import the standard library, PyYAML
and, for this module only, `nh3`.
"""

from __future__ import annotations

import re
from typing import Any

import nh3

#: Elements kept (anything else is dropped, its text kept): Markdown, its extensions
#: (tables, def_list, admonition, details, superfences, toc, abbr, footnotes, caret/mark/
#: tilde/keys), our templates (cards, the filter form) and our charts (inline SVG).
ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code",
    "kbd", "samp", "var", "em", "strong", "i", "b", "u", "s", "del", "ins", "mark", "small",
    "sub", "sup", "abbr", "q", "cite", "dfn", "span", "div", "a", "img",
    "ul", "ol", "li", "dl", "dt", "dd",
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
    "figure", "figcaption", "details", "summary", "section", "article",
    # The facet filter (templates/filter.html.j2): a form without action or method.
    "form", "label", "select", "option", "button", "output",
    # Bar charts (site/charts.py).
    "svg", "title", "desc", "rect", "line", "text",
})  # fmt: skip

#: Elements dropped together with their content: code and styles, never shown as text.
DROPPED_WITH_CONTENT = frozenset({"script", "style"})

#: The `data-*` attributes our templates and scripts read: the client search's exclusion
#: mark, and the facet filter's (`filter.html.j2`, `assets/pmkb-filter.js`: the form's,
#: the options' and each item's `data-<facet key>` of `site/indexes.py` and the gallery).
#: Not a `data-` prefix: the theme's scripts act on `data-md-*` and `data-clipboard-*`.
DATA_ATTRIBUTES = frozenset({
    "data-search-exclude", "data-pmkb-filter-for", "data-pmkb-noun", "data-label",
    "data-tags", "data-services", "data-severity", "data-year",
})  # fmt: skip

#: Attributes kept, by element (`*`: on any). `href`/`src` also pass the scheme check.
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({
        "class", "id", "title", "lang", "dir", "hidden", "role",
        "aria-label", "aria-describedby", "aria-live", "aria-hidden", *DATA_ATTRIBUTES,
    }),
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height"}),
    "ol": frozenset({"start"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "details": frozenset({"open"}),
    "select": frozenset({"name"}),
    "option": frozenset({"value"}),
    "svg": frozenset({"viewBox", "width", "height", "font-size", "fill"}),
    "rect": frozenset({"x", "y", "width", "height", "fill"}),
    "line": frozenset({"x1", "x2", "y1", "y2", "stroke", "stroke-opacity"}),
    "text": frozenset({"x", "y", "text-anchor", "transform"}),
}  # fmt: skip

#: Attributes kept only with one of these values. Table cells align with `align`, never
#: `style` (the sites' `tables` extension is told so: `MARKDOWN_TABLES_CONFIG`).
_ALIGN = {"align": {"left", "center", "right"}}
ALLOWED_ATTRIBUTE_VALUES = {"td": _ALIGN, "th": _ALIGN, "button": {"type": {"button"}}}

#: Schemes of absolute URLs in `href` and `src`; relative URLs and `#fragments` always pass.
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})

#: Options of Markdown's `tables` extension that make its output survive the sanitizer:
#: column alignment as `align`, not as a `style` attribute.
MARKDOWN_TABLES_CONFIG: dict[str, object] = {"use_align_attribute": True}

#: The theme names its own elements `__…` (`#__config` holds its settings as JSON, read with
#: the first match in the page): an author's element of that name would replace them.
_THEME_ID_PREFIX = "__"


def _drop_theme_ids(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id" and value.startswith(_THEME_ID_PREFIX):
        return None
    return value


#: An `id` whose value may begin with `_`, written as is or as a character reference: the
#: only HTML `_drop_theme_ids` can change. A superset (`data-id=`, `id="_a"` match too).
_MAYBE_THEME_ID = re.compile(r"""id\s*=\s*["']?[_&]""", re.IGNORECASE)

_OPTIONS: dict[str, Any] = dict(
    tags=ALLOWED_TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
    url_schemes=ALLOWED_URL_SCHEMES,
    strip_comments=True,
    # Links get no `target`, so they cannot reach back to this page: no `rel` needed.
    link_rel=None,
)
_CLEANER = nh3.Cleaner(**_OPTIONS, attribute_filter=_drop_theme_ids)
#: The same allowlist without the filter, which nh3 calls back into Python for every
#: attribute it keeps: most of the sanitizer's time on a page of lists and tables.
_CLEANER_NO_IDS_TO_DROP = nh3.Cleaner(**_OPTIONS)


def sanitize_html(html: str) -> str:
    """`html` rebuilt from the allowlist: safe to put in a page, a feed or an export."""
    if _MAYBE_THEME_ID.search(html) is None:
        return _CLEANER_NO_IDS_TO_DROP.clean(html)
    return _CLEANER.clean(html)
