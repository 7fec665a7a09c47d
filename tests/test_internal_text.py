"""Internal-only markup, raw HTML and handles in Markdown source: what the public version
drops, what the internal build marks, and what is left alone because it is code."""

from __future__ import annotations

import pytest

from postmortem_kb.public.internal_markup import (
    internal_markup_problems,
    internal_parts,
    mark_internal,
    markdown_without_code,
    replace_handles,
    strip_internal,
)
from postmortem_kb.public.markdown_reading import read_markdown

ROLES = {"@ann": "incident commander", "@bob.smith": "on-call engineer"}


class TestStripBlocks:
    def test_block_is_dropped_and_paragraphs_stay_apart(self) -> None:
        text = "Before.\n::: internal\nSECRET\n:::\nAfter."
        assert strip_internal(text) == "Before.\n\nAfter."

    @pytest.mark.parametrize(
        "opening",
        [
            ":::internal",
            "::::  internal",
            "::: {.internal}",
            "::: { .internal }",
            "::: {#why .internal .wide}",
            "::: Internal",
            "  ::: internal",
        ],
    )
    def test_fence_variants_open_an_internal_block(self, opening: str) -> None:
        text = f"Kept.\n{opening}\nSECRET\n:::::\nAlso kept."
        stripped = strip_internal(text)
        assert "SECRET" not in stripped
        assert "Kept." in stripped and "Also kept." in stripped

    def test_other_classes_do_not_open_an_internal_block(self) -> None:
        text = "::: warning\nshown\n:::\n::: internals\nalso shown\n:::"
        assert strip_internal(text) == text

    def test_nested_divs_of_other_classes_are_dropped_with_the_block(self) -> None:
        text = "A\n::: internal\nSECRET-1\n::: warning\nSECRET-2\n:::\nSECRET-3\n:::\nB"
        stripped = strip_internal(text)
        assert "SECRET" not in stripped
        assert stripped.split() == ["A", "B"]

    def test_internal_block_nested_in_another_div_is_dropped(self) -> None:
        text = "::: note\nshown\n::: internal\nSECRET\n:::\nstill shown\n:::"
        assert strip_internal(text) == "::: note\nshown\n\nstill shown\n:::"

    @pytest.mark.parametrize(
        ("opening", "closing"), [("```", "```"), ("~~~", "~~~~"), ("````text", "````")]
    )
    def test_colons_in_a_code_block_are_literal(self, opening: str, closing: str) -> None:
        text = f"Example:\n{opening}\n::: internal\nshown as code\n:::\n{closing}\nAfter."
        assert strip_internal(text) == text

    def test_colons_in_code_inside_an_internal_block_do_not_close_it(self) -> None:
        text = "::: internal\n```\n:::\n```\nSECRET\n:::\nPublic."
        assert strip_internal(text).strip() == "Public."

    def test_unclosed_code_fence_hides_nothing(self) -> None:
        # Python-Markdown renders an unclosed fence as text, so the block below is live.
        text = "```\nnot code\n::: internal\nSECRET\n:::"
        assert "SECRET" not in strip_internal(text)

    def test_unclosed_block_drops_everything_after_it_and_is_reported(self) -> None:
        text = "Public.\n\n::: internal\nSECRET\n\nMORE SECRET"
        assert strip_internal(text).strip() == "Public."
        [problem] = internal_markup_problems(text)
        assert "line 3" in problem and "never closed" in problem

    def test_windows_line_endings(self) -> None:
        text = "A\r\n::: internal\r\nSECRET\r\n:::\r\nB"
        assert strip_internal(text) == "A\n\nB"


class TestStripSpans:
    @pytest.mark.parametrize(
        "span",
        [
            "[SECRET]{.internal}",
            "[SECRET]{ .internal }",
            "[SECRET]{.internal .x}",
            "[SECRET]{.x .internal}",
            "[SECRET]{#a .internal key=v}",
            "[SECRET]{: .internal}",
            "[SECRET]{.INTERNAL}",
        ],
    )
    def test_span_forms_are_dropped(self, span: str) -> None:
        assert strip_internal(f"Keep {span} this.") == "Keep  this."

    def test_span_with_nested_brackets_and_links_is_dropped_whole(self) -> None:
        text = "Keep [see [the SECRET runbook](https://wiki/x) now]{.internal} this."
        assert strip_internal(text) == "Keep  this."

    def test_span_inside_a_link_text_is_dropped(self) -> None:
        assert strip_internal("[Read [SECRET]{.internal} more](u)") == "[Read  more](u)"

    def test_span_across_a_line_break(self) -> None:
        assert strip_internal("Keep [SECRET\nSECRET]{.internal} this.") == "Keep  this."

    def test_escaped_bracket_is_not_a_span(self) -> None:
        text = r"Keep \[x]{.internal} this."
        assert strip_internal(text) == text
        assert internal_markup_problems(text)  # and the author is told

    def test_spans_of_other_classes_stay(self) -> None:
        text = "[shown]{.note} and [shown]{.notinternal} and [shown]{.x-internal}"
        assert strip_internal(text) == text

    def test_internal_dash_classes_count_as_internal(self) -> None:
        # Fail closed: `.internal-only` is what an author means when they write it.
        assert strip_internal("[SECRET]{.internal-only}") == ""

    def test_span_in_code_is_literal(self) -> None:
        text = "Write `[x]{.internal}` to hide x.\n```\n[y]{.internal}\n```"
        assert strip_internal(text) == text
        assert internal_markup_problems(text) == []

    def test_marker_without_a_span_is_reported(self) -> None:
        [problem] = internal_markup_problems("Line one.\nSECRET]{.internal} oops")
        assert "line 2" in problem and "[text]{.internal}" in problem


