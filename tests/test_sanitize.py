"""The one sanitizer for HTML made from author text (`core/sanitize.py`).

Every payload of the shared corpus (`fixtures/xss_payloads.txt`) must come out without a
handler, a `style`, an active element or an unsafe URL, both as raw HTML and after the
Markdown the sites use (attribute lists included); and what Markdown, our templates and our
charts legitimately produce must come through unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from html_safety import load_payloads, unsafe_markup
from postmortem_kb.core import sanitize
from postmortem_kb.core.sanitize import (
    ALLOWED_ATTRIBUTE_VALUES,
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    DATA_ATTRIBUTES,
    MARKDOWN_TABLES_CONFIG,
    sanitize_html,
)
from postmortem_kb.site.charts import Series, stacked_bar_chart

PAYLOADS = load_payloads()
TEMPLATES = Path(__file__).resolve().parent.parent / "plugins" / "postmortem_kb" / "templates"
#: The Markdown extensions of the example site (mkdocs.yml).
SITE_EXTENSIONS = [
    "tables", "admonition", "attr_list", "md_in_html", "def_list", "pymdownx.details",
    "pymdownx.superfences", "toc",
]  # fmt: skip


def site_markdown(text: str) -> str:
    return markdown.markdown(
        text,
        extensions=SITE_EXTENSIONS,
        extension_configs={"tables": MARKDOWN_TABLES_CONFIG, "toc": {"permalink": True}},
    )


def test_the_corpus_is_large_and_every_payload_is_dangerous_unsanitized() -> None:
    assert len(PAYLOADS) >= 40
    assert len(set(PAYLOADS)) == len(PAYLOADS)
    # Followed by more of the page, as in a page: an unclosed tag takes in what follows.
    harmless = [
        payload
        for payload in PAYLOADS
        for text in [f"{payload}\n<p>after</p>"]
        if not unsafe_markup(text) and not unsafe_markup(site_markdown(text))
    ]
    assert harmless == [], "payloads the checker does not see as dangerous, even unsanitized"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_as_html(payload: str) -> None:
    for html in (payload, f"<p>{payload}</p>\n<p>after</p>"):
        assert unsafe_markup(sanitize_html(html)) == [], html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_markdown(payload: str) -> None:
    for text in (payload, f"# {payload}", f"- {payload}", f"| a |\n|---|\n| {payload} |",
                 f'!!! note "n"\n    {payload}', f"<div markdown>\n{payload}\n</div>"):
        assert unsafe_markup(sanitize_html(site_markdown(text))) == [], text


@pytest.mark.parametrize(
    "html",
    [
        '<h2 id="summary">Summary<a class="headerlink" href="#summary" title="Permanent link">'
        "¶</a></h2>",
        '<div class="admonition tip">\n<p class="admonition-title">Key learning</p>\n'
        "<p>Dry-run <code>zone push</code> first, <em>always</em>.</p>\n</div>",
        '<details class="internal" open=""><summary>Public text</summary><p>x</p></details>',
        '<table>\n<thead>\n<tr>\n<th align="left">Month</th>\n<th align="right">SEV-1</th>\n'
        "</tr>\n</thead>\n<tbody>\n<tr>\n<td>2024-05</td>\n"
        '<td align="right">2</td>\n</tr>\n</tbody>\n</table>',
        '<p><img alt="Fig. 1: errors" src="evidence/graph.png"></p>',
        '<p><a href="../../tags/dns/">dns</a>, <a href="https://status.example/">status</a>, '
        '<a href="mailto:sre@example.com">mail</a>, <a href="#timeline">below</a></p>',
        '<pre><code class="language-sh"># not a heading\n</code></pre>',
        "<dl>\n<dt>MTTR</dt>\n<dd>time to recover</dd>\n</dl>",
        '<section data-search-exclude="">\n<h3 id="what-happened">What happened</h3>\n</section>',
        '<p>Restarted <span class="pmkb-internal">by the night shift</span>; a &lt; b &amp; c</p>',
        '<form class="pmkb-filters" data-pmkb-filter-for="pmkb-incidents" '
        'data-pmkb-noun="incidents" role="search" aria-label="Filter incidents" '
        'data-search-exclude="true" hidden=""><label class="pmkb-filter">'
        '<select name="tags"><option value="">All</option>'
        '<option value="dns" data-label="dns">dns (1)</option></select></label>'
        '<button type="button" class="md-button pmkb-filter-reset">Reset</button>'
        '<output class="pmkb-filter-count" aria-live="polite"></output></form>',
        '<article class="pmkb-item pmkb-card" data-tags="dns" data-services="edge" '
        'data-severity="sev-2" data-year="2024"><p class="pmkb-card-title">x</p></article>',
    ],
)
def test_what_markdown_and_our_templates_make_comes_through_unchanged(html: str) -> None:
    assert sanitize_html(html) == html


def test_charts_come_through_unchanged_but_for_self_closing_tags() -> None:
    chart = stacked_bar_chart(
        chart_id="monthly", title="Incidents <by> month", description="Counts",
        categories=["2024-01", "2024-02"],
        series=[Series("SEV-1", (1, 2)), Series("SEV-2", (0, 3))],
    )  # fmt: skip
    expected = re.sub(r"<(rect|line)([^>]*)/>", r"<\1\2></\1>", chart)
    assert sanitize_html(chart) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # The theme reads its settings from the first `#__config` in the page.
        ('<p id="__config">{}</p><h2 id="a">a</h2>', '<p>{}</p><h2 id="a">a</h2>'),
        # However it is written: upper case, spaced, unquoted, as character references.
        ("<p ID = '__config'>{}</p>", "<p>{}</p>"),
        ("<p id=__config>{}</p>", "<p>{}</p>"),
        ('<p id="&#95;&#x5f;config">{}</p>', "<p>{}</p>"),
        ('<p id="&lowbar;_config">{}</p><p id="_one">1</p>', '<p>{}</p><p id="_one">1</p>'),
        # Among other attributes, on any element, after many that are kept.
        ('<ul><li id="a">a</li><li class="c" id=\'__search\' title="t">b</li></ul>',
         '<ul><li id="a">a</li><li class="c" title="t">b</li></ul>'),
        # The theme's scripts act on data-md-* and data-clipboard-*: only ours are kept.
        ('<p data-md-component="search" data-clipboard-text="x" data-year="2024">y</p>',
         '<p data-year="2024">y</p>'),
        # A button only ever is a plain button; a form never has a target.
        ('<form action="https://evil.example/" method="post"><button type="submit">go</button>'
         "</form>", "<form><button>go</button></form>"),
        ('<td align="justify" style="color: red">x</td>', "x"),
        ('<table><tr><td align="center" style="color: red">x</td></tr></table>',
         '<table><tbody><tr><td align="center">x</td></tr></tbody></table>'),
        ('<a href="https://example.com/" target="_blank" rel="opener">x</a>',
         '<a href="https://example.com/">x</a>'),
        ("<p>a<!-- hidden --><script>x()</script><style>p{}</style>b</p>", "<p>ab</p>"),
        ('<iframe src="https://example.com/"></iframe><p>after</p>', "<p>after</p>"),
    ],
)  # fmt: skip
def test_what_the_allowlist_drops(html: str, expected: str) -> None:
    assert sanitize_html(html) == expected


def test_every_data_attribute_our_templates_write_is_kept() -> None:
    written = {
        name
        for template in TEMPLATES.glob("*.j2")
        for name in re.findall(r"\b(data-[a-z-]+)(?==|\s|>)", template.read_text("utf-8"))
    }
    assert written, "no data attributes found: has the template syntax changed?"
    assert written <= DATA_ATTRIBUTES, written - DATA_ATTRIBUTES


def test_every_element_and_attribute_of_our_html_blocks_is_kept() -> None:
    """A template of an HTML block writing what the sanitizer drops would lose it silently."""
    dropped = set()
    for template in TEMPLATES.glob("*.html.j2"):
        if template.name == "export.html.j2":  # the document around an export, not a block
            continue
        markup = re.sub(r"\{[{%#].*?[}%#]\}", "", template.read_text("utf-8"), flags=re.DOTALL)
        for tag, attributes in re.findall(r"<([a-z][a-z0-9]*)([^>]*)>", markup):
            if tag not in ALLOWED_TAGS:
                dropped.add(f"{template.name}: <{tag}>")
            allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, frozenset())
            allowed |= ALLOWED_ATTRIBUTE_VALUES.get(tag, {}).keys()
            dropped |= {f"{template.name}: <{tag} {name}>"
                        for name in re.findall(r"([a-z-]+)=", attributes) if name not in allowed}
    assert dropped == set()


#: An attribute as authors may write one: any name's case, spaces, quotes, and a value
#: whose start spells `_` in any of its ways.
_ATTRIBUTE = st.builds(
    lambda name, equals, quote, start, rest: f" {name}{equals}{quote}{start}{rest}{quote}",
    st.sampled_from(["id", "ID", "Id", "class", "title", "data-id", "data-year"]),
    st.sampled_from(["=", " = ", "=\n"]),
    st.sampled_from(['"', "'", ""]),
    st.lists(st.sampled_from(["_", "&#95;", "&#x5F;", "&lowbar;", "a", "-"]), max_size=3)
    .map("".join),
    st.sampled_from(["config", "search", "x", ""]),
)
_ELEMENT = st.builds(
    lambda tag, attributes, text: f"<{tag}{attributes}>{text}</{tag}>",
    st.sampled_from(["p", "li", "span", "a", "div", "h2", "script"]),
    st.lists(_ATTRIBUTE, max_size=3).map("".join),
    st.sampled_from(["", "text"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ELEMENT, max_size=4).map("".join))
def test_the_quick_check_misses_no_id_the_filter_would_drop(html: str) -> None:
    """`sanitize_html` skips the theme-id filter for HTML its quick check finds no such id
    in: however the id is written, the result must be the filtering cleaner's own."""
    assert sanitize_html(html) == sanitize._CLEANER.clean(html)
