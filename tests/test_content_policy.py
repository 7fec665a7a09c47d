"""The Content-Security-Policy of every built page (`site/content_policy.py`): the site's own
script files and the theme's inline scripts by hash, nothing inline from author text.

What the policy does in a browser is in `test_xss_browser.py`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from postmortem_kb.mkdocs_plugin.plugin import PostmortemsPlugin
from postmortem_kb.site.content_policy import content_security_policy, with_content_security_policy

THEME_SCRIPT = "__md_scope=new URL('..',location)"
PAGE = f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>t</title>
    <script>{THEME_SCRIPT}</script>
    <script src="assets/bundle.js"></script>
  </head>
  <body>
    <article>CONTENT</article>
    <script id="__config" type="application/json">{{"base": "."}}</script>
  </body>
</html>
"""
META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')


def sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


def test_the_policy_allows_the_sites_scripts_and_the_themes_inline_ones_only() -> None:
    policy = directives(content_security_policy(PAGE))
    assert policy["script-src"] == ["'self'", sha256(THEME_SCRIPT)]  # not the JSON data block
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]  # nothing from another host
    assert all("'unsafe-inline'" not in values for name, values in policy.items()
               if name != "style-src")


def test_a_script_in_the_content_is_never_allowed() -> None:
    content = "<p>x</p><script>window.__pwned=1</script>"
    page = PAGE.replace("CONTENT", content)
    assert sha256("window.__pwned=1") in content_security_policy(page)
    assert sha256("window.__pwned=1") not in content_security_policy(page, content)
    assert sha256(THEME_SCRIPT) in content_security_policy(page, content)


def test_the_policy_is_the_first_thing_after_the_charset() -> None:
    page = with_content_security_policy(PAGE)
    head = page[page.index("<head>"):page.index("<title>")]
    assert re.fullmatch(r'<head>\s*<meta charset="utf-8">\n<meta http-equiv=[^>]*>\s*', head)
    assert META.sub("", page).replace("\n\n", "\n", 1) == PAGE  # and nothing else changed


def test_a_document_without_a_head_is_left_alone() -> None:
    assert with_content_security_policy("<p>fragment</p>") == "<p>fragment</p>"


def test_every_built_page_has_its_policy_with_its_own_inline_scripts(
    example_sites: dict[str, Path],
) -> None:
    for audience, site_dir in example_sites.items():
        pages = sorted(site_dir.rglob("*.html"))
        assert site_dir / "404.html" in pages
        for path in pages:
            html = path.read_text(encoding="utf-8")
            metas = META.findall(html)
            assert len(metas) == 1, f"{audience}: {path}"
            assert html.index("Content-Security-Policy") < html.index("<script"), path
            allowed = set(directives(metas[0])["script-src"])
            inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
            assert {sha256(script) for script in inline} <= allowed, path


@pytest.mark.parametrize(("command", "has_policy"), [("build", True), ("serve", False)])
def test_live_preview_pages_have_no_policy(command: str, has_policy: bool) -> None:
    """`serve` injects its live-reload script inline, anew on every request."""
    plugin = PostmortemsPlugin()
    plugin.on_startup(command=command, dirty=False)
    output = plugin.on_post_template(PAGE, template_name="404.html", config=None)
    assert ("Content-Security-Policy" in output) is has_policy