class TestInternalParts:
    def test_lists_block_and_span_content(self) -> None:
        text = "A [span one]{.internal}\n::: internal\nblock one\n:::\n`[code]{.internal}`"
        assert internal_parts(text) == ["span one", "block one"]


class TestMarkInternal:
    def test_block_becomes_an_admonition_with_indented_content(self) -> None:
        text = "Before.\n::: internal\nSECRET\n\n- item\n:::\nAfter."
        assert mark_internal(text) == (
            'Before.\n\n!!! internal "Internal only"\n    SECRET\n\n    - item\n\nAfter.'
        )

    def test_indented_block_keeps_its_indentation(self) -> None:
        text = "- item\n\n    ::: internal\n    SECRET\n    :::\n"
        assert '    !!! internal "Internal only"\n        SECRET' in mark_internal(text)

    def test_span_becomes_an_escaped_marked_span(self) -> None:
        marked = mark_internal("Keep [a <b> & `<c>`]{.internal} this.")
        assert marked == 'Keep <span class="pmkb-internal">a &lt;b&gt; & `<c>`</span> this.'

    def test_unclosed_block_is_marked_to_the_end(self) -> None:
        marked = mark_internal("A\n::: internal\nSECRET")
        assert marked.splitlines()[2:4] == ['!!! internal "Internal only"', "    SECRET"]

    def test_code_is_left_alone(self) -> None:
        text = "```\n::: internal\n[x]{.internal}\n:::\n```"
        assert mark_internal(text) == text


class TestRawHtml:
    @pytest.mark.parametrize(
        ("text", "found"),
        [
            ("a <b>bold</b> word", ["<b>", "</b>"]),
            ("<script>alert(1)</script>", ["<script>alert(1)</script>"]),
            ("note <!-- hidden --> here", ["<!-- hidden -->"]),
            ('<img src="x.png"\n  onerror="y">', ['<img src="x.png" onerror="y">']),
            ("a <b and c> d", ["<b and c>"]),
            ("<?php echo 1 ?>", ["<?php echo 1 ?>"]),
            ("<![CDATA[x]]>", ["<![CDATA[x]]>"]),
            # A tag with tabs is a tag, not an e-mail autolink.
            ("<img\tsrc=x\tonerror=alert(1)>", ["<img src=x onerror=alert(1)>"]),
            # Backtick runs pair as the renderer pairs them: ``a`` is code, the lone ` is not.
            ("``a`` <b>` x", ["<b>"]),
            ("a\n<div>\nx\n</div>", ["<div> x </div>"]),
        ],
    )
    def test_finds_raw_html(self, text: str, found: list[str]) -> None:
        assert list(read_markdown(text).raw_html) == found

    @pytest.mark.parametrize(
        "text",
        [
            "see <https://status.example.com/x>",
            "mail <ops@example.com>",
            "escaped &lt;b&gt; and &#60;i&#62;",
            "latency <5ms and a <p99 target",
            "code `<b>` and\n```html\n<div>\n```",
        ],
    )
    def test_allows_autolinks_references_and_code(self, text: str) -> None:
        assert read_markdown(text).raw_html == ()


class TestReplaceHandles:
    def test_handles_become_roles(self) -> None:
        text, unresolved = replace_handles("Led by @ann, then @bob.smith.", ROLES)
        assert (text, unresolved) == ("Led by incident commander, then on-call engineer.", [])

    def test_lookup_accepts_bare_keys_and_ignores_case(self) -> None:
        assert replace_handles("@Ann", {"ann": "IC"}) == ("IC", [])

    def test_unresolved_handles_are_kept_and_reported_once(self) -> None:
        text, unresolved = replace_handles("@carol and @carol and @ann", ROLES)
        assert text == "@carol and @carol and incident commander"
        assert unresolved == ["@carol"]

    @pytest.mark.parametrize(
        "text",
        [
            "write to ann@example.com",
            "a.b+tag@ann.example.org",
            "profile https://social.example/@ann",
            "decorate with `@ann` in code",
            "```\n@ann in a block\n```",
        ],
    )
    def test_email_urls_and_code_are_not_handles(self, text: str) -> None:
        assert replace_handles(text, ROLES) == (text, [])


def test_markdown_without_code_keeps_only_prose() -> None:
    prose = markdown_without_code("Ping @ann about `@retry`.\n```\n@decorator\n```")
    assert "@ann" in prose
    assert "@retry" not in prose and "@decorator" not in prose
