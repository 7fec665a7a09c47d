"""What makes HTML unsafe to serve, and the XSS payloads that try: shared by the sanitizer's
unit tests, the build tests and the browser tests.

The payloads (`fixtures/xss_payloads.txt`, one per line) set `window.__pwned` (or open a
dialog) when they run, so a browser test can tell; `unsafe_markup` finds what would let them
run without a browser. It reads HTML with the standard library's parser, which decodes
character references in attribute values as a browser does, and judges a URL the way the URL
standard does: tabs and newlines anywhere are dropped, leading controls and spaces trimmed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

PAYLOADS_FILE = Path(__file__).parent / "fixtures" / "xss_payloads.txt"
#: Set by every payload that runs.
MARKER = "__pwned"
#: Attributes whose value a browser loads or navigates to.
URL_ATTRIBUTES = frozenset({
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
    "codebase", "cite", "srcset",
})  # fmt: skip
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
#: Elements that load or run something whatever their attributes, and `noscript`, whose
#: content a browser with scripts on reads as text (`</noscript>` in an attribute ends it).
ACTIVE_ELEMENTS = frozenset({
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "noscript",
})  # fmt: skip
#: Elements a whole page has from the theme (scripts, stylesheets, meta data); never from
#: author text, so never in a fragment.
THEME_ELEMENTS = frozenset({"script", "style", "link", "meta"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
#: What the URL standard trims from both ends of a URL: C0 controls and space.
_C0_AND_SPACE = "".join(map(chr, range(0x21)))


def load_payloads() -> list[str]:
    return PAYLOADS_FILE.read_text(encoding="utf-8").splitlines()


def url_scheme(value: str) -> str | None:
    """The scheme a browser reads in a URL attribute's (decoded) value; None if relative."""
    cleaned = re.sub(r"[\t\n\r]", "", value).strip(_C0_AND_SPACE)
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


class _UnsafeFinder(HTMLParser):
    def __init__(self, *, whole_page: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.whole_page = whole_page
        self.found: list[str] = []
        self._theme_element: str | None = None
        self._theme_ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            self._check_attribute(tag, name, value or "")
        if tag in ACTIVE_ELEMENTS:
            self.found.append(f"<{tag}> element")
        elif tag in THEME_ELEMENTS:
            if not self.whole_page:
                self.found.append(f"<{tag}> element")
            elif tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh":
                self.found.append("<meta http-equiv=refresh>")
            self._theme_element = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._theme_element = None

    def handle_endtag(self, tag: str) -> None:
        if tag == self._theme_element:
            self._theme_element = None

    def handle_data(self, data: str) -> None:
        if self._theme_element in ("script", "style") and MARKER in data:
            self.found.append(f"a payload inside <{self._theme_element}>: {data.strip()[:80]}")

    def _check_attribute(self, tag: str, name: str, value: str) -> None:
        if name.startswith("on"):
            self.found.append(f"<{tag} {name}=…> handler")
        elif name in ("style", "srcdoc"):
            self.found.append(f"<{tag} {name}=…>")
        elif name == "id" and value.startswith("__"):
            # The theme's own elements are named so, once each: an author's is a second one.
            if not self.whole_page or value in self._theme_ids:
                self.found.append(f'<{tag} id="{value}"> (the theme\'s names)')
            self._theme_ids.add(value)
        elif name in URL_ATTRIBUTES:
            scheme = url_scheme(value)
            if scheme is not None and scheme not in SAFE_SCHEMES:
                self.found.append(f'<{tag} {name}="{value[:60]}">')


def unsafe_markup(html: str, *, whole_page: bool = False) -> list[str]:
    """Every handler, `style`, `srcdoc`, theme-named `id`, active element and unsafe URL.

    A fragment (from author text) may hold no script, style, link or meta element and no
    `__` id at all; a `whole_page` has the theme's, which must hold no payload, each id once.
    """
    finder = _UnsafeFinder(whole_page=whole_page)
    finder.feed(html)
    finder.close()
    return finder.found
