"""A Content-Security-Policy for every built page: scripts from the site itself, nothing else.

The sanitizer keeps handlers and `javascript:` URLs out of author text; the policy is the
second wall, for whatever a future template, theme override or sanitizer gap lets through:
the browser runs only the site's own script files and the theme's inline scripts, by the
SHA-256 of their exact text, and no inline handler (`onerror=`) or `javascript:` URL at all
(no `'unsafe-inline'`). Everything else may come from the site only, so the policy also
keeps the promise that a page requests nothing from another host.

The theme's inline scripts differ from page to page (they hold the page's base URL), so the
hashes are computed from each page's final HTML (the plugin's `on_post_page`), less the
page's content: a `<script>` that came with author text is never on the list, even if it got
past the sanitizer. The policy goes in as a `<meta>` right at the start of `<head>`: a static
site has no headers of its own, and a policy applies only to what the browser parses after
it.

Styles alone may be inline (`'unsafe-inline'` in `style-src` only): the theme writes a
`<style>` when a font is configured, and `style` attributes in some of its templates. A style
runs no code, and author text has none: the sanitizer drops every `style`.
"""

from __future__ import annotations

import base64
import hashlib
import re

#: Every directive but `script-src`, which lists the page's own hashes.
_POLICY = (
    "default-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    # The theme's icons are `data:` SVG images in its stylesheet.
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
)
#: An inline script: a `<script>` without `src`, its text. JSON data blocks are not scripts.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)([^>]*)>(.*?)</script>", re.DOTALL)
_DATA_BLOCK = re.compile(r"\stype=[\"']?application/(?:ld\+)?json", re.IGNORECASE)
#: Where the policy goes: after `<meta charset>` when the page starts with one, else `<head>`.
_HEAD_START = re.compile(r"<head[^>]*>(\s*<meta charset=[^>]*>)?", re.IGNORECASE)


def content_security_policy(html: str, content: str = "") -> str:
    """The policy for a page: the inline scripts of the page outside its `content` (the HTML
    made from author text) by hash, every other script from files of the site."""
    theme_html = html.replace(content, "") if content else html
    hashes = dict.fromkeys(
        _script_hash(match.group(2))
        for match in _INLINE_SCRIPT.finditer(theme_html)
        if not _DATA_BLOCK.search(match.group(1))
    )
    script_src = " ".join(["script-src 'self'", *hashes])
    return "; ".join([script_src, *_POLICY])


def with_content_security_policy(html: str, content: str = "") -> str:
    """The page with its policy as the first element of `<head>` (unchanged without one)."""
    head = _HEAD_START.search(html)
    if head is None:
        return html
    policy = content_security_policy(html, content)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    return f"{html[: head.end()]}\n{meta}{html[head.end():]}"


def _script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
